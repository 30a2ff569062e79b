import { defineConfig } from 'vitest/config';

// One project per package, so `vitest run --project edge` runs just the gateway's tests.
export default defineConfig({
  test: {
    projects: ['shared', 'edge', 'cloud', 'simulators', 'infra', 'e2e', 'console'],
    reporters: ['default'],
  },
});
