export { type OutboxConfig, OutboxConfigSchema } from './config.ts';
export { OutboxError, type OutboxErrorCode, OutboxErrorCodes } from './errors.ts';
export { type OutboxDeps, openOutbox } from './outbox.ts';
export type {
  AlertRecord,
  DurableOutbox,
  Outbox,
  OutboxPosition,
  OutboxReader,
  OutboxStats,
  ReadingsRecord,
  UnsequencedReading,
} from './types.ts';
