/**
 * A TCP proxy in front of a local service (an emulator) that can break the link the way a
 * real uplink breaks, for fault-injection tests and demos: `cut()` resets every open connection and refuses new ones (a dead
 * route), `stall()` keeps connections open but forwards nothing (a black hole: the client
 * only notices through its own timeouts), `restore()` heals both.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

export type LinkState = 'up' | 'cut' | 'stalled';

export interface FaultProxy {
  /** `127.0.0.1:<port>`: give this to the client instead of the target. */
  readonly host: string;
  readonly state: LinkState;
  /** Connections accepted so far (a reconnecting client shows up here). */
  readonly connections: number;
  cut(): void;
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost, targetPort] = splitHost(target);
  const sockets = new Set<Socket>();
  let state: LinkState = 'up';
  let connections = 0;
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    // A reset link is the point of this tool: errors end the pair, nothing else.
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    connections += 1;
    track(client);
    if (state === 'cut') {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    if (state === 'stalled') {
      client.pause();
      upstream.pause();
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    get state() {
      return state;
    },
    get connections() {
      return connections;
    },
    cut() {
      state = 'cut';
      for (const s of sockets) s.destroy();
    },
    stall() {
      state = 'stalled';
      // pause() stops reading; piped data already buffered stays put until resume().
      for (const s of sockets) s.pause();
    },
    restore() {
      const wasStalled = state === 'stalled';
      state = 'up';
      if (wasStalled) for (const s of sockets) s.resume();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function splitHost(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0) throw new Error(`not a host:port: ${hostPort}`);
  return [hostPort.slice(0, i), port];
}
