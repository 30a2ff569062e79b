#!/usr/bin/env node
/**
 * `npm start`: the whole pipeline on this machine, no cloud account. Starts Google's
 * Pub/Sub and Firestore emulators with the topology and the functions, provisions a fleet,
 * starts the gateway, runs the simulated fleet through a scenario that raises alerts, and
 * shows it live with the web console's URL. After the scenario it prints the summary and
 * keeps everything running for the console until Ctrl-C, which stops it all (emulators
 * included); `--exit-after` (implied by `--json`) stops right after the summary instead.
 */
import { isEdgeflowError } from '@edgeflow/shared';
import { loadScenario, parseDurationMs } from '@edgeflow/simulators';
import { Command, InvalidArgumentError } from 'commander';
import logUpdate from 'log-update';
import pino from 'pino';
import { renderAlert, renderBlock, renderLine } from './console/render.ts';
import { ConsoleState } from './console/state.ts';
import { type RunSummary, runScenarios } from './run.ts';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const positiveNumber = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const duration = (v: string) => {
  try {
    return parseDurationMs(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

const program = new Command('npm start --')
  .description(
    'Run the whole edgeflow pipeline locally: emulated Pub/Sub + Firestore, the functions, a gateway and a simulated fleet.',
  )
  .option('--scenario <name|file>', 'scenario to run (simulators/scenarios/*.yaml or a file)', 'demo')
  .option('--devices <n>', "simulated devices (default: the scenario's)", positiveInt)
  .option('--rate <r>', "readings per second per device (default: the scenario's)", positiveNumber)
  .option('--duration <d>', "run length, e.g. 90s or 5m (default: the scenario's)", duration)
  .option('--seed <n>', 'simulator seed', positiveInt, 42)
  .option(
    '--linger <d>',
    'gateway batch linger (production default 60s; short here so the demo shows data)',
    duration,
    2000,
  )
  .option('--exit-after', 'stop when the scenario ends instead of keeping the pipeline and the console up')
  .option('--json', 'print one JSON summary at the end instead of the live view (implies --exit-after)')
  .option('--verbose', "show the components' own logs on stderr")
  .addHelpText(
    'after',
    '\nNeeds the Google Cloud CLI emulators (google-cloud-cli-pubsub-emulator, google-cloud-cli-firestore-emulator) and Java 17.',
  );

async function main(): Promise<void> {
  const opts = program.parse().opts<{
    scenario: string;
    devices?: number;
    rate?: number;
    duration?: number;
    seed: number;
    linger: number;
    json?: boolean;
    exitAfter?: boolean;
    verbose?: boolean;
  }>();
  const keepRunning = !opts.exitAfter && !opts.json;
  const scenario = loadScenario(opts.scenario);
  const logger = pino({ level: opts.verbose ? 'info' : 'warn' }, pino.destination(2));
  const live = !opts.json && process.stdout.isTTY === true;
  const state = new ConsoleState(Date.now);
  const abort = new AbortController();
  let interrupted = false;
  let signals = 0;
  /** The scenario is over and judged; the pipeline stays up for the console until Ctrl-C. */
  let holding = false;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write('\nsecond interrupt: exiting now\n');
      process.exit(130);
    }
    // Ctrl-C while holding is the normal way out: the verdict was already taken.
    if (!holding) interrupted = true;
    state.phase = holding ? 'stopping' : 'interrupted: stopping the fleet and draining';
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const draw = () => {
    if (opts.json) return;
    if (live) logUpdate(renderBlock(state, Date.now(), true));
    else process.stdout.write(`${renderLine(state, Date.now())}\n`);
  };
  const ticker = setInterval(draw, live ? 250 : 5000);
  const printAlert = (line: (typeof state.lines)[number] | undefined) => {
    // Without a live block, each alert is a line of its own as it happens.
    if (!live && !opts.json && line) process.stdout.write(`${renderAlert(line, state.startedAtMs)}\n`);
  };
  const last = () => state.lines[state.lines.length - 1];

  let summary: RunSummary;
  try {
    summary = await runScenarios(
      {
        runs: [
          {
            scenario,
            ...(opts.devices !== undefined ? { devices: opts.devices } : {}),
            ...(opts.rate !== undefined ? { rate: opts.rate } : {}),
            ...(opts.duration !== undefined ? { durationMs: opts.duration } : {}),
          },
        ],
        seed: opts.seed,
        lingerMs: opts.linger,
        logger,
        signal: abort.signal,
        ...(keepRunning
          ? {
              keepRunning: async (s: RunSummary) => {
                holding = true;
                if (live) {
                  logUpdate(renderBlock(state, Date.now(), true));
                  logUpdate.done();
                }
                process.stdout.write(`\n${formatSummary(s, false)}\n\n`);
                process.stdout.write(
                  `${state.consoleUrl ? `the pipeline and the console at ${state.consoleUrl} keep running` : 'the pipeline keeps running'}; Ctrl-C stops everything\n\n`,
                );
                state.phase = 'scenario over, still running: Ctrl-C stops';
                await new Promise<void>((resolve) => {
                  if (abort.signal.aborted) resolve();
                  else abort.signal.addEventListener('abort', () => resolve(), { once: true });
                });
              },
            }
          : {}),
      },
      {
        onCloudReady: (ready) => {
          state.consoleUrl = ready.consoleUrl ?? undefined;
          const line = ready.consoleUrl
            ? `console: ${ready.consoleUrl}  (Firestore emulator ${ready.firestoreHost}, project ${ready.projectId})`
            : 'console: not served (no api function in this build)';
          // The live block shows it; elsewhere a line of its own (stderr under --json, whose stdout is the summary).
          if (opts.json) process.stderr.write(`${line}\n`);
          else if (!live) process.stdout.write(`${line}\n`);
        },
        onPhase: (p) => {
          state.phase = interrupted && p.startsWith('running') ? state.phase : p;
          draw();
        },
        onFleetProgress: (p) => {
          state.fleet = p;
        },
        onGatewayCounters: (c) => state.onCounters(c),
        onPersisted: (n) => {
          state.persisted = n;
        },
        onFirestoreWrites: (n) => {
          state.firestoreWrites = n;
        },
        onEdgeAlert: (e) => {
          const before = last();
          state.onEdgeAlert(e);
          if (last() !== before) printAlert(last());
        },
        onCloudAlert: (r) => {
          const before = last();
          state.onCloudAlert(r);
          if (last() !== before) printAlert(last());
        },
        onDelivery: (d) => {
          state.onDelivery(d);
          printAlert(last());
        },
      },
    );
  } finally {
    clearInterval(ticker);
    if (live) {
      logUpdate(renderBlock(state, Date.now(), true));
      logUpdate.done();
    }
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ ...summary, interrupted }, null, 2)}\n`);
  else if (holding) process.stdout.write('stopped\n');
  else process.stdout.write(`\n${formatSummary(summary, interrupted)}\n`);
  process.exitCode = summary.ok || interrupted ? 0 : 1;
}

function formatSummary(s: RunSummary, interrupted: boolean): string {
  const r = s.readings;
  const a = s.alerts;
  const rejected = Object.entries(r.rejected)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `summary: scenario ${s.scenarios.map((x) => x.scenario).join(', ')}, ${s.devices} devices, seed ${s.seed}`,
    `  startup: cloud ready ${s.startup.cloudReadyMs} ms, gateway ready ${s.startup.gatewayReadyMs} ms, first reading persisted ${s.startup.firstPersistedMs ?? '-'} ms`,
    `  readings: offered ${r.offered}, acknowledged ${r.acknowledged}, accepted ${r.accepted}, rejected ${rejected || 'none'}, persisted ${r.persisted}, lost ${r.lost}, duplicated ${r.duplicated}`,
    `  batches: ${s.batches.sent} sent, ${s.batches.failed} failed; Firestore writes by ingest ${s.firestore.ingestWrites} (${s.firestore.writesPerReading} per reading at this short demo linger; npm run bench measures the 60 s default)`,
    `  alerts: ${a.raised} raised, ${a.cleared} cleared, ${a.delivered} webhook deliveries (${a.repeatedDeliveries} repeats); first seen: ${JSON.stringify(a.seenFirstAt)}`,
    // An interrupted run stopped before the scenario played out: its promises cannot be judged.
    ...(interrupted
      ? ["  verdict: interrupted, so the scenario's expected alerts and rejections were not judged"]
      : [
          ...a.expectedMissed.map((m) => `  MISSED  ${m}`),
          ...a.unexpected.map((m) => `  UNEXPECTED  ${m}`),
          ...s.rejectionMismatches.map((m) => `  REJECTIONS  ${m}`),
          s.ok ? '  verdict: every expectation held' : '  verdict: FAILED (see above)',
        ]),
  ].join('\n');
}

main().catch((err: unknown) => {
  const message =
    isEdgeflowError(err) || (err as { code?: string }).code
      ? (err as Error).message
      : String((err as Error).stack ?? err);
  process.stderr.write(`npm start failed: ${message}\n`);
  process.exitCode = 1;
});
