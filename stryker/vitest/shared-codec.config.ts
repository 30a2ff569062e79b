import { targetConfig } from './target.ts';

export default targetConfig('shared', ['test/codec/**/*.test.ts']);
