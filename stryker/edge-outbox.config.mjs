// @ts-check
import { target } from './base.mjs';

/** The durable outbox. */
export default target('edge-outbox', ['edge/src/outbox/**/*.ts', '!edge/src/outbox/index.ts']);
