import { targetConfig } from './target.ts';

export default targetConfig('shared', ['test/*.test.ts', 'test/codec/health.test.ts']);
