/**
 * Stack configuration: the only module that reads `pulumi.Config`. Every key is read once,
 * validated against one schema plus the cross-field rules, and frozen; any problem, in any
 * key, ends up in ONE EDGEFLOW_CONFIG_INVALID error naming the config keys to fix, so an
 * operator fixes a new stack in one pass instead of one `pulumi up` per typo.
 *
 * Keys live in two namespaces: the GCP provider's own `gcp:project` / `gcp:region` (so the
 * default provider and this program can never disagree) and `edgeflow:*` for the rest.
 */
import {
  compileChecker,
  deepFreeze,
  EdgeflowError,
  ErrorCodes,
  formatProblems,
  GATEWAY_ID_PATTERN,
  type Problem,
} from '@edgeflow/shared';
import * as pulumi from '@pulumi/pulumi';
import Type, { type Static } from 'typebox';
import { Value } from 'typebox/value';
import { gatewayAccountId } from './names.ts';

/** GCP project ids: 6-30 chars, lower case letters, digits and hyphens, starting with a letter. */
const PROJECT_PATTERN = '^[a-z][a-z0-9-]{4,28}[a-z0-9]$';
/** Compute regions (`europe-west1`, `us-central1`, `northamerica-northeast2`). */
const REGION_PATTERN = '^[a-z]+(-[a-z]+)+[0-9]+$';
/** A Firestore location: a region, or a multi-region such as `nam5` / `eur3`. */
const FIRESTORE_LOCATION_PATTERN = '^([a-z]+(-[a-z]+)+[0-9]+|[a-z]{3,4}[0-9]{1,2})$';
const EMAIL_PATTERN = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';
/** An IAM member naming people or a group: never `allUsers` / `allAuthenticatedUsers`. */
const OPERATOR_MEMBER_PATTERN =
  '^(user|group|serviceAccount):[^@\\s]+@[^@\\s]+\\.[^@\\s]+$|^domain:[a-z0-9.-]+\\.[a-z]+$';

function functionSizing(defaults: { minInstances: number; maxInstances: number; memoryMb: number }) {
  return Type.Object(
    {
      /** Warm instances kept running; 0 scales to zero (cold starts, no idle cost). */
      minInstances: Type.Integer({ minimum: 0, maximum: 100, default: defaults.minInstances }),
      /** Upper bound on concurrent instances: the cost ceiling under a redelivery storm. */
      maxInstances: Type.Integer({ minimum: 1, maximum: 1000, default: defaults.maxInstances }),
      /** Memory per instance in MiB; Cloud Run functions accept 128 MiB to 32 GiB. */
      memoryMb: Type.Integer({ minimum: 128, maximum: 32768, default: defaults.memoryMb }),
    },
    { additionalProperties: false, default: {} },
  );
}

const AlertChannelSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('email'), Type.Literal('webhook')]),
    /** For `email`. */
    emailAddress: Type.Optional(Type.String({ pattern: EMAIL_PATTERN })),
    /** For `webhook`: Cloud Monitoring posts incidents here (https only). */
    url: Type.Optional(Type.String({ pattern: '^https://', maxLength: 2048 })),
  },
  { additionalProperties: false },
);

