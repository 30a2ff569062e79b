import { afterEach, describe, expect, it } from 'vitest';
import { closedWithin, nextMessage, sleep, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('authorization over real TCP', () => {
  it('device A cannot publish as B: disconnected, nothing stored or delivered, refusal counted', async () => {
    gw = await startTestGateway();
    const operator = await gw.connect('op-1');
    await operator.subscribeAsync('sensors/#');
    const received: string[] = [];
    operator.on('message', (topic) => received.push(topic));
    const a = await gw.connect('dev-a');
    a.publish('sensors/dev-b/temperature', '21.5', { qos: 1 });
    expect(await closedWithin(a, 3000)).toBe(true);
    await sleep(100);
    expect(received).toEqual([]);
    expect(gw.outbox.readings).toEqual([]);
    expect(await gw.metric('edgeflow_gateway_acl_refusals_total', { action: 'publish' })).toBe(1);
  });

  it('a device cannot publish on alerts/ (only the gateway does)', async () => {
    gw = await startTestGateway();
    const a = await gw.connect('dev-a');
    a.publish('alerts/dev-a/temperature', '{"fake":true}', { qos: 1, retain: true });
    expect(await closedWithin(a, 3000)).toBe(true);
  });

  it("device A cannot subscribe to B's commands (SUBACK 0x80) but can to its own and to alerts", async () => {
    gw = await startTestGateway();
    const a = await gw.connect('dev-a');
    // mqtt.js rejects a subscribe whose SUBACK carries 0x80.
    await expect(a.subscribeAsync('commands/dev-b/#')).rejects.toThrow(/Subscribe error/);
    await expect(a.subscribeAsync('sensors/#')).rejects.toThrow(/Subscribe error/);
    const granted = await a.subscribeAsync(['commands/dev-a/#', 'alerts/#'], { qos: 1 });
    expect(granted.map((g) => [g.topic, g.qos])).toEqual([
      ['commands/dev-a/#', 1],
      ['alerts/#', 1],
    ]);
    expect(await gw.metric('edgeflow_gateway_acl_refusals_total', { action: 'subscribe' })).toBe(2);
    // The connection survives a refused subscription, and its own commands arrive.
    const operator = await gw.connect('op-1');
    const own = nextMessage(a, 'commands/dev-a/reboot');
    await operator.publishAsync('commands/dev-b/reboot', 'x', { qos: 1 });
    await operator.publishAsync('commands/dev-a/reboot', 'now', { qos: 1 });
    expect((await own).payload.toString()).toBe('now');
  });

  it('an operator can subscribe to everything and sees device readings', async () => {
    gw = await startTestGateway();
    const operator = await gw.connect('op-1');
    const granted = await operator.subscribeAsync({ '#': { qos: 1 }, 'commands/#': { qos: 1 } });
    // Anything that can match sensors/... is granted QoS 0 (bounded live view, see hooks.ts).
    expect(granted.map((g) => [g.topic, g.qos])).toEqual([
      ['#', 0],
      ['commands/#', 1],
    ]);
    const a = await gw.connect('dev-a');
    const seen = nextMessage(operator, 'sensors/dev-a/temperature');
    await a.publishAsync('sensors/dev-a/temperature', '21.5', { qos: 1 });
    expect((await seen).payload.toString()).toBe('21.5');
  });
});
