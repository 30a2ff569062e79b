/**
 * Google's Pub/Sub emulator does not dead-letter messages of a subscription with message
 * ordering enabled (they are redelivered forever; measured with emulator 2025.06). GCP
 * does. Tests that exercise dead-lettering after max delivery attempts therefore run the
 * telemetry subscription unordered; everything else runs the shared topology as it is.
 */
import type { Topology } from '@edgeflow/shared';

export function withoutOrdering(topology: Topology): Topology {
  return {
    ...topology,
    telemetry: topology.telemetry.map((t) => ({
      ...t,
      subscription: { ...t.subscription, messageOrdering: false },
    })),
    subscriptions: topology.subscriptions.map((s) => ({ ...s, messageOrdering: false })),
  };
}