export const InfraConfigSchema = Type.Object({
  project: Type.String({ pattern: PROJECT_PATTERN }),
  region: Type.String({ pattern: REGION_PATTERN }),
  /** Defaults to `region`; must match an existing (default) database's location if one exists. */
  firestoreLocation: Type.Optional(Type.String({ pattern: FIRESTORE_LOCATION_PATTERN })),
  /** Off only for throwaway stacks: with it on, `pulumi destroy` cannot delete the readings. */
  firestoreDeleteProtection: Type.Boolean({ default: true }),
  /** Readings older than this are deleted by the Firestore TTL policy on `expireAt`. */
  retentionDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
  alertChannels: Type.Array(AlertChannelSchema, { minItems: 1, maxItems: 16 }),
  monitoring: Type.Object(
    {
      /** Alert when the telemetry subscription's oldest unacked message is older than this. */
      oldestUnackedAgeSeconds: Type.Integer({ minimum: 60, maximum: 7 * 24 * 3600, default: 600 }),
      /** Alert when this fraction of a function's requests over 5 minutes answer 5xx. */
      functionErrorRatio: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.05 }),
    },
    { additionalProperties: false, default: {} },
  ),
  /** One service account, key and gateway config per id. */
  gateways: Type.Array(Type.String({ pattern: GATEWAY_ID_PATTERN }), { maxItems: 100, default: [] }),
  /**
   * Create a service account key per gateway. Off for keyless gateways (Workload Identity
   * Federation): the credential configuration file then goes where gatewayKeyFilename says.
   */
  gatewayKeys: Type.Boolean({ default: true }),
  /** Where the gateway's credentials file will live on the gateway box (goes into its config). */
  gatewayKeyFilename: Type.String({ pattern: '^/', default: '/etc/edgeflow/pubsub-key.json' }),
  functions: Type.Object(
    {
      ingest: functionSizing({ minInstances: 0, maxInstances: 20, memoryMb: 512 }),
      notify: functionSizing({ minInstances: 0, maxInstances: 5, memoryMb: 256 }),
      triage: functionSizing({ minInstances: 0, maxInstances: 2, memoryMb: 256 }),
    },
    { additionalProperties: false, default: {} },
  ),
  /** Fleet-wide webhook notify uses for devices whose profile names no targets (secret). */
  webhookUrl: Type.Optional(Type.String({ pattern: '^https://', maxLength: 2048 })),
  /** How notify posts to webhookUrl: plain JSON, or Slack's incoming-webhook text form. */
  webhookFormat: Type.Union([Type.Literal('json'), Type.Literal('slack')], { default: 'json' }),
  /** SMTP transport for the notify function, `smtps://user:password@host:465` (secret). */
  smtpUrl: Type.Optional(Type.String({ pattern: '^smtps?://', maxLength: 2048 })),
  /** Sender address for alert emails. */
  smtpFrom: Type.Optional(Type.String({ pattern: EMAIL_PATTERN })),
  /**
   * Who may call the operator API and open the console (`roles/run.invoker` on the api
   * function, nothing else): IAM members such as `group:ops@example.com`, `user:a@example.com`.
   * Public members (`allUsers`, `allAuthenticatedUsers`) are refused.
   */
  operators: Type.Array(Type.String({ pattern: OPERATOR_MEMBER_PATTERN }), { maxItems: 50, default: [] }),
  /** Sizing of the api function (operator API and console). */
  apiFunction: functionSizing({ minInstances: 0, maxInstances: 3, memoryMb: 512 }),
});

export type AlertChannelConfig = Static<typeof AlertChannelSchema>;
export type InfraConfig = Readonly<Static<typeof InfraConfigSchema>> & { readonly firestoreLocation: string };
type ConfigField = keyof Static<typeof InfraConfigSchema>;

interface KeySpec {
  /** Full Pulumi config key, `namespace:name`. */
  readonly key: string;
  /** Parsed as JSON (numbers, booleans, lists, objects) rather than kept as a string. */
  readonly json: boolean;
  /** Shown when a required key is missing. */
  readonly example?: string;
}

