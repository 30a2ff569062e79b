/**
 * Renders the OpenAPI 3.1 document of the /v1 API from the contract's schemas, so the file
 * the console and users read (openapi.json, committed) cannot drift from the types the code
 * compiles against: a test renders it again and compares. `node cloud/src/api/openapi.ts`
 * rewrites the file.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTRACT_SCHEMAS, type ContractSchemaName } from './contract.ts';

export const OPENAPI_PATH = join(dirname(fileURLToPath(import.meta.url)), 'openapi.json');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** TypeBox schemas are JSON Schema; this drops anything JSON cannot carry. */
function plain(schema: unknown): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}

const ref = (name: ContractSchemaName): Json => ({ $ref: `#/components/schemas/${name}` });

function json(description: string, name: ContractSchemaName): Json {
  return { description, content: { 'application/json': { schema: ref(name) } } };
}

const errors = (...statuses: number[]): Record<string, Json> => {
  const text: Record<number, string> = {
    400: 'invalid parameters; every problem is listed',
    404: 'no such resource',
    409: 'illegal transition',
    422: 'the request would read more documents than the per-request cap',
    503: 'too many concurrent streams',
  };
  return Object.fromEntries(statuses.map((s) => [String(s), json(text[s] ?? 'error', 'ErrorResponse')]));
};

function param(
  name: string,
  where: 'query' | 'path',
  description: string,
  schema: Json = { type: 'string' },
): Json {
  return { name, in: where, required: where === 'path', description, schema };
}

const cursor = param('cursor', 'query', 'opaque cursor from the previous page');
const limit = (max: number, dflt: number): Json =>
  param('limit', 'query', `page size, 1..${max}`, {
    type: 'integer',
    minimum: 1,
    maximum: max,
    default: dflt,
  });
const id = (what: string): Json => param('id', 'path', what);
const noteBody: Json = {
  required: false,
  content: { 'application/json': { schema: ref('AlertActionBody') } },
};

