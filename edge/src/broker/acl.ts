/**
 * Who may publish and subscribe where. Pure, so the policy is tested without a broker.
 *
 *   device     publish  sensors/<id> and sensors/<id>/...
 *              subscribe commands/<id>, commands/<id>/... and alerts/...
 *   operator   publish  commands/...          subscribe  anything
 *   anonymous  (dev-only flag) publish sensors/... and commands/..., subscribe anything
 *
 * Nobody but the gateway itself publishes alerts/... (local actuators trust that topic), and
 * no client publishes `$` topics. Filters are compared level by level, so a wildcard in a
 * fixed level (`commands/+/#`, `sensors/#`) never widens a device's rights.
 *
 * Deliveries are checked again per message (canReceive), so a queued or retained message
 * reaches only an identity that may read its topic, whichever session it was queued for.
 * A client id belongs to one identity (clientIdAllowed): aedes keys sessions by client id.
 */
import type { Identity } from '../registry/authenticator.ts';

export function canPublish(identity: Identity, topic: string): boolean {
  switch (identity.role) {
    case 'device':
      return isUnder(topic, 'sensors', identity.id);
    case 'operator':
      return topic.startsWith('commands/') && topic.length > 'commands/'.length;
    case 'anonymous':
      return topic.startsWith('sensors/') || topic.startsWith('commands/');
  }
}

export function canSubscribe(identity: Identity, filter: string): boolean {
  if (identity.role !== 'device') return true;
  if (filter === 'alerts' || filter.startsWith('alerts/')) return true;
  return isUnder(filter, 'commands', identity.id);
}

/** A delivery of `topic` to `identity`: devices read only their own commands and alerts. */
export function canReceive(identity: Identity, topic: string): boolean {
  if (identity.role !== 'device') return true;
  if (topic === 'alerts' || topic.startsWith('alerts/')) return true;
  return isUnder(topic, 'commands', identity.id);
}

export type ClientIdPolicy = 'exact' | 'prefix';

/**
 * `clientId` is the identity's id, or with `prefix` also `<id>/<suffix>` (several sessions
 * per identity, bounded elsewhere). Anonymous clients (dev flag) have no id to bind to.
 */
export function clientIdAllowed(identity: Identity, clientId: string, policy: ClientIdPolicy): boolean {
  if (identity.role === 'anonymous') return true;
  const id = identity.id;
  if (clientId === id) return true;
  return (
    policy === 'prefix' &&
    clientId.length > id.length + 1 &&
    clientId.startsWith(id) &&
    clientId.charCodeAt(id.length) === 47 /* / */
  );
}

/** `root/id` exactly, or `root/id/...`, with `id` a literal level (no wildcard can match it). */
function isUnder(topic: string, root: string, id: string): boolean {
  const prefixLength = root.length + 1 + id.length;
  // Stryker disable next-line ConditionalExpression: a fast path; on a shorter topic startsWith(id) below is false anyway
  if (topic.length < prefixLength) return false;
  if (!topic.startsWith(root) || topic.charCodeAt(root.length) !== 47 /* / */) return false;
  if (!topic.startsWith(id, root.length + 1)) return false;
  return topic.length === prefixLength || topic.charCodeAt(prefixLength) === 47;
}