/** Each schema field and the stack config key it comes from. */
export const CONFIG_KEYS: Readonly<Record<ConfigField, KeySpec>> = {
  project: { key: 'gcp:project', json: false, example: 'my-iot-project' },
  region: { key: 'gcp:region', json: false, example: 'europe-west1' },
  firestoreLocation: { key: 'edgeflow:firestoreLocation', json: false },
  firestoreDeleteProtection: { key: 'edgeflow:firestoreDeleteProtection', json: true },
  retentionDays: { key: 'edgeflow:retentionDays', json: true },
  alertChannels: {
    key: 'edgeflow:alertChannels',
    json: true,
    example: `'[{"type":"email","emailAddress":"ops@example.com"}]'`,
  },
  monitoring: { key: 'edgeflow:monitoring', json: true },
  gateways: { key: 'edgeflow:gateways', json: true },
  gatewayKeys: { key: 'edgeflow:gatewayKeys', json: true },
  gatewayKeyFilename: { key: 'edgeflow:gatewayKeyFilename', json: false },
  functions: { key: 'edgeflow:functions', json: true },
  webhookUrl: { key: 'edgeflow:webhookUrl', json: false },
  webhookFormat: { key: 'edgeflow:webhookFormat', json: false },
  smtpUrl: { key: 'edgeflow:smtpUrl', json: false },
  smtpFrom: { key: 'edgeflow:smtpFrom', json: false },
  operators: { key: 'edgeflow:operators', json: true },
  apiFunction: { key: 'edgeflow:apiFunction', json: true },
};

const checker = compileChecker<Static<typeof InfraConfigSchema>>(InfraConfigSchema, 'infra config');

/**
 * Validates raw stack config (`namespace:key` -> string, as `pulumi.runtime.allConfig()`
 * returns it). Pure, so tests call it without a Pulumi runtime. Throws EDGEFLOW_CONFIG_INVALID
 * listing every problem.
 */
export function parseInfraConfig(raw: Readonly<Record<string, string | undefined>>): InfraConfig {
  const problems: Problem[] = [];
  const fields: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(CONFIG_KEYS)) {
    const text = raw[spec.key];
    if (text === undefined) continue;
    if (!spec.json) {
      fields[field] = text;
      continue;
    }
    try {
      fields[field] = JSON.parse(text);
    } catch {
      // Echo only the start: enough to spot the typo, not enough to leak a token in a URL.
      const head = text.length > 40 ? `${text.slice(0, 40)}...` : text;
      problems.push({ path: spec.key, message: `is not valid JSON (starts ${JSON.stringify(head)})` });
    }
  }
  const known = new Set(Object.values(CONFIG_KEYS).map((s) => s.key));
  for (const key of Object.keys(raw)) {
    if (key.startsWith('edgeflow:') && !known.has(key)) {
      problems.push({ path: key, message: `is not a known key (known: ${[...known].join(', ')})` });
    }
  }
  const withDefaults = Value.Default(InfraConfigSchema, fields) as Record<string, unknown>;
  problems.push(...schemaProblems(withDefaults), ...crossFieldProblems(withDefaults));
  if (problems.length > 0) {
    throw new EdgeflowError(
      ErrorCodes.CONFIG_INVALID,
      formatProblems('invalid Pulumi stack config', problems),
      {
        problems,
      },
    );
  }
  const valid = withDefaults as Static<typeof InfraConfigSchema>;
  return deepFreeze({ ...valid, firestoreLocation: valid.firestoreLocation ?? valid.region });
}

