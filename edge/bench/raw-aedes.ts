/**
 * Baseline for `npm run bench:edge`: aedes as it comes (default options, in-memory
 * persistence, no hooks), on 127.0.0.1 at a free port. Prints `ready <port>`; exits on SIGTERM.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const aedes = await Aedes.createBroker();
const server = createServer(aedes.handle);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  aedes.close(() => process.exit(0));
});
