/**
 * Scenarios through the whole local pipeline, start to summary: what `npm start` runs (one
 * scenario) and what the end-to-end suite checks (every shipped scenario at once, each on
 * its own slice of the fleet with its own rules). The fleets send their readings through
 * the gateway; afterwards the run waits (bounded) for the pipeline to drain, then accounts
 * for every reading and alert.
 */
import type { AlertEvent, RuleSet } from '@edgeflow/shared';
import {
  type CredentialsFile,
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
import { judgeAlerts, judgeRejections, type ObservedAlert } from './expectations.ts';
import {
  byLabel,
  type CloudAlertRecord,
  type GatewayCounters,
  scrapeGateway,
  total,
  watchCloudAlerts,
  watchEdgeAlerts,
} from './observe.ts';
import { type Pipeline, type PipelineOptions, startPipeline } from './pipeline.ts';
import type { Delivery } from './webhook-sink.ts';

export interface ScenarioRun {
  readonly scenario: Scenario;
  /** Default: the scenario's own run. */
  readonly devices?: number;
  readonly rate?: number;
  readonly durationMs?: number;
}

export interface RunOptions {
  readonly runs: readonly ScenarioRun[];
  readonly seed: number;
  readonly lingerMs: number;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** How long to wait after the fleets for the pipeline to settle; default linger + 20 s. */
  readonly drainTimeoutMs?: number;
  readonly gatewayConfig?: PipelineOptions['gatewayConfig'];
  readonly cloudEnv?: PipelineOptions['cloudEnv'];
  /**
   * After the scenario is judged, the pipeline (and the console) stay up, still observed,
   * until this resolves; then it stops as usual. `npm start` holds until Ctrl-C.
   */
  readonly keepRunning?: (summary: RunSummary) => Promise<void>;
}

/** Where a person (or a browser test) reaches the running local cloud. */
export interface CloudReady {
  /** The web console, served by the api function at `/`; null when that function is not served. */
  readonly consoleUrl: string | null;
  readonly firestoreHost: string;
  readonly projectId: string;
}

export interface RunEvents {
  onPhase?(phase: string): void;
  onCloudReady?(ready: CloudReady): void;
  onFleetProgress?(progress: FleetProgress, runIndex: number): void;
  onEdgeAlert?(event: AlertEvent): void;
  onCloudAlert?(record: CloudAlertRecord): void;
  onDelivery?(delivery: Delivery): void;
  onGatewayCounters?(counters: GatewayCounters): void;
  onPersisted?(persisted: number): void;
  /** Firestore writes by ingest so far, as it reports them with each batch. */
  onFirestoreWrites?(total: number): void;
}

export interface ScenarioVerdict {
  readonly scenario: string;
  readonly devices: number;
  readonly offered: number;
  readonly acknowledged: number;
  readonly alertsRaised: number;
  readonly expectedMissed: readonly string[];
  readonly unexpected: readonly string[];
}

export interface RunSummary {
  readonly scenarios: readonly ScenarioVerdict[];
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
    /** Readings the devices sent twice, acknowledged and dropped by the gateway (edge/src/dedup), by reason. */
    readonly duplicatesDropped: Readonly<Record<string, number>>;
    /** Copies the fleets sent on purpose (the scenarios' `duplicate` events). */
    readonly duplicatesByDesign: number;
    readonly persisted: number;
    readonly lost: number;
    readonly duplicated: number;
  };
  readonly batches: { readonly sent: number; readonly failed: number };
  /** Document writes by ingest (readings and latest view; notify's alert records not included). */
  readonly firestore: { readonly ingestWrites: number; readonly writesPerReading: number };
  readonly alerts: {
    readonly raised: number;
    readonly cleared: number;
    readonly delivered: number;
    readonly repeatedDeliveries: number;
    /** Transitions recorded in Firestore that no webhook delivery carried. */
    readonly undelivered: readonly string[];
    /** Webhook deliveries of transitions Firestore has no record of. */
    readonly unrecordedDeliveries: readonly string[];
    readonly seenFirstAt: Readonly<Record<string, number>>;
    readonly expectedMissed: readonly string[];
    readonly unexpected: readonly string[];
  };
  readonly rejectionMismatches: readonly string[];
  readonly ok: boolean;
}

