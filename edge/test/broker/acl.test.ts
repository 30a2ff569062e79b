import { describe, expect, it } from 'vitest';
import { canPublish, canReceive, canSubscribe, clientIdAllowed } from '../../src/broker/acl.ts';
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

  it.each([
    ['commands/dev-a', true],
    ['commands/dev-a/unlock', true],
    ['alerts/dev-b/temperature', true],
    ['commands/dev-b/unlock', false],
    ['commands/dev-ab/unlock', false],
    ['commands/dev-', false],
    ['sensors/dev-a/temperature', false],
    ['$SYS/broker/new/clients', false],
  ])('device dev-a receives %s -> %s', (topic, allowed) => {
    expect(canReceive(dev, topic)).toBe(allowed);
  });

  it('a delivery check never admits a topic no filter the device may hold could match', () => {
    for (const topic of ['commands/dev-b/x', 'sensors/dev-a/t', 'x/dev-a'])
      expect(canReceive(dev, topic)).toBe(false);
    for (const who of [op, anon]) expect(canReceive(who, 'sensors/dev-a/temperature')).toBe(true);
  });

  it.each([
    ['dev-a', 'exact', true],
    ['dev-b', 'exact', false],
    ['dev-a/panel', 'exact', false],
    ['dev-a/panel', 'prefix', true],
    ['dev-a/', 'prefix', false],
    ['dev-ab', 'prefix', false],
    ['dev-a-x', 'prefix', false],
    ['dev-b/dev-a', 'prefix', false],
    ['', 'prefix', false],
  ] as const)('device dev-a with client id %j under %s -> %s', (clientId, policy, allowed) => {
    expect(clientIdAllowed(dev, clientId, policy)).toBe(allowed);
  });

  it('operators are bound to their own id too; anonymous clients (dev flag) to none', () => {
    expect(clientIdAllowed(op, 'op-1', 'exact')).toBe(true);
    expect(clientIdAllowed(op, 'dev-a', 'exact')).toBe(false);
    expect(clientIdAllowed(op, 'op-1/console', 'prefix')).toBe(true);
    expect(clientIdAllowed(anon, 'anything', 'exact')).toBe(true);
  });
});
