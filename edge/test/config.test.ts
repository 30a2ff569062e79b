import { fileURLToPath } from 'node:url';
import { type EdgeflowError, isEdgeflowError } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import { gatewayConfigFrom, loadGatewayConfig } from '../src/config.ts';

const minimal = { gatewayId: 'site-a-gw1', registryFile: '/tmp/devices.json' };

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(isEdgeflowError(err, 'EDGEFLOW_CONFIG_INVALID')).toBe(true);
    return (err as EdgeflowError).problems.map((p) => `${p.path} ${p.message}`);
  }
  throw new Error('expected the config to be refused');
}

describe('gateway config', () => {
  it('fills defaults and freezes', () => {
    const config = gatewayConfigFrom(minimal);
    expect(config.mqtt.port).toBe(1883);
    expect(config.allowAnonymous).toBe(false);
    expect(config.outbox.maxBytes).toBe(1024 ** 3);
    expect(config.forwarder.topic).toBe('edgeflow-telemetry-site-a-gw1');
    expect(Object.isFrozen(config.mqtt)).toBe(true);
    expect(Object.isFrozen(config.forwarder)).toBe(true);
  });

  it("publishes only to the gateway's own telemetry topic", () => {
    const own = gatewayConfigFrom({ ...minimal, forwarder: { topic: 'edgeflow-telemetry-site-a-gw1' } });
    expect(own.forwarder.topic).toBe('edgeflow-telemetry-site-a-gw1');
    for (const topic of ['edgeflow-telemetry-site-b-gw1', 'edgeflow-telemetry', 'other']) {
      expect(problemsOf(() => gatewayConfigFrom({ ...minimal, forwarder: { topic } }))).toEqual([
        `/forwarder/topic must be this gateway's own telemetry topic edgeflow-telemetry-site-a-gw1 (or absent), not ${topic}`,
      ]);
    }
    const viaEnv = problemsOf(() =>
      gatewayConfigFrom(minimal, { EDGEFLOW_GATEWAY_FORWARDER__TOPIC: 'edgeflow-telemetry-site-b-gw1' }),
    );
    expect(viaEnv).toHaveLength(1);
  });

  it('loginThrottle: safe defaults, env overrides, and a cap below its base refused', () => {
    const config = gatewayConfigFrom(minimal, {
      EDGEFLOW_GATEWAY_MQTT__LOGIN_THROTTLE__PER_ADDRESS__BAN_MS: '60000',
    });
    expect(config.mqtt.loginThrottle.enabled).toBe(true);
    expect(config.mqtt.loginThrottle.perAddress).toEqual({
      freeFailures: 5,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      banAfterFailures: 20,
      banMs: 60_000,
    });
    expect(config.mqtt.loginThrottle.perUser.banAfterFailures).toBe(10);
    expect(
      problemsOf(() =>
        gatewayConfigFrom({
          ...minimal,
          mqtt: { loginThrottle: { perUser: { baseDelayMs: 5000, maxDelayMs: 1000 } } },
        }),
      ),
    ).toEqual(['/mqtt/loginThrottle/perUser/maxDelayMs must be >= baseDelayMs']);
  });

  it('lists every problem in one error', () => {
    const paths = problemsOf(() =>
      gatewayConfigFrom({
        gatewayId: 'Site A',
        mqtt: { port: 'eighteen', colour: 'blue' },
        ingest: { maxPayloadBytes: -1 },
        outbox: { maxBytes: 12 },
        forwarder: { lingerMs: -5 },
      }),
    );
    const all = paths.join('\n');
    for (const expected of [
      /^\/ .*registryFile/m,
      /^\/gatewayId /m,
      /^\/mqtt\/port /m,
      /^\/mqtt\/colour /m,
      /^\/ingest\/maxPayloadBytes /m,
      /^\/outbox\/maxBytes /m,
      /^\/forwarder\/lingerMs /m,
    ]) {
      expect(all).toMatch(expected);
    }
  });

  it('checks what rules mean, not only their shape, and collects all of it', () => {
    const paths = problemsOf(() =>
      gatewayConfigFrom({
        ...minimal,
        mqtt: { port: 1883, tls: { port: 1883, certFile: 'c', keyFile: 'k' } },
        rules: {
          devices: {
            'dev-1': {
              temperature: [
                {
                  id: 'temperature-high',
                  kind: 'threshold',
                  severity: 'warning',
                  direction: 'above',
                  threshold: 30,
                  clearBand: 1,
                  raiseHoldMs: 30 * 24 * 3_600_000,
                  clearHoldMs: 0,
                },
              ],
            },
          },
        },
      }),
    );
    expect(paths.some((p) => p.startsWith('/rules/devices/dev-1/temperature'))).toBe(true);
    expect(paths.some((p) => p.startsWith('/mqtt/tls/port '))).toBe(true);
  });

  it('applies EDGEFLOW_GATEWAY_ environment overrides over the file', () => {
    const config = gatewayConfigFrom(minimal, {
      EDGEFLOW_GATEWAY_MQTT__PORT: '1884',
      EDGEFLOW_GATEWAY_ALLOW_ANONYMOUS: 'true',
      EDGEFLOW_GATEWAY_OUTBOX__MAX_BYTES: String(64 * 1024 * 1024),
      OTHER_VAR: 'ignored',
    });
    expect(config.mqtt.port).toBe(1884);
    expect(config.allowAnonymous).toBe(true);
    expect(config.outbox.maxBytes).toBe(64 * 1024 * 1024);
  });

  it('the example config in edge/ is valid', () => {
    const path = fileURLToPath(new URL('../gateway.example.yaml', import.meta.url));
    const config = loadGatewayConfig(path, {});
    expect(config.gatewayId).toBe('site-a-gw1');
    expect(config.rules.devices['freezer-1']?.temperature?.[0]).toMatchObject({ threshold: -15 });
  });

  it('a missing or malformed file is a config error naming the file', () => {
    expect(() => loadGatewayConfig('/nonexistent/gateway.yaml', {})).toThrow(/nonexistent\/gateway.yaml/);
  });
});

describe('gateway config: fairness', () => {
  it('limits every device by default, and takes env overrides', () => {
    expect(gatewayConfigFrom(minimal).fairness).toEqual({
      readingsPerSec: 1000,
      readingsBurst: 2000,
      transitionsPerSec: 1,
      transitionsBurst: 30,
      maxDevices: 100_000,
      maxUnsentReadingsPerDevice: 1_000_000,
      maxSuppressedEpisodes: 100_000,
    });
    const env = { EDGEFLOW_GATEWAY_FAIRNESS__TRANSITIONS_PER_SEC: '0.5' };
    expect(gatewayConfigFrom(minimal, env).fairness.transitionsPerSec).toBe(0.5);
  });

  it('refuses a zero rate and a reading burst below the largest message', () => {
    const all = problemsOf(() =>
      gatewayConfigFrom({ ...minimal, fairness: { readingsPerSec: 0, readingsBurst: 10 } }),
    ).join('\n');
    expect(all).toMatch(/^\/fairness\/readingsPerSec /m);
    expect(
      problemsOf(() => gatewayConfigFrom({ ...minimal, fairness: { readingsBurst: 10 } })).join('\n'),
    ).toMatch(/^\/fairness\/readingsBurst must be at least \/ingest\/maxMetricsPerMessage \(64\)/m);
  });
});
