/**
 * The login throttle's own counters (its refusals are counted by reason in
 * edgeflow_gateway_auth_refusals_total, with the other refusals).
 */
import { Counter, type Registry } from 'prom-client';
import type { LoginThrottleEvents, ThrottleScope } from './login-throttle.ts';

const SCOPES: readonly ThrottleScope[] = ['address', 'user'];

export function createLoginThrottleMetrics(registry: Registry): LoginThrottleEvents {
  const registers = [registry];
  const bans = new Counter({
    name: 'edgeflow_gateway_login_bans_total',
    help: 'Temporary login bans started, by scope (a source address, or a user name).',
    labelNames: ['scope'],
    registers,
  });
  const evictions = new Counter({
    name: 'edgeflow_gateway_login_throttle_evictions_total',
    help: 'Login throttle entries evicted because their table was full, by scope.',
    labelNames: ['scope'],
    registers,
  });
  for (const scope of SCOPES) {
    bans.labels(scope).inc(0);
    evictions.labels(scope).inc(0);
  }
  return {
    onBan: (scope) => bans.labels(scope).inc(),
    onEvict: (scope) => evictions.labels(scope).inc(),
  };
}
