import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/cli/args.ts';
import { SimulatorError } from '../../src/errors.ts';
import { startBroker, type TestBroker } from '../helpers/aedes.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function errorOf(argv: string[]): SimulatorError {
  try {
    parseCliArgs(argv);
  } catch (err) {
    if (err instanceof SimulatorError) return err;
    throw err;
  }
  throw new Error('expected the command line to be rejected');
}

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe('command line', () => {
  it('names every bad flag in one error', () => {
    const err = errorOf([
      '--broker',
      'http://x',
      '--devices',
      'many',
      '--rate',
      '0',
      '--duration',
      '10 minutes',
      '--qos',
      '2',
      '--seed',
      '-1',
      '--bogus',
      '--scenario',
      'nope',
    ]);
    const paths = err.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '--broker',
        '--devices',
        '--rate',
        '--duration',
        '--qos',
        '--seed',
        '--bogus',
        '--scenario',
      ]),
    );
    expect(err.message).toMatch(/^invalid command line: /);
    for (const p of paths) expect(err.message).toContain(p);
  });

  it('reports scenario file problems through the same error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeflow-sim-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'name: bad\ndescription: x\nrun: { devices: 2, rate: 1, duration: 1m }\nrules: default\nevents: [{ kind: dropout }]\nexpect: { alerts: [], rejections: [] }\n',
    );
    const err = errorOf(['--scenario', file, '--rate', 'fast']);
    expect(err.message).toContain('--scenario invalid scenario');
    expect(err.message).toContain('/events/0 must have required properties devices, at, until');
    expect(err.message).toContain('--rate must be a number');
  });

  it('fills devices, rate and duration from the scenario, flags win', () => {
    const r = parseCliArgs(['--scenario', 'heatwave', '--rate', '2', '--seed', '7', '--qos', '0']);
    if (r.mode === 'help') throw new Error('unexpected help');
    expect(r.options).toMatchObject({ devices: 20, rate: 2, durationMs: 720_000, seed: 7, qos: 0 });
    expect(r.options.scenario?.name).toBe('heatwave');
    expect(() => parseCliArgs(['--scenario', 'heatwave', '--devices', '3'])).toThrow(
      /needs at least 20 devices/,
    );
    expect(r.warnings).toEqual([]);
    const short = parseCliArgs(['--scenario', 'heatwave', '--duration', '30s']);
    if (short.mode === 'help') throw new Error('unexpected help');
    expect(short.warnings).toEqual([
      expect.stringMatching(/--duration 30s is shorter than scenario "heatwave" \(12m\)/),
    ]);
  });

  it('reads device ids and passwords (and the broker) from a credentials file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeflow-sim-'));
    const file = join(dir, 'creds.json');
    writeFileSync(
      file,
      JSON.stringify({ broker: 'mqtt://10.0.0.1:1883', devices: [{ deviceId: 'a', password: 'p' }] }),
    );
    const r = parseCliArgs(['--credentials', file, '--devices', '1']);
    if (r.mode === 'help') throw new Error('unexpected help');
    expect(r.options.brokerUrl).toBe('mqtt://10.0.0.1:1883');
    expect(() => parseCliArgs(['--credentials', file, '--devices', '2'])).toThrow(
      /holds 1 devices, fewer than the 2/,
    );
    writeFileSync(file, JSON.stringify({ devices: [{ deviceId: 'bad/id' }] }));
    expect(() => parseCliArgs(['--credentials', file])).toThrow(/invalid credentials file .*\/devices\/0/);
  });

  it('the binary prints --help, exits 2 on bad flags and prints one JSON summary with --json', async () => {
    const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', timeout: 20_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--scenario <name|file>');
    const bad = spawnSync(process.execPath, [CLI, '--qos', '3', '--devices', '-2'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--qos must be 0 or 1');
    expect(bad.stderr).toContain('--devices must be a whole number');
    expect(bad.stderr.trim().split('\n')).toHaveLength(2);

    broker = await startBroker();
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [
      CLI,
      '--broker',
      broker.url,
      '--devices',
      '5',
      '--rate',
      '4',
      '--duration',
      '1s',
      '--json',
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill(), 20_000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ devices: 5, offered: 20, acked: 20, failed: 0, connected: 5 });
  }, 40_000);

  it('--check runs a scenario through the rule engine without a broker', () => {
    const ok = spawnSync(process.execPath, [CLI, '--scenario', 'flapping', '--check', '--json'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(ok.status).toBe(0);
    const result = JSON.parse(ok.stdout) as { ok: boolean; alerts: unknown[] };
    expect(result.ok).toBe(true);
    expect(result.alerts).toHaveLength(4);
  });
});
