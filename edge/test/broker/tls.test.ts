import { readFileSync, rmSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { selfSignedCert } from '../helpers/tls.ts';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('MQTT over TLS', () => {
  it('serves TLS with the configured cert and key, with the same authentication', async () => {
    const { dir, certFile, keyFile } = selfSignedCert();
    gw = await startTestGateway({
      config: { mqtt: { host: '127.0.0.1', port: 0, tls: { port: 0, certFile, keyFile } } },
    });
    const port = gw.gateway.mqtts?.port;
    expect(port).toBeGreaterThan(0);
    const ca = readFileSync(certFile);
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
      ca,
      username: 'dev-a',
      password: gw.secrets['dev-a'],
      clientId: 'dev-a',
      reconnectPeriod: 0,
    });
    await client.publishAsync('sensors/dev-a/temperature', '22.5', { qos: 1 });
    expect(gw.outbox.readings).toMatchObject([{ deviceId: 'dev-a', value: 22.5 }]);
    await client.endAsync();
    // The certificate is verified: a client that does not trust it is refused.
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
        username: 'dev-a',
        password: gw.secrets['dev-a'],
        reconnectPeriod: 0,
        connectTimeout: 3000,
      }),
    ).rejects.toThrow(/self[- ]signed/);
    // And wrong credentials are refused over TLS as over TCP.
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
        ca,
        username: 'dev-a',
        password: 'x',
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow(/Bad username or password/);
    rmSync(dir, { recursive: true, force: true });
  });
});
