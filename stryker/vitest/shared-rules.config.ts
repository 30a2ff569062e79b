import { targetConfig } from './target.ts';

export default targetConfig('shared', ['test/rules/**/*.test.ts']);
