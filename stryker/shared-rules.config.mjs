// @ts-check
import { target } from './base.mjs';

/** The rule engine: thresholds, clear levels, holds, pruning and episode ids. */
export default target('shared-rules', ['shared/src/rules/**/*.ts', '!shared/src/rules/index.ts']);
