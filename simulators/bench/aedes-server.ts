/**
 * A bare aedes broker in its own process, for load runs where the simulator's memory must
 * be measured without the broker's. Started with `fork`: sends `{ port }` once listening and
 * answers `stats` messages with `{ publishes, clients, rssBytes }`.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { Aedes } from 'aedes';

const aedes = await Aedes.createBroker();
let publishes = 0;
let clients = 0;
aedes.on('publish', (_packet, client) => {
  if (client) publishes++;
});
aedes.on('client', () => clients++);
aedes.on('clientDisconnect', () => clients--);
const server = createServer(aedes.handle);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
if (process.send) {
  process.send({ port });
  process.on('message', (msg) => {
    if (msg === 'stats') process.send?.({ publishes, clients, rssBytes: process.memoryUsage.rss() });
  });
  process.on('disconnect', () => process.exit(0));
} else {
  process.stdout.write(`aedes listening on mqtt://127.0.0.1:${port}\n`);
}
