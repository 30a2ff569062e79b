/**
 * Device secrets: generated here (never chosen by a person), stored only as a salted scrypt
 * hash. Each entry keeps its own scrypt parameters so the cost can be raised later without
 * invalidating existing devices.
 *
 * Default cost N=2^14, r=8, p=1 (about 16 MiB and ~25-50 ms per hash on the 2-core box): the
 * secrets are 192 random bits, so scrypt is defence in depth for a leaked registry file, not
 * what stops guessing. The gateway verifies on worker threads of its own (scrypt-pool.ts; the
 * async functions here use libuv's pool, fine for the CLI) and caches successful results (see
 * authenticator.ts), so 10k devices reconnecting do not each pay it again.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly keyLen: number;
}

export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({ N: 16_384, r: 8, p: 1, keyLen: 32 });

export interface SecretHash {
  /** base64 */
  readonly scryptHash: string;
  /** base64 */
  readonly salt: string;
  readonly params: ScryptParams;
}

/** 24 random bytes as base64url: 32 characters, safe in MQTT passwords, shells and JSON. */
export function generateSecret(): string {
  return randomBytes(24).toString('base64url');
}

function derive(secret: Buffer | string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must cover 128 * N * r bytes, or node refuses parameters above its 32 MiB default.
    const maxmem = 256 * params.N * params.r + 1024 * 1024;
    scrypt(secret, salt, params.keyLen, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashSecret(
  secret: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<SecretHash> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, params);
  return { scryptHash: key.toString('base64'), salt: salt.toString('base64'), params };
}

export async function verifySecret(secret: Buffer | string, stored: SecretHash): Promise<boolean> {
  const expected = Buffer.from(stored.scryptHash, 'base64');
  const key = await derive(secret, Buffer.from(stored.salt, 'base64'), {
    ...stored.params,
    keyLen: expected.length,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
