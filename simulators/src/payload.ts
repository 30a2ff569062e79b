/**
 * Topic and payload for one emission, in the forms the gateway accepts:
 * `sensors/<deviceId>/<metric>` with `{"v": number, "t": msEpoch}` (json), a bare number
 * (number: the gateway stamps receipt time) or the CBOR map `{v, t}` (cbor). Malformed
 * variants produce exactly the defect their name says, nothing else.
 */
import { METRIC_CATALOG } from '@edgeflow/shared';
import { encode as encodeCbor } from 'cbor-x';
import type { Emission } from './plan.ts';
import type { MalformedVariant } from './scenario/types.ts';

export const PAYLOAD_FORMATS = ['json', 'number', 'cbor'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

export interface Encoded {
  topic: string;
  payload: string | Buffer;
}

/** Truncated CBOR: a map header promising two pairs, then one key and nothing else. */
const BAD_CBOR = Buffer.from([0xa2, 0x61, 0x76]);

/** Topic strings per device and metric, built once: the hot path then allocates only the payload. */
export class TopicCache {
  readonly #topics = new Map<string, Map<string, string>>();

  topic(deviceId: string, metric: string): string {
    let byMetric = this.#topics.get(deviceId);
    if (!byMetric) {
      byMetric = new Map();
      this.#topics.set(deviceId, byMetric);
    }
    let topic = byMetric.get(metric);
    if (topic === undefined) {
      topic = `sensors/${deviceId}/${metric}`;
      byMetric.set(metric, topic);
    }
    return topic;
  }
}

export function encodeEmission(
  deviceId: string,
  e: Emission,
  format: PayloadFormat,
  out: Encoded,
  topics?: TopicCache,
): Encoded {
  out.topic = topics ? topics.topic(deviceId, e.metric) : `sensors/${deviceId}/${e.metric}`;
  if (e.malformed) {
    out.payload = malformedPayload(e, e.malformed);
    if (e.malformed === 'bad_metric') out.topic = `sensors/${deviceId}/Bad-Metric`;
    return out;
  }
  switch (format) {
    case 'number':
      out.payload = String(e.value);
      break;
    case 'cbor':
      out.payload = encodeCbor({ v: e.value, t: e.deviceTMs });
      break;
    default:
      out.payload = `{"v":${e.value},"t":${e.deviceTMs}}`;
  }
  return out;
}

function malformedPayload(e: Emission, variant: MalformedVariant): string | Buffer {
  switch (variant) {
    case 'not_a_number':
      return 'warm';
    case 'broken_json':
      return `{"v":${e.value},"t":`;
    case 'wrong_type':
      return `{"v":"${e.value}","t":${e.deviceTMs}}`;
    case 'empty':
      return '';
    case 'bad_cbor':
      return BAD_CBOR;
    case 'non_finite':
      // JSON.parse turns 1e999 into Infinity: valid JSON, non-finite value.
      return `{"v":1e999,"t":${e.deviceTMs}}`;
    case 'out_of_range': {
      const spec = METRIC_CATALOG[e.metric];
      const beyond = spec ? spec.max + (spec.max - spec.min) : 1e12;
      return `{"v":${beyond},"t":${e.deviceTMs}}`;
    }
    case 'bad_timestamp':
      // 1970: before any plausible event time.
      return `{"v":${e.value},"t":1000}`;
    case 'future_timestamp':
      // A day ahead: far beyond any clock skew a gateway tolerates.
      return `{"v":${e.value},"t":${e.deviceTMs + 86_400_000}}`;
    case 'bad_metric':
      return `{"v":${e.value},"t":${e.deviceTMs}}`;
  }
}
