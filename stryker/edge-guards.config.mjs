// @ts-check
import { target } from './base.mjs';

/** The gateway's guards: broker hooks (authentication, ACL, limits), the registry, ingest validation. */
export default target('edge-guards', [
  'edge/src/broker/**/*.ts',
  'edge/src/registry/**/*.ts',
  'edge/src/ingest/**/*.ts',
]);
