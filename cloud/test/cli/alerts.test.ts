/** The alerts CLI as a user runs it (a child process), against the Firestore emulator. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDoc } from '../../src/adapters/firestore/alerts.ts';
import type { AlertRecord } from '../../src/functions/notify/record.ts';
import { type EmulatorHandle, startFirestoreEmulator } from '../../src/local/index.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli/alerts.ts', import.meta.url));
const PROJECT = 'demo-alerts-cli';
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

let emulator: EmulatorHandle;
let db: Firestore;
let env: NodeJS.ProcessEnv;

function record(alertId: string, state: AlertRecord['state'], raisedAtMs: number): AlertRecord {
  return {
    alertId,
    deviceId: 'dev-1',
    metric: 'temperature',
    ruleId: 'temperature-high',
    ruleKind: 'threshold',
    severity: 'warning',
    gatewayId: 'gw-1',
    value: 35,
    message: 'temperature above 30',
    raisedAtMs,
    clearedAtMs: null,
    clearedValue: null,
    state,
    source: 'cloud',
    sources: ['cloud'],
    deliveries: {},
    attempts: [],
    ackedAtMs: null,
    resolvedAtMs: null,
  };
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  const base = { ...process.env };
  delete base.FIRESTORE_EMULATOR_HOST;
  emulator = await startFirestoreEmulator({ env: base, projectId: PROJECT });
  env = { ...base, FIRESTORE_EMULATOR_HOST: emulator.host, GOOGLE_CLOUD_PROJECT: PROJECT };
  db = new Firestore({ projectId: PROJECT, host: emulator.host, ssl: false });
  await db
    .collection('alerts')
    .doc('a-open')
    .set(toDoc(record('a-open', 'open', T0 + 1000), T0));
  await db
    .collection('alerts')
    .doc('a-resolved')
    .set(toDoc(record('a-resolved', 'resolved', T0), T0));
}, 90_000);

afterAll(async () => {
  await db?.terminate();
  await emulator?.stop();
});

describe('alerts CLI', () => {
  it('prints help', async () => {
    const out = await cli('--help');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/list \[options\]/);
    expect(out.stdout).toMatch(/ack <alertId>/);
  });

  it('lists records, filtered by state', async () => {
    const all = await cli('list');
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ALERT\tSTATE/);
    expect(lines.slice(1).map((l) => l.split('\t')[0])).toEqual(['a-open', 'a-resolved']);
    const open = await cli('list', '--state', 'open', '--json');
    expect(
      open.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).alertId),
    ).toEqual(['a-open']);
  }, 60_000);

  it('acknowledges, then resolves, and refuses an unknown id', async () => {
    expect((await cli('ack', 'a-open')).stdout).toMatch(/a-open acknowledged/);
    expect((await db.collection('alerts').doc('a-open').get()).get('state')).toBe('acknowledged');
    expect((await cli('resolve', 'a-open')).stdout).toMatch(/a-open resolved/);
    expect((await db.collection('alerts').doc('a-open').get()).get('state')).toBe('resolved');
    expect((await cli('ack', 'a-open')).stdout).toMatch(/is resolved, unchanged/);
    const missing = await cli('ack', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no alert nope/);
  }, 60_000);

  it('rejects an unknown state with a clear message', async () => {
    const out = await cli('list', '--state', 'bogus');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/Allowed choices are open, acknowledged, resolved/);
  });
});
