import { afterEach, describe, expect, it } from 'vitest';
import { nextMessage, startTestGateway, type TestGateway } from '../../helpers/gateway.ts';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const LIMIT = 'edgeflow_gateway_limit_hits_total';

describe('subscriptions per client over real TCP', () => {
  it('refuses 5000 SUBSCRIBEs past the cap with SUBACK 0x80, counted; the connection stays', async () => {
    // prefix: the operator's second connection (the publisher) is `op-1/publisher`.
    gw = await startTestGateway({
      config: { mqtt: { host: '127.0.0.1', port: 0, clientIdPolicy: 'prefix' } },
    });
    const cap = gw.config.mqtt.limits.maxSubscriptionsPerClient;
    expect(cap).toBe(100);
    const operator = await gw.connect('op-1');
    const outcomes = await Promise.all(
      Array.from({ length: cap + 5000 }, (_, i) =>
        operator.subscribeAsync(`commands/panel-${i}`, { qos: 1 }).then(
          () => 'granted',
          () => 'refused',
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'granted')).toHaveLength(cap);
    expect(outcomes.slice(0, cap).every((o) => o === 'granted')).toBe(true);
    expect(await gw.metric(LIMIT, { limit: 'subscriptions' })).toBe(5000);
    expect(operator.connected).toBe(true);

    // A filter it already holds is re-granted (no second slot); a granted one still delivers.
    await expect(operator.subscribeAsync('commands/panel-0', { qos: 0 })).resolves.toBeDefined();
    const delivered = nextMessage(operator, 'commands/panel-7');
    const publisher = await gw.connect('op-1', { clientId: 'op-1/publisher' });
    await publisher.publishAsync('commands/panel-7', 'go', { qos: 1 });
    expect((await delivered).payload.toString()).toBe('go');

    // UNSUBSCRIBE frees slots.
    await operator.unsubscribeAsync(['commands/panel-1', 'commands/panel-2']);
    await expect(operator.subscribeAsync('commands/new-1')).resolves.toBeDefined();
    await expect(operator.subscribeAsync('commands/new-2')).resolves.toBeDefined();
    await expect(operator.subscribeAsync('commands/new-3')).rejects.toThrow(/Subscribe error/);
    expect(await gw.metric(LIMIT, { limit: 'subscriptions' })).toBe(5001);
  });

  it('a filter refused by the ACL takes no slot; the cap is per client', async () => {
    gw = await startTestGateway({
      config: { mqtt: { host: '127.0.0.1', port: 0, limits: { maxSubscriptionsPerClient: 2 } } },
    });
    const device = await gw.connect('dev-a');
    await expect(device.subscribeAsync('commands/dev-b/#')).rejects.toThrow(/Subscribe error/);
    await device.subscribeAsync(['commands/dev-a/#', 'alerts/#']);
    await expect(device.subscribeAsync('alerts/dev-a/#')).rejects.toThrow(/Subscribe error/);
    expect(await gw.metric(LIMIT, { limit: 'subscriptions' })).toBe(1);
    const other = await gw.connect('dev-b');
    await expect(other.subscribeAsync(['commands/dev-b/#', 'alerts/#'])).resolves.toHaveLength(2);
  });

  it('a single SUBSCRIBE carrying more filters than the cap gets the excess refused', async () => {
    gw = await startTestGateway({
      config: {
        mqtt: {
          host: '127.0.0.1',
          port: 0,
          clientIdPolicy: 'prefix',
          limits: { maxSubscriptionsPerClient: 3 },
        },
      },
    });
    const operator = await gw.connect('op-1', { clean: false, clientId: 'op-1/persistent-panel' });
    const granted = await operator
      .subscribeAsync(['a/1', 'a/2', 'a/3', 'a/4', 'a/5'], { qos: 1 })
      .catch((err: unknown) => err);
    // mqtt.js rejects the whole call when any filter got 0x80.
    expect(granted).toBeInstanceOf(Error);
    expect(await gw.metric(LIMIT, { limit: 'subscriptions' })).toBe(2);
    expect(operator.connected).toBe(true);
  });
});
