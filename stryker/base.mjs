// @ts-check
/**
 * What every mutation target shares. A target (`<name>.config.mjs`) adds what it mutates and
 * the vitest config naming the unit tests that cover it; reports land in the git-ignored
 * `reports/mutation/<name>/`, the incremental file in the committed `stryker/incremental/`.
 * @param {string} name
 * @param {string[]} mutate
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function target(name, mutate) {
  return {
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: `stryker/vitest/${name}.config.ts`, related: false },
    coverageAnalysis: 'perTest',
    mutate,
    // The machine (and CI) has two cores: a mutation run takes one and leaves the other to
    // the rest of the work (CI, tests); `-- --concurrency 2` on an idle machine.
    concurrency: 1,
    timeoutMS: 10_000,
    incremental: true,
    incrementalFile: `stryker/incremental/${name}.json`,
    reporters: ['clear-text', 'html', 'json', 'progress'],
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    htmlReporter: { fileName: `reports/mutation/${name}/index.html` },
    jsonReporter: { fileName: `reports/mutation/${name}/mutation.json` },
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    ignorePatterns: ['**/.data', 'reports', 'bench/results', '**/dist', '.scratch', 'coverage'],
    warnings: { slow: false },
  };
}
