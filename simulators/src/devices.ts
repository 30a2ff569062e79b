/**
 * Which devices the fleet simulates. With a credentials file (written by the gateway's
 * `devices provision --credentials-out`) device i is its i-th entry; without one, devices
 * are `<prefix>-00000`, `<prefix>-00001`, ... and connect without a password.
 */
import { readFileSync } from 'node:fs';
import { compileChecker, DeviceIdSchema } from '@edgeflow/shared';
import Type, { type Static } from 'typebox';
import { problemsError, SimulatorError, SimulatorErrorCodes } from './errors.ts';
import type { DeviceCredentials } from './runner/connections.ts';

export const CredentialsFileSchema = Type.Object({
  broker: Type.Optional(Type.String({ minLength: 1 })),
  devices: Type.Array(Type.Object({ deviceId: DeviceIdSchema, password: Type.String({ minLength: 1 }) }), {
    minItems: 1,
  }),
});
export type CredentialsFile = Static<typeof CredentialsFileSchema>;
const checker = compileChecker<CredentialsFile>(CredentialsFileSchema, 'credentials file');

export function loadCredentials(path: string): CredentialsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SimulatorError(
      SimulatorErrorCodes.CREDENTIALS_INVALID,
      `cannot read credentials file ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const problems = checker.problems(raw);
  if (problems.length > 0) {
    throw problemsError(
      SimulatorErrorCodes.CREDENTIALS_INVALID,
      `invalid credentials file ${path}`,
      problems,
    );
  }
  return raw as CredentialsFile;
}

export function defaultDeviceId(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(5, '0')}`;
}

/** The first `count` devices: from the credentials when given (there must be enough), else generated ids. */
export function fleetDevices(
  count: number,
  prefix: string,
  credentials?: CredentialsFile,
): DeviceCredentials[] {
  if (credentials)
    return credentials.devices.slice(0, count).map((d) => ({ deviceId: d.deviceId, password: d.password }));
  return Array.from({ length: count }, (_, i) => ({ deviceId: defaultDeviceId(prefix, i) }));
}
