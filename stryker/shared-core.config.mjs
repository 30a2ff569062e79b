// @ts-check
import { target } from './base.mjs';

/** The pure core's contracts, ids, validation, config and topology. */
export default target('shared-core', ['shared/src/*.ts', '!shared/src/index.ts']);
