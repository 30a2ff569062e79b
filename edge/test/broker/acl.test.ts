import { describe, expect, it } from 'vitest';
import { canPublish, canSubscribe } from '../../src/broker/acl.ts';
import type { Identity } from '../../src/registry/authenticator.ts';

const dev: Identity = { role: 'device', id: 'dev-a' };
const op: Identity = { role: 'operator', id: 'op-1' };
const anon: Identity = { role: 'anonymous', id: '' };

describe('ACL policy', () => {
  it.each([
    ['sensors/dev-a', true],
    ['sensors/dev-a/temperature', true],
    ['sensors/dev-a/x/y', true],
    ['sensors/dev-b/temperature', false],
    ['sensors/dev-ab/temperature', false],
    ['sensors/dev-', false],
    ['sensors', false],
    ['alerts/dev-a/temperature', false],
    ['commands/dev-a/reboot', false],
    ['$SYS/x', false],
  ])('device dev-a publish %s -> %s', (topic, allowed) => {
    expect(canPublish(dev, topic)).toBe(allowed);
  });

  it.each([
    ['commands/dev-a/#', true],
    ['commands/dev-a', true],
    ['commands/dev-a/+/x', true],
    ['alerts/#', true],
    ['alerts/dev-b/temperature', true],
    ['commands/dev-b/#', false],
    ['commands/+/#', false],
    ['commands/#', false],
    ['commands/dev-ab/#', false],
    ['sensors/#', false],
    ['#', false],
    ['+/dev-a/#', false],
  ])('device dev-a subscribe %s -> %s', (filter, allowed) => {
    expect(canSubscribe(dev, filter)).toBe(allowed);
  });

  it('operators subscribe to anything and publish only commands; nobody publishes alerts', () => {
    for (const filter of ['#', 'sensors/#', '$SYS/#', 'commands/+/#'])
      expect(canSubscribe(op, filter)).toBe(true);
    expect(canPublish(op, 'commands/dev-a/reboot')).toBe(true);
    expect(canPublish(op, 'sensors/dev-a/temperature')).toBe(false);
    for (const who of [dev, op, anon]) expect(canPublish(who, 'alerts/dev-a/temperature')).toBe(false);
  });
});