/** Schema problems with JSON pointers rewritten to config keys, noise removed, deduplicated. */
function schemaProblems(value: unknown): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  const raw = checker.problems(value);
  const unionPaths = new Set(
    raw.filter((p) => p.message === 'must match a schema in anyOf').map((p) => p.path),
  );
  for (const p of raw) {
    // A property that additionalProperties forbids is reported twice; keep the readable one.
    if (p.message === 'schema is false') continue;
    // A failed union of literals reports each literal, then the union: keep one line.
    if (p.message === 'must be equal to constant' && unionPaths.has(p.path)) continue;
    let path = toConfigPath(p.path);
    let message = p.message;
    const missing = /^must have required properties (.+)$/.exec(message);
    if (missing && p.path === '/') {
      for (const name of (missing[1] ?? '').split(/,\s*/)) {
        const spec = CONFIG_KEYS[name as ConfigField];
        const key = spec?.key ?? name;
        push({ path: key, message: `is required (pulumi config set ${key} ${spec?.example ?? '<value>'})` });
      }
      continue;
    }
    if (missing) message = `must have ${missing[1]}`;
    if (message === 'must match a schema in anyOf') message = 'is not one of the allowed values';
    if (message === 'must not have additional properties') path = `${path} (unknown field)`;
    push({ path, message });
  }
  return out;

  function push(p: Problem): void {
    const id = `${p.path}\u0000${p.message}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push(p);
  }
}

function toConfigPath(pointer: string): string {
  const [, field = '', ...rest] = pointer.split('/');
  const key = CONFIG_KEYS[field as ConfigField]?.key ?? field;
  return [key, ...rest].join('.');
}

/** Rules a per-field schema cannot express. Runs on unvalidated data, so every read is guarded. */
function crossFieldProblems(cfg: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const functions = isRecord(cfg.functions) ? cfg.functions : {};
  for (const [name, sizing] of Object.entries(functions)) {
    if (!isRecord(sizing)) continue;
    const { minInstances, maxInstances } = sizing;
    if (typeof minInstances === 'number' && typeof maxInstances === 'number' && minInstances > maxInstances) {
      problems.push({
        path: `edgeflow:functions.${name}`,
        message: `minInstances (${minInstances}) must not exceed maxInstances (${maxInstances})`,
      });
    }
  }
  const gateways = cfg.gateways;
  if (Array.isArray(gateways)) {
    const byAccount = new Map<string, string>();
    gateways.forEach((id: unknown, i) => {
      if (typeof id !== 'string') return;
      if (gateways.indexOf(id) !== i) {
        problems.push({
          path: `edgeflow:gateways.${i}`,
          message: `duplicates gateway ${JSON.stringify(id)}`,
        });
        return;
      }
      const account = gatewayAccountId(id);
      const other = byAccount.get(account);
      if (other !== undefined) {
        problems.push({
          path: `edgeflow:gateways.${i}`,
          message: `maps to the same service account (${account}) as ${JSON.stringify(other)}`,
        });
      }
      byAccount.set(account, id);
    });
  }
  if (Array.isArray(cfg.alertChannels)) {
    cfg.alertChannels.forEach((ch, i) => {
      if (!isRecord(ch)) return;
      const path = `edgeflow:alertChannels.${i}`;
      if (ch.type === 'email' && ch.emailAddress === undefined) {
        problems.push({ path, message: 'type email needs emailAddress' });
      }
      if (ch.type === 'webhook' && ch.url === undefined)
        problems.push({ path, message: 'type webhook needs url' });
    });
  }
  if (cfg.smtpUrl !== undefined && cfg.smtpFrom === undefined) {
    problems.push({ path: CONFIG_KEYS.smtpFrom.key, message: 'is required when edgeflow:smtpUrl is set' });
  }
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the current stack's config through `pulumi.Config` and validates it. */
export function loadConfig(): InfraConfig {
  const raw: Record<string, string | undefined> = {};
  const byNamespace = new Map<string, pulumi.Config>();
  for (const { key } of Object.values(CONFIG_KEYS)) {
    const [ns = '', name = ''] = key.split(':');
    let config = byNamespace.get(ns);
    if (!config) {
      config = new pulumi.Config(ns);
      byNamespace.set(ns, config);
    }
    raw[key] = config.get(name);
  }
  // Unknown `edgeflow:*` keys are typos worth failing on; only the runtime can list them.
  for (const key of Object.keys(pulumi.runtime.allConfig())) {
    if (key.startsWith('edgeflow:') && !(key in raw)) raw[key] = '';
  }
  return parseInfraConfig(raw);
}

/** Marks a validated secret setting as a Pulumi secret at the point it becomes a resource input. */
export function secretSetting(
  cfg: InfraConfig,
  field: 'webhookUrl' | 'smtpUrl',
): pulumi.Output<string> | undefined {
  const value = cfg[field];
  return value === undefined ? undefined : pulumi.secret(value);
}
