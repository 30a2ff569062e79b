/**
 * The ACL policy stated once as a reference model over topic levels (split on `/`), and
 * checked against acl.ts on topics built from the ids' own characters, their prefixes and
 * extensions, the roots and the separators: the inputs where an off-by-one in a length or
 * a separator position would show.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canPublish, canReceive, canSubscribe, clientIdAllowed } from '../../src/broker/acl.ts';
import type { Identity } from '../../src/registry/authenticator.ts';

const SEED = 0x15ac1;
const RUNS = 2_000;

/** `root/id` exactly or `root/id/...` (anything, even empty, after the separator). */
function modelUnder(topic: string, root: string, id: string): boolean {
  const levels = topic.split('/');
  return levels.length >= 2 && levels[0] === root && levels[1] === id;
}

function modelPublish(identity: Identity, topic: string): boolean {
  if (identity.role === 'device') return modelUnder(topic, 'sensors', identity.id);
  if (identity.role === 'operator') return topic.startsWith('commands/') && topic !== 'commands/';
  return topic.startsWith('sensors/') || topic.startsWith('commands/');
}

/** Subscribing and receiving share one rule: own commands and any alerts. */
function modelRead(identity: Identity, topic: string): boolean {
  if (identity.role !== 'device') return true;
  return topic.split('/')[0] === 'alerts' || modelUnder(topic, 'commands', identity.id);
}

function modelClientId(identity: Identity, clientId: string, policy: 'exact' | 'prefix'): boolean {
  if (identity.role === 'anonymous' || clientId === identity.id) return true;
  return (
    policy === 'prefix' && clientId.startsWith(`${identity.id}/`) && clientId.length > identity.id.length + 1
  );
}

const idArb = fc.constantFrom('dev-a', 'd', 'dev-ab', 'op-1');
const identityArb: fc.Arbitrary<Identity> = fc.oneof(
  idArb.map((id): Identity => ({ role: 'device', id })),
  idArb.map((id): Identity => ({ role: 'operator', id })),
  fc.constant<Identity>({ role: 'anonymous', id: '' }),
);
/** Pieces that make near misses: roots, ids and their prefixes/extensions, separators, wildcards. */
const pieceArb = fc.constantFrom(
  'sensors',
  'sensor',
  'sensorsx',
  'commands',
  'command',
  'alerts',
  'alert',
  'alertsx',
  'dev-a',
  'dev-',
  'dev-ab',
  'd',
  'op-1',
  '/',
  '//',
  '#',
  '+',
  '$SYS',
  'x',
  '',
);
const topicArb = fc.array(pieceArb, { maxLength: 6 }).map((parts) => parts.join(''));
const slashTopicArb = fc.array(pieceArb, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
const anyTopicArb = fc.oneof(topicArb, slashTopicArb);

describe('ACL policy against its reference model', () => {
  it('publish', () => {
    fc.assert(
      fc.property(identityArb, anyTopicArb, (identity, topic) => {
        expect(canPublish(identity, topic)).toBe(modelPublish(identity, topic));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('subscribe and receive', () => {
    fc.assert(
      fc.property(identityArb, anyTopicArb, (identity, topic) => {
        expect(canSubscribe(identity, topic)).toBe(modelRead(identity, topic));
        expect(canReceive(identity, topic)).toBe(modelRead(identity, topic));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('client ids', () => {
    fc.assert(
      fc.property(
        identityArb,
        anyTopicArb,
        fc.constantFrom<'exact' | 'prefix'>('exact', 'prefix'),
        (identity, clientId, policy) => {
          expect(clientIdAllowed(identity, clientId, policy)).toBe(modelClientId(identity, clientId, policy));
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('decides each boundary case as the model does', () => {
    const dev: Identity = { role: 'device', id: 'dev-a' };
    const op: Identity = { role: 'operator', id: 'op-1' };
    // Exactly the prefix, one character short, and a separator in place of the id's last character.
    expect([
      canPublish(dev, 'sensors/dev-a'),
      canPublish(dev, 'sensors/dev-'),
      canPublish(dev, 'sensors/dev-/'),
    ]).toEqual([true, false, false]);
    expect([
      canPublish(dev, 'sensors/dev-a/'),
      canPublish(dev, 'sensorsxdev-a'),
      canPublish(dev, 'sensors/dev-ax'),
    ]).toEqual([true, false, false]);
    expect([canPublish(op, 'commands/'), canPublish(op, 'commands/x'), canPublish(op, 'commands')]).toEqual([
      false,
      true,
      false,
    ]);
    expect([canSubscribe(dev, 'alerts'), canSubscribe(dev, 'alertsx'), canReceive(dev, 'alerts/')]).toEqual([
      true,
      false,
      true,
    ]);
    expect([
      clientIdAllowed(dev, 'dev-a/', 'prefix'),
      clientIdAllowed(dev, 'dev-a/1', 'prefix'),
      clientIdAllowed(dev, 'dev-ax1', 'prefix'),
      clientIdAllowed(dev, 'dev-a/1', 'exact'),
    ]).toEqual([false, true, false, false]);
  });
});
