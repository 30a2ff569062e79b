/**
 * One scenario through the whole local pipeline, start to summary: what `npm start` runs and
 * what the end-to-end tests check. The fleet sends the scenario's readings through the
 * gateway; afterwards the run waits (bounded) for the pipeline to drain, then accounts for
 * every reading and alert.
 */
import type { AlertEvent } from '@edgeflow/shared';
import {
  type ExpectedOutcome,
  expectedOutcome,
  type FleetProgress,
  type FleetSummary,
  runFleet,
  type Scenario,
  scenarioRules,
} from '@edgeflow/simulators';
import type { Logger } from 'pino';
import { persistedReadings } from './accounting.ts';
import { judge, type ObservedAlert } from './expectations.ts';
import {
  byLabel,
  type CloudAlertRecord,
  type GatewayCounters,
  scrapeGateway,
  total,
  watchCloudAlerts,
  watchEdgeAlerts,
} from './observe.ts';
import { type Pipeline, startPipeline } from './pipeline.ts';
import type { Delivery } from './webhook-sink.ts';

export interface RunOptions {
  readonly scenario: Scenario;
  readonly devices?: number;
  readonly rate?: number;
  readonly durationMs?: number;
  readonly seed: number;
  readonly lingerMs: number;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** How long to wait after the fleet for the pipeline to settle. */
  readonly drainTimeoutMs?: number;
  readonly gatewayConfig?: Readonly<Record<string, unknown>>;
  readonly cloudEnv?: Readonly<Record<string, string>>;
}

export interface RunEvents {
  onPhase?(phase: string): void;
  onFleetProgress?(progress: FleetProgress): void;
  onEdgeAlert?(event: AlertEvent): void;
  onCloudAlert?(record: CloudAlertRecord): void;
  onDelivery?(delivery: Delivery): void;
  onGatewayCounters?(counters: GatewayCounters): void;
  onPersisted?(persisted: number): void;
}

export interface RunSummary {
  readonly scenario: string;
  readonly devices: number;
  readonly seed: number;
  readonly startup: {
    readonly cloudReadyMs: number;
    readonly gatewayReadyMs: number;
    readonly firstPersistedMs: number | null;
  };
  readonly readings: {
    readonly offered: number;
    readonly acknowledged: number;
    readonly failedToSend: number;
    readonly accepted: number;
    readonly rejected: Readonly<Record<string, number>>;
    readonly persisted: number;
    readonly lost: number;
    readonly duplicated: number;
  };
  readonly batches: { readonly sent: number; readonly failed: number };
  readonly alerts: {
    readonly raised: number;
    readonly cleared: number;
    readonly delivered: number;
    readonly repeatedDeliveries: number;
    readonly seenFirstAt: Readonly<Record<string, number>>;
    readonly expectedMissed: readonly string[];
    readonly unexpected: readonly string[];
  };
  readonly rejectionMismatches: readonly string[];
  readonly fleet: FleetSummary | null;
  readonly ok: boolean;
}

const POLL_MS = 1000;

