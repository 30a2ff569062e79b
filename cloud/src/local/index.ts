/** `@edgeflow/cloud/local`: Google's emulators and the local cloud built on them. */
export {
  DEFAULT_PROJECT_ID,
  type EmulatorHandle,
  type EmulatorOptions,
  startFirestoreEmulator,
  startPubSubEmulator,
} from './emulators.ts';
export { type LocalErrorCode, LocalErrorCodes, LocalStackError } from './errors.ts';
export { freePort, waitForHttp } from './net.ts';
