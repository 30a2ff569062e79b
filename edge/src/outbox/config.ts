import Type, { type Static } from 'typebox';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** The gateway config's `outbox` section. */
export const OutboxConfigSchema = Type.Object(
  {
    dir: Type.String({
      minLength: 1,
      default: './data/outbox',
      description:
        'Directory of the outbox log (segments + checkpoint); created if missing. Keep it on a local disk.',
    }),
    maxBytes: Type.Integer({
      minimum: 4 * MiB,
      default: GiB,
      description:
        'Byte cap of the outbox on disk. When full, the oldest telemetry segments are evicted (counted, logged); alerts are never evicted.',
    }),
    segmentBytes: Type.Integer({
      minimum: 64 * 1024,
      default: 32 * MiB,
      description:
        'Telemetry segment size: the unit of eviction and of deletion after acknowledgement. Capped at maxBytes / 4.',
    }),
    groupCommitIntervalMs: Type.Number({
      minimum: 0,
      maximum: 1000,
      default: 1,
      description:
        'Least time between the starts of two group fsyncs. An append to an idle outbox is committed at once; under load, appends wait at most this long and share one fsync (each costs ~0.1 ms of CPU, most of it in the kernel). 0: an fsync starts as soon as the previous one ends. Alerts never wait.',
    }),
    groupCommitMaxBytes: Type.Integer({
      minimum: 4096,
      default: 8 * MiB,
      description: 'Appends pending beyond this many bytes start a group commit at once.',
    }),
    maxPendingBytes: Type.Integer({
      minimum: 64 * 1024,
      default: 64 * MiB,
      description:
        'Bound on appends waiting for the disk (a stalled or slow disk). Beyond it appendReadings throws EDGEFLOW_OUTBOX_BACKPRESSURE (counted): the reading is not acknowledged, so the device retries. Alerts are never refused for this.',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type OutboxConfig = Static<typeof OutboxConfigSchema>;
