// @ts-check
import { target } from './base.mjs';

/** The batch codec: every decoder check is a guard on untrusted bytes. */
export default target('shared-codec', ['shared/src/codec/**/*.ts', '!shared/src/codec/index.ts']);
