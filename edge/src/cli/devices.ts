#!/usr/bin/env node
/**
 * `edgeflow-devices` (`npm run devices -- <command>`): manages the gateway's device registry.
 * Secrets are generated here, printed once, and stored only as salted scrypt hashes. A
 * running gateway picks up changes within `registryPollMs`.
 *
 * The credentials file written by `provision` (read by the simulators):
 *   { "broker"?: string, "devices": [{ "deviceId": string, "password": string }] }
 */
import { isDeviceId, isEdgeflowError } from '@edgeflow/shared';
import { Command, InvalidArgumentError, Option } from 'commander';
import { EdgeError, EdgeErrorCodes } from '../errors.ts';
import { writePrivateFile } from '../fs/private.ts';
import type { CredentialsFile } from '../registry/credentials.ts';
import { DEFAULT_SCRYPT_PARAMS, generateSecret, hashSecret, type ScryptParams } from '../registry/secret.ts';
import { type RegistryEntry, type Role, readRegistry, writeRegistry } from '../registry/store.ts';

const DEFAULT_REGISTRY = process.env.EDGEFLOW_GATEWAY_REGISTRY_FILE ?? './data/devices.json';
/**
 * Fleet secrets are 192 random bits: guessing them is hopeless at any KDF cost, so provision
 * uses a cheaper scrypt (1 MiB, ~2 ms) that keeps 10k devices quick to create and to
 * authenticate on a small box. Single `add` keeps the full default.
 */
const FLEET_SCRYPT_PARAMS: ScryptParams = Object.freeze({ N: 1024, r: 8, p: 1, keyLen: 32 });