export function buildOpenApi(): Json {
  const paths: Record<string, Json> = {
    '/v1/devices': {
      get: {
        operationId: 'listDevices',
        summary:
          'Every known device with its last values, state and open alert count (from the latest shards).',
        parameters: [
          param('site', 'query', 'only devices of this site'),
          param('state', 'query', 'only devices in this state', {
            type: 'string',
            enum: ['ok', 'alerting', 'stale', 'unregistered'],
          }),
          limit(1000, 200),
          cursor,
        ],
        responses: {
          '200': json('a page of devices, sorted by device id', 'DeviceList'),
          ...errors(400, 422),
        },
      },
    },
    '/v1/devices/{id}': {
      get: {
        operationId: 'getDevice',
        summary:
          'The device as the list shows it, and the rules in force per metric as ingest evaluates them (thresholds to draw).',
        parameters: [id('device id')],
        responses: { '200': json('the device', 'DeviceDetail'), ...errors(400, 404) },
      },
    },
    '/v1/devices/{id}/series/{metric}': {
      get: {
        operationId: 'getSeries',
        summary: 'A series from the hour buckets, deduplicated by (gateway, seq), downsampled on the server.',
        parameters: [
          id('device id'),
          param('metric', 'path', 'metric name'),
          param('start', 'query', 'ISO 8601 or epoch ms; default end - 1 h'),
          param('end', 'query', 'ISO 8601 or epoch ms, exclusive; default now'),
          param(
            'interval',
            'query',
            'bucket width: ms, or 30s / 1m / 1h / 1d; absent = raw (ranges up to 1 h)',
          ),
          param('agg', 'query', 'aggregate per interval', {
            type: 'string',
            enum: ['avg', 'min', 'max', 'last', 'count'],
            default: 'avg',
          }),
        ],
        responses: { '200': json('columns, uPlot-ready', 'Series'), ...errors(400, 404, 422) },
      },
    },
    '/v1/alerts': {
      get: {
        operationId: 'listAlerts',
        summary: 'Alert records, newest first (sorted before limiting).',
        parameters: [
          param('state', 'query', 'open | acknowledged | resolved', {
            type: 'string',
            enum: ['open', 'acknowledged', 'resolved'],
          }),
          param('device', 'query', 'device id'),
          param('severity', 'query', 'info | warning | critical', {
            type: 'string',
            enum: ['info', 'warning', 'critical'],
          }),
          limit(500, 100),
          cursor,
        ],
        responses: { '200': json('a page of alerts', 'AlertList'), ...errors(400) },
      },
    },
    '/v1/alerts/{id}': {
      get: {
        operationId: 'getAlert',
        summary: 'One alert and its append-only event history.',
        parameters: [id('alert id')],
        responses: {
          '200': json('the alert (a fold of its events) and the events', 'AlertDetail'),
          ...errors(404),
        },
      },
    },
    '/v1/alerts/{id}:ack': {
      post: {
        operationId: 'ackAlert',
        summary:
          'Acknowledge an open alert. Idempotent: acknowledging an acknowledged alert changes nothing.',
        parameters: [id('alert id')],
        requestBody: noteBody,
        responses: {
          '200': json('the alert after the action', 'AlertActionResult'),
          ...errors(400, 404, 409),
        },
      },
    },
    '/v1/alerts/{id}:resolve': {
      post: {
        operationId: 'resolveAlert',
        summary: 'Resolve an open or acknowledged alert; resolving a resolved alert is a 409.',
        parameters: [id('alert id')],
        requestBody: noteBody,
        responses: {
          '200': json('the alert after the action', 'AlertActionResult'),
          ...errors(400, 404, 409),
        },
      },
    },
    '/v1/dead-letters': {
      get: {
        operationId: 'listDeadLetters',
        summary: 'Dead letters, newest first.',
        parameters: [
          param('state', 'query', 'open | replayed', { type: 'string', enum: ['open', 'replayed'] }),
          limit(500, 100),
          cursor,
        ],
        responses: { '200': json('a page of dead letters', 'DeadLetterList'), ...errors(400) },
      },
    },
    '/v1/dead-letters/{id}': {
      get: {
        operationId: 'getDeadLetter',
        summary: 'One dead letter with a payload preview.',
        parameters: [id('dead letter id')],
        responses: { '200': json('the dead letter', 'DeadLetterDetail'), ...errors(404) },
      },
    },
    '/v1/dead-letters/{id}:replay': {
      post: {
        operationId: 'replayDeadLetter',
        summary: 'Republish the stored message to its source topic.',
        parameters: [id('dead letter id')],
        responses: { '200': json('the republished message', 'ReplayResult'), ...errors(404, 409) },
      },
    },
    '/v1/gateways': {
      get: {
        operationId: 'listGateways',
        summary: 'Per gateway: last batch, uplink lag, health carried in its batches, sequence gaps.',
        parameters: [],
        responses: { '200': json('every gateway', 'GatewayList'), ...errors(422) },
      },
    },
    '/v1/stream': {
      get: {
        operationId: 'stream',
        summary:
          'Server-Sent Events: `alert` (data: StreamAlertEvent) on every alert transition after connect, ' +
          '`latest` (data: StreamLatestEvent) for every latest value persisted; a `: heartbeat` comment every heartbeat interval.',
        parameters: [],
        responses: {
          '200': {
            description: 'an event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errors(503),
        },
      },
    },
  };
  const schemas: Record<string, Json> = {};
  for (const [name, schema] of Object.entries(CONTRACT_SCHEMAS)) schemas[name] = plain(schema);
  return {
    openapi: '3.1.0',
    info: {
      title: 'edgeflow operator API',
      version: '1.0.0',
      description:
        'Read/act API over Firestore, served by the `api` function. Private in GCP (IAM invoker only); ' +
        'locally on 127.0.0.1. Every request reads at most EDGEFLOW_API_MAX_READS documents.',
    },
    servers: [{ url: '/' }],
    paths,
    components: { schemas },
  };
}

export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}

if (import.meta.main) {
  writeFileSync(OPENAPI_PATH, renderOpenApi());
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
}
