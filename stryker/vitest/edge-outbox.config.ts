import { targetConfig } from './target.ts';

export default targetConfig('edge', ['test/outbox/**/*.test.ts']);
