export { decodeBatch, peekBatchHeader } from './decode.ts';
export { encodeBatch } from './encode.ts';
export {
  BATCH_MAJOR,
  BATCH_MINOR,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_READINGS,
  MAX_QUANTIZED,
} from './format.ts';
export type { BatchHeader, DecodeLimits, EncodeOptions, TelemetryBatch } from './types.ts';
