/**
 * The device registry file: who may connect, and as what. JSON, written atomically
 * (temp file, fsync, rename) so a crash mid-write never leaves a half file that locks every
 * device out; always mode 0600, never through a symlink.
 *
 *   { "version": 1, "devices": { "<id>": { "scryptHash", "salt", "params": {N,r,p,keyLen}, "role" } } }
 */
import { readFile } from 'node:fs/promises';
import { compileChecker, DEVICE_ID_PATTERN, formatProblems } from '@edgeflow/shared';
import Type, { type Static } from 'typebox';
import { EdgeError, EdgeErrorCodes } from '../errors.ts';
import { writePrivateFile } from '../fs/private.ts';

export const RoleSchema = Type.Union([Type.Literal('device'), Type.Literal('operator')]);
export type Role = Static<typeof RoleSchema>;

export const ScryptParamsSchema = Type.Object(
  {
    N: Type.Integer({ minimum: 2, maximum: 1_048_576 }),
    r: Type.Integer({ minimum: 1, maximum: 32 }),
    p: Type.Integer({ minimum: 1, maximum: 16 }),
    keyLen: Type.Integer({ minimum: 16, maximum: 128 }),
  },
  { additionalProperties: false },
);

export const CredentialSchema = Type.Object(
  {
    scryptHash: Type.String({ minLength: 16, maxLength: 512 }),
    salt: Type.String({ minLength: 8, maxLength: 256 }),
    params: ScryptParamsSchema,
  },
  { additionalProperties: false },
);

export const RegistryEntrySchema = Type.Object(
  {
    ...CredentialSchema.properties,
    role: RoleSchema,
  },
  { additionalProperties: false },
);
export type RegistryEntry = Static<typeof RegistryEntrySchema>;

export const RegistryFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    devices: Type.Record(Type.String({ pattern: DEVICE_ID_PATTERN }), RegistryEntrySchema),
  },
  { additionalProperties: false },
);
export type RegistryFile = Static<typeof RegistryFileSchema>;

const registryChecker = compileChecker<RegistryFile>(RegistryFileSchema, 'device registry');

export function emptyRegistry(): RegistryFile {
  return { version: 1, devices: {} };
}

/** Reads and validates the registry; a missing file is an empty registry when `allowMissing`. */
export async function readRegistry(
  path: string,
  options: { allowMissing?: boolean } = {},
): Promise<RegistryFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (options.allowMissing && (err as NodeJS.ErrnoException).code === 'ENOENT') return emptyRegistry();
    throw new EdgeError(EdgeErrorCodes.REGISTRY_INVALID, `cannot read device registry ${path}`, {
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new EdgeError(EdgeErrorCodes.REGISTRY_INVALID, `device registry ${path} is not JSON`, {
      cause: err,
    });
  }
  const problems = registryChecker.problems(parsed);
  if (problems.length > 0) {
    throw new EdgeError(
      EdgeErrorCodes.REGISTRY_INVALID,
      formatProblems(`invalid device registry ${path}`, problems),
    );
  }
  // Own a null-prototype copy: ids come from a file and are used as keys.
  const devices: Record<string, RegistryEntry> = Object.create(null);
  for (const [id, entry] of Object.entries((parsed as RegistryFile).devices)) devices[id] = entry;
  return { version: 1, devices };
}

/** Replaces the file atomically, mode 0600 whatever was there (see fs/private.ts). */
export async function writeRegistry(path: string, registry: RegistryFile): Promise<void> {
  await writePrivateFile(path, `${JSON.stringify(registry, null, 2)}\n`);
}
