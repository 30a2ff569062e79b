/**
 * The QoS granted per filter over real TCP: exactly the filters that can match sensors/...
 * are granted QoS 0 (live telemetry is not queued per session, see hooks.ts), their near
 * misses keep the QoS asked for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('granted QoS per filter', () => {
  it('grants QoS 0 to every filter that can match sensors/..., the asked QoS to the rest', async () => {
    gw = await startTestGateway();
    const operator = await gw.connect('op-1');
    const cases: Array<[string, 0 | 1]> = [
      ['#', 0],
      ['+', 0],
      ['+/dev-a/temperature', 0],
      ['+/#', 0],
      ['sensors', 0],
      ['sensors/#', 0],
      ['sensors/dev-a/temperature', 0],
      ['sensorsx/#', 1],
      ['sensor', 1],
      ['a/+', 1],
      ['commands/#', 1],
      ['alerts/+/temperature', 1],
    ];
    const granted = await operator.subscribeAsync(Object.fromEntries(cases.map(([f]) => [f, { qos: 1 }])));
    expect(granted.map((g) => [g.topic, g.qos])).toEqual(cases);
    // Asked at QoS 0, a filter keeps QoS 0 whether or not it can match sensors/...
    const atZero = await operator.subscribeAsync({ 'commands/x': { qos: 0 }, 'sensors/y': { qos: 0 } });
    expect(atZero.map((g) => g.qos)).toEqual([0, 0]);
  });
});
