export { type ForwarderConfig, ForwarderConfigSchema } from './config.ts';
export { type Forwarder, type ForwarderDeps, startForwarder } from './forwarder.ts';
export { createPubSubPublisher } from './pubsub.ts';
export type { BatchPublisher } from './types.ts';
