/**
 * `npm run dlq -- list | show <id> | replay <id> | replay --all`: the dead letters in
 * Firestore `deadLetters`, and their replay to the source topic. Talks to whatever the
 * standard variables name: FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST for the local
 * cloud (as printed by `npm run local -- up`), else GCP with Application Default Credentials.
 */
import { systemClock } from '@edgeflow/shared';
import { Firestore, type Timestamp } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Command, InvalidArgumentError } from 'commander';
import { DeadLetterAdmin, type DeadLetterEntry, describePayload } from '../functions/triage/admin.ts';

interface GlobalOptions {
  project?: string;
  json?: boolean;
}

const program = new Command('dlq')
  .description('Inspect and replay dead letters (Firestore deadLetters/<id>).')
  .option('--project <id>', 'project id (default: $EDGEFLOW_PROJECT_ID or $GOOGLE_CLOUD_PROJECT)')
  .option('--json', 'machine-readable output (one JSON document)')
  .showHelpAfterError();

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

async function withAdmin<T>(fn: (admin: DeadLetterAdmin) => Promise<T>): Promise<T> {
  const g = program.opts<GlobalOptions>();
  const projectId = g.project ?? process.env.EDGEFLOW_PROJECT_ID ?? process.env.GOOGLE_CLOUD_PROJECT;
  // An explicit universe keeps the auth library from probing the GCE metadata server.
  const universeDomain = 'googleapis.com';
  const firestore = new Firestore({
    ...(projectId ? { projectId } : {}),
    ignoreUndefinedProperties: true,
    universeDomain,
  });
  const emulator = process.env.PUBSUB_EMULATOR_HOST;
  const pubsub = emulator
    ? new PubSub({
        ...(projectId ? { projectId } : {}),
        apiEndpoint: emulator,
        emulatorMode: true,
        universeDomain,
      })
    : new PubSub(projectId ? { projectId } : {});
  try {
    return await fn(new DeadLetterAdmin({ firestore, pubsub, nowMs: () => systemClock.nowMs() }));
  } finally {
    await Promise.allSettled([firestore.terminate(), pubsub.close()]);
  }
}

function iso(t: Timestamp | null | undefined): string {
  return t && typeof t.toDate === 'function' ? t.toDate().toISOString() : '-';
}

function summary({ id, doc }: DeadLetterEntry): Record<string, unknown> {
  return {
    id,
    recordedAt: iso(doc.recordedAt),
    source: doc.source,
    subscription: doc.subscription,
    deliveryAttempt: doc.deliveryAttempt,
    code: doc.code,
    reason: doc.reason,
    dataBytes: doc.dataBytes,
    state: doc.state,
    replayCount: doc.replayCount ?? 0,
  };
}

program
  .command('list')
  .description('List dead letters, newest first.')
  .option('--limit <n>', 'at most this many', positiveInt, 100)
  .option('--state <state>', 'only open or replayed letters')
  .action(async (opts: { limit: number; state?: string }) => {
    if (opts.state !== undefined && opts.state !== 'open' && opts.state !== 'replayed') {
      throw new InvalidArgumentError('--state must be open or replayed');
    }
    const entries = await withAdmin((a) =>
      a.list({ limit: opts.limit, ...(opts.state ? { state: opts.state as 'open' | 'replayed' } : {}) }),
    );
    if (program.opts<GlobalOptions>().json) {
      process.stdout.write(`${JSON.stringify(entries.map(summary), null, 2)}\n`);
      return;
    }
    if (entries.length === 0) {
      process.stdout.write('no dead letters\n');
      return;
    }
    for (const e of entries) {
      const s = summary(e);
      process.stdout.write(
        `${s.id}  ${s.recordedAt}  ${s.state}${Number(s.replayCount) > 0 ? `x${s.replayCount}` : ''}  ` +
          `${s.subscription ?? s.source}  attempts=${s.deliveryAttempt ?? '-'}  ${s.dataBytes} B  ${s.code}: ${s.reason}\n`,
      );
    }
    process.stdout.write(`${entries.length} dead letter(s)\n`);
  });

program
  .command('show')
  .description('Show one dead letter; a telemetry batch gets its decoded header.')
  .argument('<id>', 'dead letter id (from list)')
  .action(async (id: string) => {
    const entry = await withAdmin((a) => a.get(id));
    if (!entry) {
      process.stderr.write(`no dead letter ${id}\n`);
      process.exitCode = 2;
      return;
    }
    const { doc } = entry;
    const data = Buffer.from(doc.data);
    const out = {
      ...summary(entry),
      messageId: doc.messageId,
      sourceTopic: doc.sourceTopic ?? null,
      publishTime: iso(doc.publishTime),
      replayedAt: iso(doc.replayedAt),
      truncated: doc.truncated,
      attributes: doc.attributes,
      ...describePayload(doc),
      dataBase64: data.toString('base64'),
    };
    if (program.opts<GlobalOptions>().json) {
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    for (const [k, v] of Object.entries(out)) {
      if (k === 'dataBase64') continue;
      process.stdout.write(`${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`);
    }
    process.stdout.write(
      `data (first 64 of ${data.byteLength} B, hex): ${data.subarray(0, 64).toString('hex')}\n`,
    );
  });

program
  .command('replay')
  .description(
    'Republish a dead letter (or every open one) to its source topic with its original attributes.',
  )
  .argument('[id]', 'dead letter id (from list)')
  .option('--all', 'replay every open dead letter')
  .action(async (id: string | undefined, opts: { all?: boolean }) => {
    if (Boolean(id) === Boolean(opts.all)) {
      process.stderr.write('give either a dead letter id or --all\n');
      process.exitCode = 2;
      return;
    }
    const json = program.opts<GlobalOptions>().json;
    if (id) {
      const r = await withAdmin((a) => a.replay(id));
      process.stdout.write(
        json
          ? `${JSON.stringify(r)}\n`
          : `replayed ${r.id} to ${r.topic} as message ${r.messageId} (replay #${r.replayCount})\n`,
      );
      return;
    }
    const { replayed, failed } = await withAdmin((a) => a.replayAll());
    if (json) {
      process.stdout.write(`${JSON.stringify({ replayed, failed }, null, 2)}\n`);
    } else {
      for (const r of replayed)
        process.stdout.write(`replayed ${r.id} to ${r.topic} as message ${r.messageId}\n`);
      for (const f of failed) process.stdout.write(`FAILED ${f.id}: ${f.error}\n`);
      process.stdout.write(`${replayed.length} replayed, ${failed.length} failed\n`);
    }
    if (failed.length > 0) process.exitCode = 1;
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = (err as { code?: string }).code;
  process.stderr.write(`dlq: ${code ? `${code}: ` : ''}${(err as Error).message}\n`);
  process.exitCode = 1;
}
