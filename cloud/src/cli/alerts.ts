/**
 * `npm run alerts -- list [--state open] | ack <id> | resolve <id>`: the alert records notify
 * keeps at `alerts/<id>`. A thin client of the same code the API runs: listing through the
 * store's sorted query, ack/resolve through alerts/actions.ts (history event + folded record
 * in one transaction). Talks to Firestore through FIRESTORE_EMULATOR_HOST when set,
 * otherwise Application Default Credentials.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { FirestoreAlertStore } from '../adapters/firestore/alerts.ts';
import { createFirestore, newWriteCounter } from '../adapters/firestore/client.ts';
import { AlertActions } from '../alerts/actions.ts';
import type { AlertRecord, AlertState } from '../functions/notify/record.ts';

const STATES: readonly AlertState[] = ['open', 'acknowledged', 'resolved'];

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

function row(r: AlertRecord): string {
  return [
    r.alertId,
    r.state,
    r.severity,
    r.deviceId,
    r.metric,
    String(r.value),
    iso(r.raisedAtMs),
    iso(r.clearedAtMs),
    r.source,
  ].join('\t');
}

function parseLimit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new InvalidArgumentError('must be an integer 1..10000');
  return n;
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('alerts')
    .description('List, acknowledge and resolve edgeflow alert records (Firestore alerts/<id>).')
    .option('--project <id>', 'GCP project (default: EDGEFLOW_PROJECT_ID / GOOGLE_CLOUD_PROJECT)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const store = (): FirestoreAlertStore => {
    const project =
      program.opts<{ project?: string }>().project ??
      io.env.EDGEFLOW_PROJECT_ID ??
      io.env.GOOGLE_CLOUD_PROJECT;
    return new FirestoreAlertStore(createFirestore(project), {
      deadlineMs: 20_000,
      counter: newWriteCounter(),
      nowMs: () => Date.now(),
    });
  };

  program
    .command('list')
    .description('list up to --limit alert records, shown newest first (tab-separated, or --json)')
    .addOption(new Option('--state <state>', 'only records in this state').choices(STATES))
    .option('--limit <n>', 'at most this many records', parseLimit, 100)
    .option('--json', 'one JSON object per line')
    .action(async (opts: { state?: AlertState; limit: number; json?: boolean }) => {
      const { records } = await store().list(opts.state ? { state: opts.state } : {}, opts.limit);
      if (opts.json) for (const r of records) io.out(JSON.stringify(r));
      else {
        io.out(
          ['ALERT', 'STATE', 'SEVERITY', 'DEVICE', 'METRIC', 'VALUE', 'RAISED', 'CLEARED', 'SOURCE'].join(
            '\t',
          ),
        );
        for (const r of records) io.out(row(r));
        io.err(`${records.length} alert(s)`);
      }
    });

  for (const [name, action, verb] of [
    ['ack', 'ack', 'acknowledged'],
    ['resolve', 'resolve', 'resolved'],
  ] as const) {
    program
      .command(`${name} <alertId> [note]`)
      .description(
        `${name === 'ack' ? 'acknowledge an open alert' : 'resolve an alert'}; the note and the operator ` +
          '($EDGEFLOW_OPERATOR, default local-operator) are recorded in its history',
      )
      .action(async (alertId: string, note: string | undefined) => {
        const result = await new AlertActions(store()).apply(alertId, {
          action,
          actor: io.env.EDGEFLOW_OPERATOR || 'local-operator',
          note: note ?? null,
          requestKey: null,
          nowMs: Date.now(),
        });
        if (result.status === 'not-found') {
          io.err(`no alert ${alertId}`);
          process.exitCode = 1;
          return;
        }
        const state = result.record.state;
        io.out(
          `${alertId} ${result.status === 'changed' && state === verb ? verb : `is ${state}, unchanged`}`,
        );
      });
  }
  return program;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const code = (err as { code?: string; exitCode?: number }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      return code === 'commander.helpDisplayed' || code === 'commander.version'
        ? 0
        : ((err as { exitCode?: number }).exitCode ?? 1);
    }
    io.err(`alerts: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
  });
  // Firestore keeps gRPC channels open; exit explicitly once the command is done.
  process.exit(code);
}
