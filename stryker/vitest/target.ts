import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * The root vitest config of one mutation target: Stryker's vitest runner takes one config, and
 * a target runs against only the unit tests that cover it, so each mutant (a static one runs
 * every test of its target) costs seconds, not the package's whole suite.
 */
export function targetConfig(pkg: string, include: readonly string[]): ViteUserConfig {
  return defineConfig({
    root: fileURLToPath(new URL(`../../${pkg}`, import.meta.url)),
    test: {
      include: [...include],
      // Instrumented code runs several times slower; the property tests need the room.
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  });
}