const POLL_MS = 1000;
/** After the readings landed: at least this long for the alert tail, at most the timeout. */
const ALERT_TAIL_MIN_MS = 1000;
const ALERT_TAIL_TIMEOUT_MS = 30_000;

/** `<alertId>:raised|cleared` of every transition recorded at or before `endMs`. */
function transitionsWithin(records: Iterable<CloudAlertRecord>, endMs: number): Set<string> {
  const transitions = new Set<string>();
  for (const r of records) {
    if (r.raisedAtMs !== null && r.raisedAtMs <= endMs) transitions.add(`${r.alertId}:raised`);
    if (r.clearedAtMs !== null && r.clearedAtMs <= endMs) transitions.add(`${r.alertId}:cleared`);
  }
  return transitions;
}

/** Webhook deliveries of transitions at or before `endMs`, counted per transition. */
function deliveredTransitions(deliveries: Iterable<{ body: unknown }>, endMs: number): Map<string, number> {
  const delivered = new Map<string, number>();
  for (const d of deliveries) {
    const body = d.body as { type?: string; alert?: AlertEvent };
    if (body.type !== 'edgeflow.alert' || !body.alert || body.alert.tsMs > endMs) continue;
    const key = `${body.alert.alertId}:${body.alert.kind}`;
    delivered.set(key, (delivered.get(key) ?? 0) + 1);
  }
  return delivered;
}

/** Transitions recorded but not delivered, plus delivered but not (yet) recorded. */
function unmatchedTransitions(
  records: Iterable<CloudAlertRecord>,
  deliveries: Iterable<{ body: unknown }>,
  endMs: number,
): number {
  const delivered = deliveredTransitions(deliveries, endMs);
  const recorded = transitionsWithin(records, endMs);
  let unmatched = 0;
  for (const t of recorded) if (!delivered.has(t)) unmatched++;
  for (const t of delivered.keys()) if (!recorded.has(t)) unmatched++;
  return unmatched;
}

interface Slice {
  readonly run: ScenarioRun;
  readonly from: number;
  readonly devices: number;
  readonly rules: RuleSet;
}