export async function runScenario(options: RunOptions, events: RunEvents = {}): Promise<RunSummary> {
  const t0 = performance.now();
  const { scenario, logger } = options;
  const rules = scenarioRules(scenario);
  const devices = options.devices ?? scenario.run.devices;
  events.onPhase?.('starting the local cloud (emulators, topology, functions) and the gateway');
  const pipeline = await startPipeline({
    devices,
    rules,
    lingerMs: options.lingerMs,
    logger,
    ...(options.gatewayConfig ? { gatewayConfig: options.gatewayConfig } : {}),
    ...(options.cloudEnv ? { cloudEnv: options.cloudEnv } : {}),
  });
  const records = new Map<string, CloudAlertRecord>();
  let counters: GatewayCounters = {};
  let persisted = 0;
  let firstPersistedMs: number | null = null;
  const stopWatching: (() => unknown)[] = [];
  try {
    const edge = await watchEdgeAlerts(pipeline.gateway.mqttUrl, pipeline.console, (e) =>
      events.onEdgeAlert?.(e),
    );
    stopWatching.push(() => edge.close());
    stopWatching.push(
      watchCloudAlerts(pipeline.db, (r) => {
        records.set(r.alertId, r);
        events.onCloudAlert?.(r);
      }),
    );
    const onDelivery = (d: Delivery) => events.onDelivery?.(d);
    pipeline.sink.events.on('delivery', onDelivery);
    stopWatching.push(() => pipeline.sink.events.off('delivery', onDelivery));

    // Counters and persisted readings, polled: cheap at this scale, and it is what an
    // operator's dashboard would do.
    const poll = async () => {
      counters = await scrapeGateway(pipeline.gateway.httpUrl).catch(() => counters);
      events.onGatewayCounters?.(counters);
      persisted = (await persistedReadings(pipeline.db).catch(() => undefined))?.unique ?? persisted;
      if (persisted > 0 && firstPersistedMs === null) firstPersistedMs = Math.round(performance.now() - t0);
      events.onPersisted?.(persisted);
    };
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await poll();
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    })();
    stopWatching.push(async () => {
      polling = false;
      await poller;
    });

    events.onPhase?.('running the fleet');
    const fleet = await runFleet(
      {
        brokerUrl: pipeline.gateway.mqttUrl,
        credentials: pipeline.credentials,
        scenario,
        devices,
        seed: options.seed,
        qos: 1,
        ...(options.rate !== undefined ? { rate: options.rate } : {}),
        ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
      },
      {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(events.onFleetProgress ? { onProgress: events.onFleetProgress } : {}),
      },
    );

    events.onPhase?.('draining: waiting for the cloud to hold every accepted reading');
    const deadline = performance.now() + (options.drainTimeoutMs ?? options.lingerMs + 20_000);
    await poll();
    while (
      performance.now() < deadline &&
      persisted < total(counters, 'edgeflow_gateway_readings_accepted_total')
    ) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      await poll();
    }
    // Alerts ride their own batches and the notifier retries: give the tail a moment.
    await new Promise((r) => setTimeout(r, Math.min(3000, options.lingerMs)));
    const final = await persistedReadings(pipeline.db);
    counters = await scrapeGateway(pipeline.gateway.httpUrl).catch(() => counters);

    const expected = expectedOutcome(scenario, {
      devices,
      seed: options.seed,
      startMs: fleet.startMs,
      credentials: pipeline.credentials,
      ...(options.rate !== undefined ? { rate: options.rate } : {}),
      ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    });
    return summarize(
      scenario,
      devices,
      options.seed,
      pipeline,
      fleet,
      counters,
      final,
      [...records.values()],
      expected,
      firstPersistedMs,
    );
  } finally {
    for (const stop of stopWatching.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    events.onPhase?.('stopping');
    await pipeline.stop();
  }
}

function summarize(
  scenario: Scenario,
  devices: number,
  seed: number,
  pipeline: Pipeline,
  fleet: FleetSummary,
  counters: GatewayCounters,
  persisted: Awaited<ReturnType<typeof persistedReadings>>,
  records: readonly CloudAlertRecord[],
  expected: ExpectedOutcome,
  firstPersistedMs: number | null,
): RunSummary {
  const accepted = total(counters, 'edgeflow_gateway_readings_accepted_total');
  const rejected = byLabel(counters, 'edgeflow_gateway_readings_rejected_total', 'reason');
  const observed: ObservedAlert[] = records.map((r) => ({
    alertId: r.alertId,
    deviceId: r.deviceId,
    metric: r.metric,
    ruleId: r.ruleId,
    raisedAtMs: r.raisedAtMs,
    clearedAtMs: r.clearedAtMs,
  }));
  const verdict = judge(expected, fleet.startMs, observed, rejected);
  const seenFirstAt: Record<string, number> = {};
  for (const r of records) seenFirstAt[r.source] = (seenFirstAt[r.source] ?? 0) + 1;
  const lost = Math.max(0, accepted - persisted.unique);
  return {
    scenario: scenario.name,
    devices,
    seed,
    startup: {
      cloudReadyMs: pipeline.timings.cloudReadyMs ?? 0,
      gatewayReadyMs: pipeline.timings.gatewayReadyMs ?? 0,
      firstPersistedMs,
    },
    readings: {
      offered: fleet.offered,
      acknowledged: fleet.acked,
      failedToSend: fleet.failed,
      accepted,
      rejected,
      persisted: persisted.unique,
      lost,
      duplicated: persisted.duplicated,
    },
    batches: {
      sent: total(counters, 'edgeflow_forwarder_batches_sent_total'),
      failed: total(counters, 'edgeflow_forwarder_batches_failed_total'),
    },
    alerts: {
      raised: records.filter((r) => r.raisedAtMs !== null).length,
      cleared: records.filter((r) => r.clearedAtMs !== null).length,
      delivered: pipeline.sink.deliveries.length,
      repeatedDeliveries: pipeline.sink.repeats,
      seenFirstAt,
      expectedMissed: verdict.missed,
      unexpected: verdict.unexpected,
    },
    rejectionMismatches: verdict.rejectionMismatches,
    fleet,
    ok:
      lost === 0 &&
      persisted.duplicated === 0 &&
      verdict.missed.length === 0 &&
      verdict.unexpected.length === 0 &&
      verdict.rejectionMismatches.length === 0,
  };
}
