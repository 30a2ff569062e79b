/**
 * Fleet default rules for the catalogue metrics (shared/src/metrics.ts). Devices override a
 * rule by reusing its id in their profile (see rulesFor). Holds are in rule time (the
 * gateway's receipt time, see ruleTimeMs), which a device cannot fast-forward.
 *
 * | metric        | rule id              | kind      | fires when                                  | clears when                       | severity |
 * |---------------|----------------------|-----------|---------------------------------------------|-----------------------------------|----------|
 * | temperature   | temperature-high     | threshold | > 30 degC for 10 s                          | <= 29 degC for 10 s               | warning  |
 * | temperature   | temperature-critical | threshold | > 40 degC for 10 s                          | <= 39 degC for 10 s               | critical |
 * | temperature   | temperature-stale    | stale     | no reading for 60 s (checked on ticks)      | next reading                      | warning  |
 * | humidity      | humidity-high        | threshold | > 85 %RH for 30 s                           | <= 82 %RH for 30 s                | warning  |
 * | co2           | co2-high             | threshold | > 1500 ppm for 30 s                         | <= 1400 ppm for 30 s              | warning  |
 * | battery_v     | battery-low          | threshold | < 3.3 V for 60 s                            | >= 3.4 V for 60 s                 | warning  |
 * | vibration_rms | vibration-jump       | rate      | changes by > 5 mm/s within 10 s             | 30 s without such a change        | warning  |
 *
 * pressure and door have no default rules: what is abnormal depends on the site.
 */

import { deepFreeze } from '../config.ts';
import type { RuleSet } from '../contracts.ts';

export const DEFAULT_RULES: RuleSet = deepFreeze({
  temperature: [
    {
      id: 'temperature-high',
      kind: 'threshold',
      severity: 'warning',
      direction: 'above',
      threshold: 30,
      clearBand: 1,
      raiseHoldMs: 10_000,
      clearHoldMs: 10_000,
    },
    {
      id: 'temperature-critical',
      kind: 'threshold',
      severity: 'critical',
      direction: 'above',
      threshold: 40,
      clearBand: 1,
      raiseHoldMs: 10_000,
      clearHoldMs: 10_000,
    },
    { id: 'temperature-stale', kind: 'stale', severity: 'warning', afterMs: 60_000 },
  ],
  humidity: [
    {
      id: 'humidity-high',
      kind: 'threshold',
      severity: 'warning',
      direction: 'above',
      threshold: 85,
      clearBand: 3,
      raiseHoldMs: 30_000,
      clearHoldMs: 30_000,
    },
  ],
  co2: [
    {
      id: 'co2-high',
      kind: 'threshold',
      severity: 'warning',
      direction: 'above',
      threshold: 1500,
      clearBand: 100,
      raiseHoldMs: 30_000,
      clearHoldMs: 30_000,
    },
  ],
  battery_v: [
    {
      id: 'battery-low',
      kind: 'threshold',
      severity: 'warning',
      direction: 'below',
      threshold: 3.3,
      clearBand: 0.1,
      raiseHoldMs: 60_000,
      clearHoldMs: 60_000,
    },
  ],
  vibration_rms: [
    {
      id: 'vibration-jump',
      kind: 'rate',
      severity: 'warning',
      maxDelta: 5,
      windowMs: 10_000,
      clearHoldMs: 30_000,
    },
  ],
} satisfies RuleSet);
