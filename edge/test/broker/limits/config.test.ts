import { isEdgeflowError } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import { derivedMaxPacketBytes } from '../../../src/broker/limits/packet-guard.ts';
import { gatewayConfigFrom } from '../../../src/config.ts';

const BASE = {
  gatewayId: 'test-gw',
  registryFile: '/nonexistent',
  outbox: { dir: '/tmp/x' },
  forwarder: { projectId: 'p' },
};

function problemsOf(file: Record<string, unknown>, env: Record<string, string> = {}): string[] {
  try {
    gatewayConfigFrom({ ...BASE, ...file }, env);
  } catch (err) {
    if (isEdgeflowError(err)) return err.problems.map((p) => p.path);
    throw err;
  }
  return [];
}

describe('mqtt limits config', () => {
  it('has safe defaults: every limit on, plaintext on', () => {
    const config = gatewayConfigFrom(BASE);
    expect(config.mqtt.plaintext).toBe(true);
    expect(config.mqtt.limits).toEqual({
      maxConnectPacketBytes: 4096,
      connectTimeoutMs: 10_000,
      maxConnections: 10_000,
      maxSubscriptionsPerClient: 100,
      tlsHandshakeTimeoutMs: 10_000,
    });
    // Not configured: derived from the largest payload ingest accepts.
    expect(derivedMaxPacketBytes(config.ingest.maxPayloadBytes)).toBe(4096 + 256 + 64);
  });

  it('takes overrides from the environment', () => {
    const config = gatewayConfigFrom(BASE, {
      EDGEFLOW_GATEWAY_MQTT__LIMITS__MAX_CONNECTIONS: '5',
      EDGEFLOW_GATEWAY_MQTT__LIMITS__MAX_PACKET_BYTES: '9000',
    });
    expect(config.mqtt.limits.maxConnections).toBe(5);
    expect(config.mqtt.limits.maxPacketBytes).toBe(9000);
  });

  it('refuses caps that contradict the rest of the config, or the protocol', () => {
    expect(problemsOf({ mqtt: { limits: { maxPacketBytes: 1000 } } })).toContain(
      '/mqtt/limits/maxPacketBytes',
    );
    expect(problemsOf({ mqtt: { limits: { maxConnectPacketBytes: 268_435_456 } } })).toContain(
      '/mqtt/limits/maxConnectPacketBytes',
    );
    expect(problemsOf({ mqtt: { plaintext: false } })).toContain('/mqtt/plaintext');
    expect(problemsOf({ mqtt: { limits: { maxConnections: 0, connectTimeoutMs: 5 } } })).toEqual(
      expect.arrayContaining(['/mqtt/limits/maxConnections', '/mqtt/limits/connectTimeoutMs']),
    );
  });

  it('TLS only may reuse the plaintext port number for TLS', () => {
    expect(
      problemsOf({
        mqtt: { port: 8883, plaintext: false, tls: { port: 8883, certFile: 'c', keyFile: 'k' } },
      }),
    ).toEqual([]);
    expect(problemsOf({ mqtt: { port: 8883, tls: { port: 8883, certFile: 'c', keyFile: 'k' } } })).toContain(
      '/mqtt/tls/port',
    );
  });
});
