import { targetConfig } from './target.ts';

export default targetConfig('edge', [
  'test/broker/**/*.test.ts',
  'test/registry/**/*.test.ts',
  'test/ingest/**/*.test.ts',
]);
