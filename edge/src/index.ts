/** `@edgeflow/edge`: the gateway as a library (the CLIs are edge/src/cli/*). */
export {
  ENV_PREFIX,
  type GatewayConfig,
  GatewayConfigSchema,
  gatewayConfigFrom,
  loadGatewayConfig,
} from './config.ts';
export { EdgeError, type EdgeErrorCode, EdgeErrorCodes } from './errors.ts';
export { type GatewayOutbox, type GatewayPorts, type RunningGateway, startGateway } from './gateway.ts';
export {
  type IngestLimits,
  type ParseResult,
  parsePublish,
  REJECT_REASONS,
  type RejectReason,
} from './ingest/parse.ts';
export { type StartedProcess, startProcess } from './main.ts';
export type { CredentialsFile } from './registry/credentials.ts';
