/** The link-fault proxy the fault suites put in front of the emulators: up, cut, stalled, restored. */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../src/local/index.ts';

let echo: Server;
let proxy: FaultProxy;

beforeAll(async () => {
  echo = createServer((s) => s.pipe(s));
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  proxy = await startFaultProxy(`127.0.0.1:${(echo.address() as AddressInfo).port}`);
});
afterAll(async () => {
  await proxy.close();
  echo.close();
});

async function dial(): Promise<Socket> {
  const [host, port] = proxy.host.split(':') as [string, string];
  const s = connect(Number(port), host);
  s.on('error', () => undefined);
  await once(s, 'connect');
  return s;
}

/** What the socket receives within `ms` (bounded). */
function received(s: Socket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString();
    };
    s.on('data', onData);
    setTimeout(() => {
      s.off('data', onData);
      resolve(text);
    }, ms);
  });
}

describe('startFaultProxy', () => {
  it('forwards while up, black-holes while stalled and delivers what was held on restore', async () => {
    const s = await dial();
    s.write('a');
    expect(await received(s, 200)).toBe('a');
    proxy.stall();
    expect(proxy.state).toBe('stalled');
    s.write('b');
    expect(await received(s, 300)).toBe('');
    proxy.restore();
    expect(await received(s, 300)).toBe('b');
    s.destroy();
  });

  it('cut resets open connections and refuses new ones until restored', async () => {
    const s = await dial();
    const before = proxy.connections;
    proxy.cut();
    await once(s, 'close');
    const refused = await dial();
    await once(refused, 'close');
    expect(proxy.connections).toBe(before + 1); // accepted, then reset at once
    proxy.restore();
    const again = await dial();
    again.write('c');
    expect(await received(again, 200)).toBe('c');
    again.destroy();
  });
});
