import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'console',
    include: ['test/**/*.test.ts'],
    // A browser test's steps each wait (bounded) on the page; the first launches chromium.
    testTimeout: 30_000,
  },
});
