/**
 * `npm run test:mutation [-- --target <name>] [-- <stryker flags>]`: runs each Stryker target
 * (`stryker/<name>.config.mjs`; `--target shared` or `--target edge` selects a group) in
 * sequence, incrementally, then prints every target's per-file score table. Not part of
 * `npm test`: a full run takes tens of minutes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FileScore, formatTable, readReport, scoreFiles, totalScore } from './scores.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STRYKER = join(ROOT, 'node_modules/.bin/stryker');

/** Pure core first: it is stable, the gateway's guards change more often. */
export const TARGETS: readonly string[] = readdirSync(join(ROOT, 'stryker'))
  .filter((f) => f.endsWith('.config.mjs'))
  .map((f) => f.slice(0, -'.config.mjs'.length))
  .sort((a, b) => Number(b.startsWith('shared')) - Number(a.startsWith('shared')) || a.localeCompare(b));

/** A name selects the target of that name or, as a group, every `<name>-*` target (`shared`, `edge`). */
export function selectTargets(names: readonly string[], known: readonly string[] = TARGETS): string[] {
  return known.filter((t) => names.some((n) => t === n || t.startsWith(`${n}-`)));
}

export function reportPath(target: string): string {
  return join(ROOT, 'reports/mutation', target, 'mutation.json');
}

/** `--target <name>` (repeatable) and `--report-only` are ours; every other argument goes to Stryker. */
export function parseRunArgs(args: readonly string[]): {
  targets: string[];
  reportOnly: boolean;
  stryker: string[];
} {
  const targets: string[] = [];
  const stryker: string[] = [];
  let reportOnly = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--target') {
      targets.push(args[i + 1] ?? '');
      i += 1;
    } else if (arg.startsWith('--target=')) targets.push(arg.slice('--target='.length));
    else if (arg === '--report-only') reportOnly = true;
    else stryker.push(arg);
  }
  return { targets, reportOnly, stryker };
}

function main(): number {
  const args = parseRunArgs(process.argv.slice(2));
  const wanted = args.targets.length > 0 ? selectTargets(args.targets) : [...TARGETS];
  const unknown = args.targets.filter((n) => selectTargets([n]).length === 0);
  if (unknown.length > 0) {
    console.error(`unknown target(s) ${unknown.join(', ')}; known: ${TARGETS.join(', ')}`);
    return 2;
  }
  let failed = 0;
  for (const target of wanted) {
    if (args.reportOnly) break;
    console.log(`== mutation: ${target}`);
    const run = spawnSync(STRYKER, ['run', join('stryker', `${target}.config.mjs`), ...args.stryker], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (run.status !== 0) failed += 1;
  }
  const all: FileScore[] = [];
  const reported: string[] = [];
  for (const target of wanted) {
    const path = reportPath(target);
    if (!existsSync(path)) continue;
    const files = scoreFiles(readReport(path), ROOT);
    all.push(...files);
    reported.push(target);
    console.log(`\n${formatTable(target, files)}`);
  }
  if (reported.length > 1) {
    const total = totalScore(all);
    console.log(`\n${reported.join(' + ')}: ${total.score === null ? 'n/a' : `${total.score.toFixed(1)}%`}`);
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) process.exitCode = main();
