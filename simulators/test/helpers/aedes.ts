/** An in-process aedes broker on 127.0.0.1, port 0, counting what it receives. */
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';

export interface TestBroker {
  readonly url: string;
  readonly aedes: Aedes;
  /** Publishes received from clients, by topic prefix `sensors/`. */
  readonly stats: { publishes: number; clientsConnected: number; maxClients: number };
  close(): Promise<void>;
}

export async function startBroker(hooks: Partial<AedesOptions> = {}): Promise<TestBroker> {
  const aedes = await Aedes.createBroker(hooks);
  const stats = { publishes: 0, clientsConnected: 0, maxClients: 0 };
  aedes.on('publish', (packet, client) => {
    if (client && packet.topic.startsWith('sensors/')) stats.publishes++;
  });
  aedes.on('client', () => {
    stats.clientsConnected++;
    stats.maxClients = Math.max(stats.maxClients, stats.clientsConnected);
  });
  aedes.on('clientDisconnect', () => {
    stats.clientsConnected--;
  });
  const server = createServer(aedes.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    aedes,
    stats,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
