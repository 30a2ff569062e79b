import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'simulators',
    include: ['test/**/*.test.ts'],
  },
});
