#!/usr/bin/env node
/**
 * edgeflow-simulate: run a simulated sensor fleet against an MQTT broker, or check a
 * scenario without one. `--help` lists every flag.
 */
import { checkScenario } from './check.ts';
import { parseCliArgs } from './cli/args.ts';
import { formatCheck, formatProgress, formatSummary } from './cli/output.ts';
import { runFleet } from './runner/fleet.ts';
import { loadScenario, shippedScenarios } from './scenario/load.ts';

const QUIET_LINE_EVERY_MS = 10_000;

async function main(argv: readonly string[]): Promise<number> {
  let request: ReturnType<typeof parseCliArgs>;
  try {
    request = parseCliArgs(argv);
  } catch (err) {
    process.stderr.write(`edgeflow-simulate: ${(err as Error).message}\nTry --help.\n`);
    return 2;
  }
  if (request.mode === 'help') {
    process.stdout.write(request.text);
    return 0;
  }
  const { options } = request;
  for (const warning of request.warnings) process.stderr.write(`edgeflow-simulate: warning: ${warning}\n`);
  if (request.mode === 'list') {
    for (const name of shippedScenarios()) {
      const s = loadScenario(name);
      process.stdout.write(`${name.padEnd(16)} ${s.description.replace(/\s+/g, ' ').trim()}\n`);
    }
    return 0;
  }
  if (request.mode === 'check') {
    const scenario = options.scenario;
    if (!scenario) return 2;
    const result = checkScenario(scenario, options.seed, options.devices, options);
    process.stdout.write(
      request.json
        ? `${JSON.stringify({ scenario: scenario.name, seed: options.seed, ok: result.ok, problems: result.problems, ...result.simulation })}\n`
        : `${formatCheck(scenario.name, options.seed, result)}\n`,
    );
    return result.ok ? 0 : 1;
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = process.stderr.isTTY === true;
  let lastQuietMs = 0;
  const summary = await runFleet(options, {
    signal: controller.signal,
    onProgress: (p) => {
      if (tty) {
        process.stderr.write(`\r\x1b[2K${formatProgress(p)}`);
      } else if (p.elapsedMs - lastQuietMs >= QUIET_LINE_EVERY_MS || p.phase !== 'running') {
        if (p.phase === 'running') lastQuietMs = p.elapsedMs;
        process.stderr.write(`${formatProgress(p)}\n`);
      }
    },
  });
  if (tty) process.stderr.write('\r\x1b[2K');
  process.stdout.write(request.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`edgeflow-simulate: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
