/**
 * The credentials file `devices provision --credentials-out` writes and the simulators read.
 * Secrets in clear: the file is written with mode 0600 and belongs with the fleet, not the
 * gateway.
 */
export interface CredentialsFile {
  /** Broker URL the fleet should use, when given at provisioning (`--broker`). */
  readonly broker?: string;
  readonly devices: ReadonlyArray<{ readonly deviceId: string; readonly password: string }>;
}
