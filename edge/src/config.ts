/**
 * The gateway config: one YAML or JSON file plus `EDGEFLOW_GATEWAY_*` environment overrides
 * (`EDGEFLOW_GATEWAY_MQTT__PORT=1884`), validated once at start-up with one error listing
 * every problem, then frozen. The `outbox` and `forwarder` sections are owned by those
 * modules; they are validated here with their schemas so an operator sees every problem in
 * one go. See edge/gateway.example.yaml for a commented example.
 */
import { readFileSync } from 'node:fs';
import {
  buildConfig,
  DEFAULT_RULES,
  DeviceIdSchema,
  deepFreeze,
  EdgeflowError,
  ErrorCodes,
  GatewayIdSchema,
  type Problem,
  RuleSetSchema,
  validateRules,
} from '@edgeflow/shared';
import Type, { type Static } from 'typebox';
import { parse as parseYaml } from 'yaml';
import { MQTT_MAX_PACKET_BYTES } from './broker/limits/packet-guard.ts';
import { type ForwarderConfig, ForwarderConfigSchema, resolveForwarderTopic } from './forwarder/config.ts';
import { OutboxConfigSchema } from './outbox/config.ts';
import { LoginThrottleConfigSchema } from './registry/login-throttle.ts';
import { CredentialSchema } from './registry/store.ts';

export const ENV_PREFIX = 'EDGEFLOW_GATEWAY_';

const Port = (fallback: number) => Type.Integer({ minimum: 0, maximum: 65_535, default: fallback });

