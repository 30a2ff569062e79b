export { type ForwarderConfig, ForwarderConfigSchema, resolveForwarderTopic } from './config.ts';
export { startForwarder } from './forwarder.ts';
export { createPubSubPublisher, type PubSubPublisherOptions } from './pubsub.ts';
export type { BatchPublisher, FlushReason, Forwarder, ForwarderDeps, ForwarderStatus } from './types.ts';
