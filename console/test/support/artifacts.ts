/** Where browser tests keep their screenshots: a git-ignored folder, kept after the run for CI to collect. */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function artifactPath(suite: string, name: string): string {
  const dir = join(REPO_ROOT, 'test-artifacts', suite);
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