export const GatewayConfigSchema = Type.Object(
  {
    gatewayId: GatewayIdSchema,
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    mqtt: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '0.0.0.0' }),
        port: Port(1883),
        tls: Type.Optional(
          Type.Object(
            {
              port: Port(8883),
              certFile: Type.String({ minLength: 1 }),
              keyFile: Type.String({ minLength: 1 }),
            },
            { additionalProperties: false },
          ),
        ),
        /** Per-subscriber delivery bounds; see broker/slow-clients.ts. */
        slowClient: Type.Object(
          {
            maxQueuedMessages: Type.Integer({ minimum: 1, default: 1000 }),
            maxBufferedBytes: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
            undrainedTimeoutMs: Type.Integer({ minimum: 10, default: 5000 }),
          },
          { additionalProperties: false, default: {} },
        ),
        /** Concurrent scrypt verifications (each on a worker thread of its own, never libuv's pool). */
        maxConcurrentAuth: Type.Integer({ minimum: 1, default: 4 }),
        /** CONNECTs queued for a verification; beyond this they get "server unavailable". */
        maxQueuedAuth: Type.Integer({ minimum: 0, default: 20_000 }),
        /** false: TLS only (needs `tls`), no plaintext listener. */
        plaintext: Type.Boolean({ default: true }),
        /** Connection and packet limits; see broker/limits/ and gateway.example.yaml. */
        limits: Type.Object(
          {
            maxConnectPacketBytes: Type.Integer({
              minimum: 64,
              maximum: MQTT_MAX_PACKET_BYTES,
              default: 4096,
            }),
            /** Default: ingest.maxPayloadBytes + topic and header allowance (derivedMaxPacketBytes). */
            maxPacketBytes: Type.Optional(Type.Integer({ minimum: 64, maximum: MQTT_MAX_PACKET_BYTES })),
            connectTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
            /** Per listener. */
            maxConnections: Type.Integer({ minimum: 1, default: 10_000 }),
            maxSubscriptionsPerClient: Type.Integer({ minimum: 1, default: 100 }),
            tlsHandshakeTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
          },
          { additionalProperties: false, default: {} },
        ),
        /** Sessions and retained state; see broker/sessions.ts and broker/persistence/. */
        clientIdPolicy: Type.Union([Type.Literal('exact'), Type.Literal('prefix')], { default: 'exact' }),
        maxSessionsPerIdentity: Type.Integer({ minimum: 1, default: 4 }),
        sessionExpiryMs: Type.Integer({ minimum: 100, default: 24 * 3_600_000 }),
        maxQueuedPerSession: Type.Integer({ minimum: 1, default: 1000 }),
        maxQueuedBytesPerSession: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
        maxRetainedMessages: Type.Integer({ minimum: 1, default: 100_000 }),
        maxRetainedBytes: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024 }),
        /** Failed-login back-off and bans per source address and per user; see registry/login-throttle.ts. */
        loginThrottle: LoginThrottleConfigSchema,
      },
      { additionalProperties: false, default: {} },
    ),
    /** Dev only: accept clients without credentials (logged loudly at start-up). */
    allowAnonymous: Type.Boolean({ default: false }),
    registryFile: Type.String({ minLength: 1 }),
    /** How often the registry file is checked for changes made by `devices add/remove`. */
    registryPollMs: Type.Integer({ minimum: 100, default: 2000 }),
    /** Operator accounts kept in the config rather than the registry (hash made by `devices hash`). */
    operators: Type.Record(DeviceIdSchema, CredentialSchema, { default: {} }),
    rules: Type.Object(
      {
        /** Rules per metric for every device; the shared fleet defaults when absent. */
        defaults: Type.Optional(RuleSetSchema),
        /** Per-device overrides, merged over the defaults by rule id. */
        devices: Type.Record(DeviceIdSchema, RuleSetSchema, { default: {} }),
        /** Staleness is evaluated on this tick. */
        tickMs: Type.Integer({ minimum: 10, default: 1000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    ingest: Type.Object(
      {
        maxPayloadBytes: Type.Integer({ minimum: 16, maximum: 1024 * 1024, default: 4096 }),
        maxFutureSkewMs: Type.Integer({ minimum: 0, default: 5 * 60_000 }),
        maxPastAgeMs: Type.Integer({ minimum: 0, default: 7 * 24 * 3_600_000 }),
        maxMetricsPerMessage: Type.Integer({ minimum: 1, maximum: 1000, default: 64 }),
        /** Log lines per second about rejected input (the counters count everything). */
        rejectLogPerSec: Type.Number({ minimum: 0, default: 5 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Per-device limits, so one device cannot crowd out the others (fairness/). */
    fairness: Type.Object(
      {
        /** Readings per second per device; beyond, messages are refused (rate_limited), still acked. */
        readingsPerSec: Type.Number({ exclusiveMinimum: 0, default: 1000 }),
        /** At least ingest.maxMetricsPerMessage: a message takes one token per reading. */
        readingsBurst: Type.Integer({ minimum: 1, default: 2000 }),
        /** Rule transitions emitted per second per device; beyond, suppressed (counted). */
        transitionsPerSec: Type.Number({ exclusiveMinimum: 0, default: 1 }),
        transitionsBurst: Type.Integer({ minimum: 1, default: 30 }),
        /** Devices with buckets of their own; beyond, they share one overflow bucket (counted). */
        maxDevices: Type.Integer({ minimum: 1, default: 100_000 }),
        /** Readings of one device in the outbox not yet acknowledged upstream; beyond, refused (outbox_quota). */
        maxUnsentReadingsPerDevice: Type.Integer({ minimum: 1, default: 1_000_000 }),
        /** Open episodes whose raise was suppressed (so their clear is too); beyond, raises go out. */
        maxSuppressedEpisodes: Type.Integer({ minimum: 1, default: 100_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Readings a device sends twice are stored once (dedup/). */
    dedup: Type.Object(
      {
        /**
         * QoS 1 publishes remembered per client for retransmissions (DUP): at least the
         * publishes a device may have unacknowledged at once (mqtt.js sends them all again).
         */
        retransmitsPerClient: Type.Integer({ minimum: 1, maximum: 65_535, default: 64 }),
        maxClients: Type.Integer({ minimum: 1, default: 100_000 }),
        /** Device-timestamped readings remembered per (device, metric) for same-reading drops; 0 turns it off. */
        readingsPerSeries: Type.Integer({ minimum: 0, maximum: 1024, default: 16 }),
        maxSeries: Type.Integer({ minimum: 1, default: 200_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Port(9464),
      },
      { additionalProperties: false, default: {} },
    ),
    outbox: OutboxConfigSchema,
    forwarder: ForwarderConfigSchema,
  },
  { additionalProperties: false },
);
export type GatewayConfig = Readonly<
  Omit<Static<typeof GatewayConfigSchema>, 'forwarder'> & { readonly forwarder: ForwarderConfig }
>;

/** Validates a parsed config object (plus env overrides); throws one EDGEFLOW_CONFIG_INVALID. */
export function gatewayConfigFrom(
  file: unknown,
  env: Readonly<Record<string, string | undefined>> = {},
  source?: string,
): GatewayConfig {
  const config = buildConfig({ schema: GatewayConfigSchema, file, env, envPrefix: ENV_PREFIX, source });
  // Rule meaning (a clear band on the wrong side, a hold in seconds) is beyond the schema.
  const problems: Problem[] = [];
  collectRuleProblems(config.rules.defaults, '/rules/defaults', problems);
  for (const [device, set] of Object.entries(config.rules.devices)) {
    collectRuleProblems(set, `/rules/devices/${device}`, problems);
  }
  if (config.fairness.readingsBurst < config.ingest.maxMetricsPerMessage) {
    problems.push({
      path: '/fairness/readingsBurst',
      message: `must be at least /ingest/maxMetricsPerMessage (${config.ingest.maxMetricsPerMessage}), or the largest message could never pass`,
    });
  }
  if (config.fairness.maxUnsentReadingsPerDevice < config.ingest.maxMetricsPerMessage) {
    problems.push({
      path: '/fairness/maxUnsentReadingsPerDevice',
      message: `must be at least /ingest/maxMetricsPerMessage (${config.ingest.maxMetricsPerMessage})`,
    });
  }
  if (
    config.mqtt.plaintext &&
    config.mqtt.tls &&
    config.mqtt.tls.port === config.mqtt.port &&
    config.mqtt.port !== 0
  ) {
    problems.push({ path: '/mqtt/tls/port', message: 'must differ from /mqtt/port' });
  }
  if (!config.mqtt.plaintext && !config.mqtt.tls) {
    problems.push({ path: '/mqtt/plaintext', message: 'may be false only with /mqtt/tls configured' });
  }
  const { maxPacketBytes } = config.mqtt.limits;
  if (maxPacketBytes !== undefined && maxPacketBytes < config.ingest.maxPayloadBytes) {
    problems.push({
      path: '/mqtt/limits/maxPacketBytes',
      message: 'must be at least /ingest/maxPayloadBytes (plus the topic)',
    });
  }
  for (const scope of ['perAddress', 'perUser'] as const) {
    const policy = config.mqtt.loginThrottle[scope];
    if (policy.maxDelayMs < policy.baseDelayMs) {
      problems.push({ path: `/mqtt/loginThrottle/${scope}/maxDelayMs`, message: 'must be >= baseDelayMs' });
    }
  }
  const topic = resolveForwarderTopic(config.gatewayId, config.forwarder.topic);
  if ('problem' in topic) problems.push(topic.problem);
  if (problems.length > 0 || 'problem' in topic) {
    const where = source ? ` (${source})` : '';
    throw new EdgeflowError(
      ErrorCodes.CONFIG_INVALID,
      `invalid config${where}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
      { problems },
    );
  }
  return deepFreeze({ ...config, forwarder: { ...config.forwarder, topic: topic.topic } });
}

/** Reads a YAML or JSON file (YAML is a superset of JSON) and validates it with `env`. */
export function loadGatewayConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EdgeflowError(ErrorCodes.CONFIG_INVALID, `cannot read config file ${path}`, { cause: err });
  }
  let file: unknown;
  try {
    file = parseYaml(text);
  } catch (err) {
    throw new EdgeflowError(
      ErrorCodes.CONFIG_INVALID,
      `config file ${path} is not YAML/JSON: ${String(err)}`,
      {
        cause: err,
      },
    );
  }
  return gatewayConfigFrom(file, env, path);
}

/** The rule set in force: the configured defaults, or the shared fleet defaults. */
export function effectiveDefaultRules(config: GatewayConfig) {
  return config.rules.defaults ?? DEFAULT_RULES;
}

function collectRuleProblems(set: unknown, path: string, problems: Problem[]): void {
  if (set === undefined) return;
  try {
    validateRules(set as Static<typeof RuleSetSchema>);
  } catch (err) {
    if (err instanceof EdgeflowError) {
      for (const p of err.problems)
        problems.push({ path: `${path}${p.path === '/' ? '' : p.path}`, message: p.message });
      if (err.problems.length === 0) problems.push({ path, message: err.message });
    } else {
      throw err;
    }
  }
}
