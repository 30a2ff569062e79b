/** Run counters: plain numbers, no per-message storage, so memory does not grow with the run. */
export interface FleetCounters {
  /** Readings the schedule made due (including those that could not be sent). */
  offered: number;
  /** Publishes handed to a connected client (duplicates and malformed by design included). */
  sent: number;
  /** QoS 1: PUBACK received. QoS 0: written to the socket. */
  acked: number;
  /** Not sent or not acknowledged, by cause. */
  failed: { offline: number; windowFull: number; backpressure: number; publishError: number };
  /** Malformed readings sent on purpose (the pipeline must reject them), by reason. */
  rejectedByDesign: Record<string, number>;
  /** Extra copies sent by duplicate events. */
  duplicatesByDesign: number;
  /** Readings withheld by design (dropout, reconnect storm). */
  silencedByDesign: number;
  connects: number;
  disconnects: number;
  /** Connection attempts the broker refused (CONNACK with an error) or that failed at TCP level. */
  refusals: number;
  connectErrors: number;
}

export function newCounters(): FleetCounters {
  return {
    offered: 0,
    sent: 0,
    acked: 0,
    failed: { offline: 0, windowFull: 0, backpressure: 0, publishError: 0 },
    rejectedByDesign: {},
    duplicatesByDesign: 0,
    silencedByDesign: 0,
    connects: 0,
    disconnects: 0,
    refusals: 0,
    connectErrors: 0,
  };
}

export function totalFailed(c: FleetCounters): number {
  return c.failed.offline + c.failed.windowFull + c.failed.backpressure + c.failed.publishError;
}
