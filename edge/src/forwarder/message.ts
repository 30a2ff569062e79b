/** One Pub/Sub message per batch: the shared codec's bytes plus routing/trace attributes. */
import { randomBytes } from 'node:crypto';
import {
  type AlertEvent,
  BATCH_MAJOR,
  BATCH_MINOR,
  encodeBatch,
  type GatewayHealth,
  type Reading,
  TelemetryAttributes,
} from '@edgeflow/shared';

export interface BatchMessage {
  readonly data: Uint8Array;
  readonly attributes: Record<string, string>;
}

/**
 * Attributes: schema, schemaVersion, encoding, gatewayId, count (readings), alerts (alert
 * transitions), traceparent (W3C trace context, a new trace per batch), and firstSeq/lastSeq
 * when the batch carries readings (an alerts-only batch has none).
 * Throws the codec's CODEC_UNENCODABLE for input it cannot represent.
 */
export function buildBatchMessage(
  gatewayId: string,
  createdAtMs: number,
  readings: Reading[],
  alerts: AlertEvent[],
  health?: GatewayHealth,
): BatchMessage {
  const data = encodeBatch(
    health === undefined
      ? { gatewayId, createdAtMs, readings, alerts }
      : { gatewayId, createdAtMs, readings, alerts, health },
  );
  const attributes: Record<string, string> = {
    schema: TelemetryAttributes.schema,
    schemaVersion: `${BATCH_MAJOR}.${BATCH_MINOR}`,
    encoding: TelemetryAttributes.encoding,
    gatewayId,
    count: String(readings.length),
    alerts: String(alerts.length),
    traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
  };
  if (readings.length > 0) {
    attributes.firstSeq = String((readings[0] as Reading).seq);
    attributes.lastSeq = String((readings.at(-1) as Reading).seq);
  }
  return { data, attributes };
}
