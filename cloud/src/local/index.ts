/** `@edgeflow/cloud/local`: Google's emulators and the local cloud built on them. */

export { type EmulatorTarget, firestoreFor, pubsubFor } from './clients.ts';
export {
  clearFirestore,
  FUNCTION_NAMES,
  type LocalCloud,
  type LocalCloudOptions,
  startLocalCloud,
} from './cloud.ts';
export {
  DEFAULT_PROJECT_ID,
  type EmulatorHandle,
  type EmulatorOptions,
  startFirestoreEmulator,
  startPubSubEmulator,
} from './emulators.ts';
export { type LocalErrorCode, LocalErrorCodes, LocalStackError } from './errors.ts';
export { type FaultProxy, type LinkState, startFaultProxy } from './fault-proxy.ts';
export { FUNCTIONS_SOURCE, type ServedFunction } from './functions.ts';
export { freePort, waitForHttp } from './net.ts';
export { applyTopology, pubsubClient, pushEndpoint } from './topology.ts';
