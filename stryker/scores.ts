/**
 * The per-file score table of a Stryker JSON report (mutation-testing-report-schema), so the
 * figures can be quoted: `node stryker/scores.ts reports/mutation/shared/mutation.json`.
 * Scored as Stryker scores: detected (killed + timeout) over valid mutants (detected +
 * survived + no coverage); ignored, compile and runtime errors are not mutants that ran.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ReportMutant {
  readonly status: string;
}
interface Report {
  readonly files: Readonly<Record<string, { readonly mutants: readonly ReportMutant[] }>>;
}

export interface FileScore {
  readonly file: string;
  readonly killed: number;
  readonly timeout: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly ignored: number;
  /** Percent, or null when the file has no valid mutant. */
  readonly score: number | null;
}

function percent(detected: number, valid: number): number | null {
  return valid === 0 ? null : (100 * detected) / valid;
}

export function scoreFiles(report: Report, root = process.cwd()): FileScore[] {
  return Object.entries(report.files)
    .map(([path, { mutants }]) => {
      const count = (status: string): number => mutants.filter((m) => m.status === status).length;
      const killed = count('Killed');
      const timeout = count('Timeout');
      const survived = count('Survived');
      const noCoverage = count('NoCoverage');
      return {
        file: path.startsWith('/') ? relative(root, path) : path,
        killed,
        timeout,
        survived,
        noCoverage,
        ignored: count('Ignored'),
        score: percent(killed + timeout, killed + timeout + survived + noCoverage),
      };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

export function totalScore(files: readonly FileScore[]): FileScore {
  const sum = (key: 'killed' | 'timeout' | 'survived' | 'noCoverage' | 'ignored'): number =>
    files.reduce((n, f) => n + f[key], 0);
  const [killed, timeout, survived, noCoverage] = [
    sum('killed'),
    sum('timeout'),
    sum('survived'),
    sum('noCoverage'),
  ];
  return {
    file: 'all files',
    killed,
    timeout,
    survived,
    noCoverage,
    ignored: sum('ignored'),
    score: percent(killed + timeout, killed + timeout + survived + noCoverage),
  };
}

export function formatTable(title: string, files: readonly FileScore[]): string {
  const rows = [...files, totalScore(files)];
  const width = Math.max(...rows.map((r) => r.file.length), title.length);
  const head = `${title.padEnd(width)}  score  killed timeout survived nocov ignored`;
  const line = (r: FileScore): string =>
    `${r.file.padEnd(width)} ${(r.score === null ? 'n/a' : `${r.score.toFixed(1)}%`).padStart(6)} ` +
    [r.killed, r.timeout, r.survived, r.noCoverage, r.ignored]
      .map((n, i) => String(n).padStart([6, 7, 8, 5, 7][i] as number))
      .join(' ');
  return [head, ...rows.slice(0, -1).map(line), '-'.repeat(head.length), line(rows.at(-1) as FileScore)].join(
    '\n',
  );
}

export function readReport(path: string): Report {
  return JSON.parse(readFileSync(path, 'utf8')) as Report;
}

if (import.meta.main) {
  for (const path of process.argv.slice(2)) {
    console.log(formatTable(path, scoreFiles(readReport(path))));
    console.log();
  }
}
