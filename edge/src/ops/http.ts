/**
 * Operations endpoint: GET /healthz (200 when the broker listens and the outbox is open,
 * 503 otherwise, with the outbox depth) and GET /metrics (Prometheus text, the registry
 * shared by broker, outbox and forwarder; `?format=json` for prom-client's JSON form).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthReport {
  readonly ok: boolean;
  readonly [key: string]: unknown;
}

export interface OpsServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export async function startOpsServer(
  listen: { readonly host: string; readonly port: number },
  registry: Registry,
  health: () => HealthReport,
): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      let report: HealthReport;
      try {
        report = health();
      } catch (err) {
        report = { ok: false, error: String(err) };
      }
      res
        .writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify(report));
      return;
    }
    if (path === '/metrics' && (req.url ?? '').includes('format=json')) {
      // prom-client's JSON form, for consoles and tests that want numbers, not text.
      registry.getMetricsAsJSON().then(
        (json) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json)),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  server.listen(listen.port, listen.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw err;
    }),
  ]);
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
