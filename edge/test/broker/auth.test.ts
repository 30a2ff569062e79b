import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/registry/secret.ts';
import {
  closedWithin,
  startTestGateway,
  TEST_SCRYPT,
  type TestGateway,
  writeTestRegistry,
} from '../helpers/gateway.ts';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

function connectError(url: string, options: mqtt.IClientOptions): Promise<string> {
  // The client id is bound to the identity: the username, unless the test says otherwise.
  const clientId = options.username === undefined ? {} : { clientId: options.username };
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...clientId, ...options }).then(
    async (client) => {
      await client.endAsync(true);
      return 'connected';
    },
    (err: Error & { code?: number }) => `refused:${err.code}`,
  );
}

describe('authentication over real TCP', () => {
  it('accepts a registered device with its secret and refuses a wrong one, counting the refusal', async () => {
    gw = await startTestGateway();
    const client = await gw.connect('dev-a');
    expect(client.connected).toBe(true);
    // CONNACK 4: bad user name or password.
    expect(await connectError(gw.url, { username: 'dev-a', password: 'not-the-secret' })).toBe('refused:4');
    expect(await connectError(gw.url, { username: 'ghost', password: 'x' })).toBe('refused:4');
    expect(await gw.metric('edgeflow_gateway_auth_refusals_total', { reason: 'bad_password' })).toBe(1);
    expect(await gw.metric('edgeflow_gateway_auth_refusals_total', { reason: 'unknown_user' })).toBe(1);
  });

  it('a cached verification still refuses a different password', async () => {
    gw = await startTestGateway({
      config: { mqtt: { host: '127.0.0.1', port: 0, clientIdPolicy: 'prefix' } },
    });
    await gw.connect('dev-a', { clientId: 'dev-a/first' });
    await gw.connect('dev-a', { clientId: 'dev-a/second' });
    expect(await connectError(gw.url, { username: 'dev-a', password: `${gw.secrets['dev-a']}x` })).toBe(
      'refused:4',
    );
  });

  it('refuses anonymous clients by default (CONNACK 5)', async () => {
    gw = await startTestGateway();
    expect(await connectError(gw.url, {})).toBe('refused:5');
    expect(await gw.metric('edgeflow_gateway_auth_refusals_total', { reason: 'anonymous' })).toBe(1);
  });

  it('accepts anonymous clients only with the dev flag, and still checks given credentials', async () => {
    gw = await startTestGateway({ config: { allowAnonymous: true } });
    expect(await connectError(gw.url, {})).toBe('connected');
    expect(await connectError(gw.url, { username: 'dev-a', password: 'wrong' })).toBe('refused:4');
  });

  it('accepts operators configured in the gateway config, with the operator role', async () => {
    const credential = await hashSecret('panel-secret', TEST_SCRYPT);
    gw = await startTestGateway({ config: { operators: { 'panel-1': credential } } });
    const panel = await mqtt.connectAsync(gw.url, {
      username: 'panel-1',
      password: 'panel-secret',
      clientId: 'panel-1',
      reconnectPeriod: 0,
    });
    const granted = await panel.subscribeAsync('sensors/#');
    expect(granted[0]?.qos).toBe(0);
    await panel.endAsync();
    expect(await connectError(gw.url, { username: 'panel-1', password: 'nope' })).toBe('refused:4');
  });

  it('picks up registry changes: a removed device is disconnected and refused, a new one accepted', async () => {
    gw = await startTestGateway();
    const client = await gw.connect('dev-a');
    const newSecrets = await writeTestRegistry(gw.config.registryFile, {
      'dev-b': 'device',
      'dev-c': 'device',
    });
    await gw.gateway.reloadRegistry();
    expect(await closedWithin(client, 3000)).toBe(true);
    expect(await connectError(gw.url, { username: 'dev-a', password: gw.secrets['dev-a'] })).toBe(
      'refused:4',
    );
    expect(await connectError(gw.url, { username: 'dev-c', password: newSecrets['dev-c'] })).toBe(
      'connected',
    );
  });
});