export async function runScenarios(options: RunOptions, events: RunEvents = {}): Promise<RunSummary> {
  const t0 = performance.now();
  const slices: Slice[] = [];
  let fleetSize = 0;
  for (const run of options.runs) {
    const devices = run.devices ?? run.scenario.run.devices;
    slices.push({ run, from: fleetSize, devices, rules: scenarioRules(run.scenario) });
    fleetSize += devices;
  }
  const sliceOf = (index: number) =>
    slices.find((s) => index >= s.from && index < s.from + s.devices) as Slice;

  events.onPhase?.('starting the local cloud (emulators, topology, functions) and the gateway');
  let firestoreWrites = 0;
  const pipeline = await startPipeline({
    onFunctionLine: (fn, line) => {
      if (fn !== 'ingest' || !line.includes('firestoreWritesTotal')) return;
      try {
        const total = (JSON.parse(line) as { firestoreWritesTotal?: number }).firestoreWritesTotal ?? 0;
        firestoreWrites = Math.max(firestoreWrites, total);
        events.onFirestoreWrites?.(firestoreWrites);
      } catch {
        // Not a JSON log line: nothing to count.
      }
    },
    devices: fleetSize,
    rules: slices.length === 1 ? (slices[0] as Slice).rules : (i) => sliceOf(i).rules,
    lingerMs: options.lingerMs,
    logger: options.logger,
    ...(options.gatewayConfig ? { gatewayConfig: options.gatewayConfig } : {}),
    ...(options.cloudEnv ? { cloudEnv: options.cloudEnv } : {}),
  });
  const apiUrl = pipeline.cloud.functionUrls.api as string | undefined;
  events.onCloudReady?.({
    consoleUrl: apiUrl ? `${apiUrl}/` : null,
    firestoreHost: pipeline.cloud.firestoreHost,
    projectId: pipeline.cloud.projectId,
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

    // Counters and persisted readings, polled, as an operator's dashboard would.
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
    const fleets = await Promise.all(
      slices.map((slice, k) =>
        runFleet(fleetInput(slice, pipeline, options.seed), {
          ...(options.signal ? { signal: options.signal } : {}),
          ...(events.onFleetProgress
            ? { onProgress: (p: FleetProgress) => events.onFleetProgress?.(p, k) }
            : {}),
        }),
      ),
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
    // Alerts ride their own batches and the notifier retries: wait (bounded) until every
    // transition recorded inside the runs has reached the webhook sink, instead of guessing a
    // time (a loaded machine delivers the last stale alerts seconds after the readings land).
    const endMs = Math.max(...fleets.map((f) => f.startMs + f.plannedDurationMs));
    const tailDeadline = performance.now() + ALERT_TAIL_TIMEOUT_MS;
    await new Promise((r) => setTimeout(r, ALERT_TAIL_MIN_MS));
    // Both directions: the Firestore listener that fills `records` can lag the webhook sink
    // just as much as the sink lags the records.
    while (
      performance.now() < tailDeadline &&
      unmatchedTransitions(records.values(), pipeline.sink.deliveries, endMs) > 0
    ) {
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const final = await persistedReadings(pipeline.db);
    counters = await scrapeGateway(pipeline.gateway.httpUrl).catch(() => counters);
    const outcomes = slices.map((slice, k) =>
      expectedOutcome(slice.run.scenario, {
        ...fleetInput(slice, pipeline, options.seed),
        startMs: fleets[k]?.startMs,
      }),
    );
    const summary = summarize(
      slices,
      fleets,
      outcomes,
      pipeline,
      counters,
      final,
      [...records.values()],
      options.seed,
      firstPersistedMs,
      firestoreWrites,
    );
    await options.keepRunning?.(summary);
    return summary;
  } finally {
    for (const stop of stopWatching.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    events.onPhase?.('stopping');
    await pipeline.stop();
  }
}

function fleetInput(slice: Slice, pipeline: Pipeline, seed: number) {
  const credentials: CredentialsFile = {
    devices: pipeline.credentials.devices.slice(slice.from, slice.from + slice.devices),
  };
  return {
    brokerUrl: pipeline.gateway.mqttUrl,
    credentials,
    scenario: slice.run.scenario,
    devices: slice.devices,
    seed,
    qos: 1 as const,
    ...(slice.run.rate !== undefined ? { rate: slice.run.rate } : {}),
    ...(slice.run.durationMs !== undefined ? { durationMs: slice.run.durationMs } : {}),
  };
}

function summarize(
  slices: readonly Slice[],
  fleets: readonly FleetSummary[],
  outcomes: readonly ExpectedOutcome[],
  pipeline: Pipeline,
  counters: GatewayCounters,
  persisted: Awaited<ReturnType<typeof persistedReadings>>,
  records: readonly CloudAlertRecord[],
  seed: number,
  firstPersistedMs: number | null,
  firestoreWrites: number,
): RunSummary {
  const accepted = total(counters, 'edgeflow_gateway_readings_accepted_total');
  const rejected = byLabel(counters, 'edgeflow_gateway_readings_rejected_total', 'reason');
  const duplicatesDropped = byLabel(counters, 'edgeflow_gateway_duplicates_dropped_total', 'reason');
  const observed: ObservedAlert[] = records.map((r) => ({
    alertId: r.alertId,
    deviceId: r.deviceId,
    metric: r.metric,
    ruleId: r.ruleId,
    raisedAtMs: r.raisedAtMs,
    clearedAtMs: r.clearedAtMs,
  }));
  const scenarios: ScenarioVerdict[] = slices.map((slice, k) => {
    const fleet = fleets[k] as FleetSummary;
    const ids = new Set(
      pipeline.credentials.devices.slice(slice.from, slice.from + slice.devices).map((d) => d.deviceId),
    );
    const mine = observed.filter((a) => ids.has(a.deviceId));
    const verdict = judgeAlerts(
      outcomes[k] as ExpectedOutcome,
      fleet.startMs,
      fleet.startMs + fleet.plannedDurationMs,
      mine,
    );
    return {
      scenario: slice.run.scenario.name,
      devices: slice.devices,
      offered: fleet.offered,
      acknowledged: fleet.acked,
      alertsRaised: mine.filter((a) => a.raisedAtMs !== null).length,
      expectedMissed: verdict.missed,
      unexpected: verdict.unexpected,
    };
  });
  const rejectionMismatches = judgeRejections(
    outcomes.flatMap((o) => o.rejections),
    rejected,
  );
  // Transitions with event times inside the runs; what happens after (silence) is not theirs.
  const endMs = Math.max(...fleets.map((f) => f.startMs + f.plannedDurationMs));
  const transitions = transitionsWithin(records, endMs);
  const seenFirstAt: Record<string, number> = {};
  for (const r of records) {
    if (r.raisedAtMs !== null && r.raisedAtMs <= endMs)
      seenFirstAt[r.source] = (seenFirstAt[r.source] ?? 0) + 1;
  }
  const delivered = deliveredTransitions(pipeline.sink.deliveries, endMs);
  const undelivered = [...transitions].filter((t) => !delivered.has(t));
  const unrecordedDeliveries = [...delivered.keys()].filter((t) => !transitions.has(t));
  const lost = Math.max(0, accepted - persisted.unique);
  const sum = (f: (s: FleetSummary) => number) => fleets.reduce((acc, s) => acc + f(s), 0);
  const expectedMissed = scenarios.flatMap((s) => s.expectedMissed.map((m) => `${s.scenario}: ${m}`));
  const unexpected = scenarios.flatMap((s) => s.unexpected.map((m) => `${s.scenario}: ${m}`));
  return {
    scenarios,
    devices: pipeline.credentials.devices.length,
    seed,
    startup: {
      cloudReadyMs: pipeline.timings.cloudReadyMs ?? 0,
      gatewayReadyMs: pipeline.timings.gatewayReadyMs ?? 0,
      firstPersistedMs,
    },
    readings: {
      offered: sum((s) => s.offered),
      acknowledged: sum((s) => s.acked),
      failedToSend: sum((s) => s.failed),
      accepted,
      rejected,
      duplicatesDropped,
      duplicatesByDesign: sum((s) => s.duplicatesByDesign),
      persisted: persisted.unique,
      lost,
      duplicated: persisted.duplicated,
    },
    batches: {
      sent: total(counters, 'edgeflow_forwarder_batches_sent_total'),
      failed: total(counters, 'edgeflow_forwarder_batches_failed_total'),
    },
    firestore: {
      ingestWrites: firestoreWrites,
      writesPerReading: persisted.unique
        ? Math.round((firestoreWrites / persisted.unique) * 10_000) / 10_000
        : 0,
    },
    alerts: {
      raised: [...transitions].filter((t) => t.endsWith(':raised')).length,
      cleared: [...transitions].filter((t) => t.endsWith(':cleared')).length,
      delivered: [...delivered.keys()].filter((t) => transitions.has(t)).length,
      repeatedDeliveries: pipeline.sink.repeats,
      undelivered,
      unrecordedDeliveries,
      seenFirstAt,
      expectedMissed,
      unexpected,
    },
    rejectionMismatches,
    ok:
      lost === 0 &&
      undelivered.length === 0 &&
      unrecordedDeliveries.length === 0 &&
      pipeline.sink.repeats === 0 &&
      persisted.duplicated === 0 &&
      expectedMissed.length === 0 &&
      unexpected.length === 0 &&
      rejectionMismatches.length === 0,
  };
}
