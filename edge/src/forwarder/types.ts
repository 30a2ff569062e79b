/** The port the forwarder publishes through; the Pub/Sub adapter implements it, tests fake it. */
export interface BatchPublisher {
  /** Resolves with the message id once Pub/Sub has acknowledged (persisted) the message. */
  publish(data: Uint8Array, attributes: Record<string, string>): Promise<string>;
  /** Releases connections; optional for fakes. */
  close?(): Promise<void>;
}