function deviceIdArg(value: string): string {
  if (!isDeviceId(value)) {
    throw new InvalidArgumentError(
      'must be 1-64 chars of letters, digits, _ and -, starting with a letter or digit',
    );
  }
  return value;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function powerOfTwo(value: string): number {
  const n = positiveInt(value);
  if ((n & (n - 1)) !== 0 || n < 2) throw new InvalidArgumentError('must be a power of two >= 2');
  return n;
}

const registryOption = () =>
  new Option('-r, --registry <file>', 'device registry file (env EDGEFLOW_GATEWAY_REGISTRY_FILE)').default(
    DEFAULT_REGISTRY,
  );

async function entryFor(secret: string, role: Role, params: ScryptParams): Promise<RegistryEntry> {
  const hash = await hashSecret(secret, params);
  return { ...hash, role };
}

const program = new Command()
  .name('edgeflow-devices')
  .description('Manage the gateway device registry (salted scrypt hashes; secrets are printed once).');

program
  .command('add')
  .description('add a device (or operator) and print its new secret once')
  .argument('<id>', 'device id (the MQTT username)', deviceIdArg)
  .addOption(new Option('--role <role>', 'account role').choices(['device', 'operator']).default('device'))
  .option('--scrypt-n <N>', 'scrypt cost (power of two)', powerOfTwo, DEFAULT_SCRYPT_PARAMS.N)
  .addOption(registryOption())
  .action(async (id: string, options: { role: Role; scryptN: number; registry: string }) => {
    const registry = await readRegistry(options.registry, { allowMissing: true });
    if (registry.devices[id]) {
      throw new EdgeError(EdgeErrorCodes.REGISTRY_CONFLICT, `${id} is already registered (remove it first)`);
    }
    const secret = generateSecret();
    registry.devices[id] = await entryFor(secret, options.role, {
      ...DEFAULT_SCRYPT_PARAMS,
      N: options.scryptN,
    });
    await writeRegistry(options.registry, registry);
    process.stdout.write(`added ${options.role} ${id}\nsecret (shown once): ${secret}\n`);
  });

program
  .command('remove')
  .description('remove a device; a running gateway disconnects it within registryPollMs')
  .argument('<id>', 'device id', deviceIdArg)
  .addOption(registryOption())
  .action(async (id: string, options: { registry: string }) => {
    const registry = await readRegistry(options.registry);
    if (!registry.devices[id])
      throw new EdgeError(EdgeErrorCodes.REGISTRY_CONFLICT, `${id} is not registered`);
    delete registry.devices[id];
    await writeRegistry(options.registry, registry);
    process.stdout.write(`removed ${id}\n`);
  });

program
  .command('rotate')
  .description(
    'give an account a new secret and print it once; a running gateway disconnects the sessions opened with the old one within registryPollMs',
  )
  .argument('<id>', 'device (or operator) id', deviceIdArg)
  .option('--scrypt-n <N>', 'scrypt cost (power of two); default: keep the current one', powerOfTwo)
  .addOption(registryOption())
  .action(async (id: string, options: { scryptN?: number; registry: string }) => {
    const registry = await readRegistry(options.registry);
    const current = registry.devices[id];
    if (!current) throw new EdgeError(EdgeErrorCodes.REGISTRY_CONFLICT, `${id} is not registered`);
    const secret = generateSecret();
    registry.devices[id] = await entryFor(secret, current.role, {
      ...current.params,
      N: options.scryptN ?? current.params.N,
    });
    await writeRegistry(options.registry, registry);
    process.stdout.write(`rotated ${current.role} ${id}\nsecret (shown once): ${secret}\n`);
  });

program
  .command('list')
  .description('list registered ids and roles (never secrets or hashes)')
  .option('--json', 'print JSON')
  .addOption(registryOption())
  .action(async (options: { json?: boolean; registry: string }) => {
    const registry = await readRegistry(options.registry, { allowMissing: true });
    const rows = Object.entries(registry.devices)
      .map(([id, entry]) => ({ id, role: entry.role }))
      .sort((a, b) => a.id.localeCompare(b.id));
    if (options.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else for (const row of rows) process.stdout.write(`${row.id}\t${row.role}\n`);
  });

program
  .command('provision')
  .description('register a fleet of devices and write their credentials file (for the simulators)')
  .requiredOption('--count <n>', 'how many devices', positiveInt)
  .option('--prefix <prefix>', 'id prefix; ids are <prefix><zero-padded index>', 'sim-')
  .option('--start <n>', 'first index', positiveInt, 1)
  .requiredOption(
    '--credentials-out <file>',
    'where to write {"broker"?, "devices": [{deviceId, password}]} (mode 0600)',
  )
  .option('--broker <url>', 'broker URL to record in the credentials file, e.g. mqtt://127.0.0.1:1883')
  .option('--scrypt-n <N>', 'scrypt cost (power of two)', powerOfTwo, FLEET_SCRYPT_PARAMS.N)
  .option('--replace', 'replace ids that already exist (new secrets)')
  .addOption(registryOption())
  .action(
    async (options: {
      count: number;
      prefix: string;
      start: number;
      credentialsOut: string;
      broker?: string;
      scryptN: number;
      replace?: boolean;
      registry: string;
    }) => {
      const registry = await readRegistry(options.registry, { allowMissing: true });
      const last = options.start + options.count - 1;
      const width = String(last).length;
      const ids: string[] = [];
      for (let i = options.start; i <= last; i++) {
        const id = `${options.prefix}${String(i).padStart(width, '0')}`;
        if (!isDeviceId(id)) throw new InvalidArgumentError(`generated id ${id} is not a valid device id`);
        if (registry.devices[id] && !options.replace) {
          throw new EdgeError(
            EdgeErrorCodes.REGISTRY_CONFLICT,
            `${id} is already registered (use --replace)`,
          );
        }
        ids.push(id);
      }
      const params = { ...FLEET_SCRYPT_PARAMS, N: options.scryptN };
      const devices: Array<{ deviceId: string; password: string }> = [];
      // Hash on the thread pool a few at a time: fast, and memory stays at a few scrypt blocks.
      const concurrency = 8;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < ids.length) {
          const id = ids[next++] as string;
          const password = generateSecret();
          registry.devices[id] = await entryFor(password, 'device', params);
          devices.push({ deviceId: id, password });
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      devices.sort((a, b) => a.deviceId.localeCompare(b.deviceId));
      // Credentials first: if this fails, the registry is unchanged and nothing is orphaned.
      const credentials: CredentialsFile = options.broker ? { broker: options.broker, devices } : { devices };
      await writePrivateFile(options.credentialsOut, `${JSON.stringify(credentials, null, 2)}\n`);
      await writeRegistry(options.registry, registry);
      process.stdout.write(
        `provisioned ${devices.length} devices (${ids[0]} .. ${ids[ids.length - 1]}); credentials in ${options.credentialsOut}\n`,
      );
    },
  );

program
  .command('hash')
  .description('generate a secret and print it with its hash, for `operators:` in the gateway config')
  .option('--scrypt-n <N>', 'scrypt cost (power of two)', powerOfTwo, DEFAULT_SCRYPT_PARAMS.N)
  .action(async (options: { scryptN: number }) => {
    const secret = generateSecret();
    const hash = await hashSecret(secret, { ...DEFAULT_SCRYPT_PARAMS, N: options.scryptN });
    process.stdout.write(`secret (shown once): ${secret}\ncredential: ${JSON.stringify(hash)}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const message = isEdgeflowError(err)
    ? `${err.code}: ${err.message}`
    : String((err as Error)?.message ?? err);
  process.stderr.write(`devices: ${message}\n`);
  process.exitCode = 1;
}
