/**
 * The /v1 router: matches a route, builds the request context (read budget, clock, actor),
 * runs the handler and writes JSON; every error becomes `{ error: { code, message,
 * problems } }` with its status (errors.ts), and unexpected ones a logged 500 that reveals
 * nothing. Anything outside /v1 is the console (static.ts).
 */
import type { Clock } from '@edgeflow/shared';
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Logger } from 'pino';
import { actOnAlert, getAlert, listAlerts } from './alerts.ts';
import type { ApiConfig } from './config.ts';
import type { RequestContext } from './context.ts';
import type { AlertActionResult, ErrorResponse } from './contract.ts';
import { getDeadLetter, listDeadLetters, replayDeadLetter } from './dead-letters.ts';
import { getDevice } from './device.ts';
import { listDevices } from './devices.ts';
import { ApiError, ApiErrorCodes } from './errors.ts';
import { listGateways } from './gateways.ts';
import { actorOf } from './identity.ts';
import type { OpenAlertIndex } from './open-alerts.ts';
import type { AlertReads, DeadLetterOps, FleetReads, GatewayReads } from './ports.ts';
import type { ProfileCatalog } from './profiles.ts';
import { ReadBudget } from './read-budget.ts';
import { getSeries } from './series.ts';
import { serveConsole } from './static.ts';
import type { StreamHub } from './stream.ts';

export const READS_HEADER = 'X-Edgeflow-Doc-Reads';

export interface ApiDeps {
  readonly config: ApiConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly fleet: FleetReads;
  readonly profiles: ProfileCatalog;
  readonly openAlerts: OpenAlertIndex;
  readonly alerts: AlertReads;
  readonly deadLetters: DeadLetterOps;
  readonly gateways: GatewayReads;
  readonly stream: StreamHub;
}

type Handler = (ctx: RequestContext, deps: ApiDeps) => Promise<unknown>;

/** ack/resolve, then drop this instance's open-alert counts: the next list shows the change. */
async function act(
  ctx: RequestContext,
  deps: ApiDeps,
  action: 'ack' | 'resolve',
): Promise<AlertActionResult> {
  const result = await actOnAlert(ctx, deps.alerts, action);
  if (result.changed) deps.openAlerts.invalidate();
  return result;
}

interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: Handler | 'stream';
}

const SEGMENT = '([^/]+)';
const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^\/v1\/devices$/,
    names: [],
    handler: (c, d) => listDevices(c, { reads: d.fleet, profiles: d.profiles, openAlerts: d.openAlerts }),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/devices/${SEGMENT}$`),
    names: ['id'],
    handler: (c, d) => getDevice(c, { reads: d.fleet, profiles: d.profiles }),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/devices/${SEGMENT}/series/${SEGMENT}$`),
    names: ['id', 'metric'],
    handler: (c, d) =>
      getSeries(c, { reads: d.fleet, profiles: d.profiles, bucketWindowMs: d.config.bucketWindowMs }),
  },
  { method: 'GET', pattern: /^\/v1\/alerts$/, names: [], handler: (c, d) => listAlerts(c, d.alerts) },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/alerts/${SEGMENT}:ack$`),
    names: ['id'],
    handler: (c, d) => act(c, d, 'ack'),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/alerts/${SEGMENT}:resolve$`),
    names: ['id'],
    handler: (c, d) => act(c, d, 'resolve'),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/alerts/${SEGMENT}$`),
    names: ['id'],
    handler: (c, d) => getAlert(c, d.alerts),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/dead-letters$/,
    names: [],
    handler: (c, d) => listDeadLetters(c, d.deadLetters),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/dead-letters/${SEGMENT}:replay$`),
    names: ['id'],
    handler: (c, d) => replayDeadLetter(c, d.deadLetters),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/dead-letters/${SEGMENT}$`),
    names: ['id'],
    handler: (c, d) => getDeadLetter(c, d.deadLetters),
  },
  { method: 'GET', pattern: /^\/v1\/gateways$/, names: [], handler: (c, d) => listGateways(c, d.gateways) },
  { method: 'GET', pattern: /^\/v1\/stream$/, names: [], handler: 'stream' },
];

/** Percent-decodes each segment (an id may arrive with `:` as %3A); a bad escape is kept as is. */
function decodePath(raw: string): string {
  return raw
    .split('/')
    .map((s) => {
      try {
        return decodeURIComponent(s).replaceAll('/', '%2F');
      } catch {
        return s;
      }
    })
    .join('/');
}

function sendError(res: Response, err: ApiError, reads?: number): void {
  const body: ErrorResponse = {
    error: { code: err.code, message: err.message, problems: [...err.problems] },
  };
  if (reads !== undefined) res.setHeader(READS_HEADER, String(reads));
  res.setHeader('Cache-Control', 'no-store');
  res.status(err.status).json(body);
}

export function createApiHandler(deps: ApiDeps): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.originalUrl || req.url, 'http://localhost');
    const path = url.pathname;
    if (path !== '/v1' && !path.startsWith('/v1/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendError(
          res,
          new ApiError(ApiErrorCodes.METHOD_NOT_ALLOWED, `${req.method} is not served outside /v1`),
        );
        return;
      }
      await serveConsole(deps.config.consoleDir, path, res);
      return;
    }
    const decoded = decodePath(path);
    const matching = ROUTES.filter((r) => r.pattern.test(decoded));
    const route = matching.find((r) => r.method === req.method);
    if (!route) {
      sendError(
        res,
        matching.length > 0
          ? new ApiError(
              ApiErrorCodes.METHOD_NOT_ALLOWED,
              `${req.method} ${path}: allowed ${matching.map((r) => r.method).join(', ')}`,
            )
          : new ApiError(ApiErrorCodes.NOT_FOUND, `no route ${req.method} ${path} (see /v1 in openapi.json)`),
      );
      return;
    }
    const m = route.pattern.exec(decoded) as RegExpExecArray;
    const params: Record<string, string> = {};
    route.names.forEach((n, i) => {
      params[n] = m[i + 1] as string;
    });
    const budget = new ReadBudget(deps.config.maxReads);
    const key = req.headers['idempotency-key'];
    const ctx: RequestContext = {
      params,
      query: Object.fromEntries(
        [...new Set(url.searchParams.keys())].map((k) => {
          const all = url.searchParams.getAll(k);
          return [k, all.length === 1 ? all[0] : all];
        }),
      ),
      body: req.body,
      budget,
      nowMs: deps.clock.nowMs(),
      actor: actorOf(req.headers, deps.config.trustGoogleIdentity, deps.config.localOperator),
      requestKey: typeof key === 'string' && key.length > 0 ? key.slice(0, 200) : null,
      config: deps.config,
    };
    try {
      if (route.handler === 'stream') {
        deps.stream.open(req, res, ctx.nowMs);
        return;
      }
      const body = await route.handler(ctx, deps);
      res.setHeader(READS_HEADER, String(budget.total));
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).json(body);
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.status >= 500) deps.logger.warn({ code: err.code, path }, err.message);
        sendError(res, err, budget.total);
        return;
      }
      deps.logger.error({ err, path, method: req.method }, 'api request failed');
      sendError(res, new ApiError(ApiErrorCodes.INTERNAL, 'internal error (logged)'), budget.total);
    }
  };
}
