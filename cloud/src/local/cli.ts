/**
 * `npm run local -- up`: the local cloud in the foreground. Prints the environment a gateway
 * needs, then a line containing `local cloud ready`; Ctrl-C or SIGTERM tears it all down.
 */
import { TOPOLOGY } from '@edgeflow/shared';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from '../logging.ts';
import { FUNCTION_NAMES, type LocalCloud, startLocalCloud } from './cloud.ts';
import { DEFAULT_PROJECT_ID } from './emulators.ts';
import { LocalStackError } from './errors.ts';
import type { ServedFunction } from './functions.ts';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535)
    throw new InvalidArgumentError('must be a port number (1-65535)');
  return n;
}

function functionList(value: string): ServedFunction[] {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(FUNCTION_NAMES as readonly string[]).includes(n)) {
      throw new InvalidArgumentError(`unknown function "${n}" (known: ${FUNCTION_NAMES.join(', ')})`);
    }
  }
  return names as ServedFunction[];
}

const program = new Command('local')
  .description("Run edgeflow's cloud side locally on Google's Pub/Sub and Firestore emulators.")
  .showHelpAfterError();

program
  .command('up')
  .description(
    'Start both emulators, apply the topology, serve the functions with functions-framework; ' +
      'stays in the foreground until Ctrl-C. Reuses emulators named by PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST.',
  )
  .option('--pubsub-port <port>', 'Pub/Sub emulator port (default: a free port)', port)
  .option('--firestore-port <port>', 'Firestore emulator port (default: a free port)', port)
  .option('--project <id>', 'project id', DEFAULT_PROJECT_ID)
  .option(
    '--functions <names>',
    `comma-separated functions to serve (default: ${FUNCTION_NAMES.join(',')})`,
    functionList,
  )
  .addOption(
    new Option('--log-level <level>', 'log level')
      .choices(['debug', 'info', 'warn', 'error'])
      .default('info'),
  )
  .option('--quiet-functions', "don't echo the functions' logs")
  .action(async (opts: Options) => {
    await up(opts);
  });

interface Options {
  pubsubPort?: number;
  firestorePort?: number;
  project: string;
  functions?: ServedFunction[];
  logLevel: string;
  quietFunctions?: boolean;
}

async function up(opts: Options): Promise<void> {
  const logger = createLogger('local', { level: opts.logLevel, destination: process.stderr });
  let cloud: LocalCloud | undefined;
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the local cloud');
    await cloud?.stop();
    process.exit(0);
  };
  // Installed before start-up so a Ctrl-C while the JVMs boot still cleans up.
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    cloud = await startLocalCloud({
      projectId: opts.project,
      pubsubPort: opts.pubsubPort,
      firestorePort: opts.firestorePort,
      logger,
      ...(opts.functions ? { functions: opts.functions } : {}),
      ...(opts.quietFunctions
        ? {}
        : { onFunctionOutput: (fn, line) => process.stderr.write(`[${fn}] ${line}\n`) }),
    });
  } catch (err) {
    const message =
      err instanceof LocalStackError ? `${err.code}: ${err.message}` : String((err as Error).stack);
    process.stderr.write(`local cloud failed to start:\n${message}\n`);
    process.exit(1);
  }
  if (stopping) return;
  const out = process.stdout;
  out.write('# environment for a gateway, the CLIs and tests:\n');
  for (const [k, v] of Object.entries(cloud.env)) out.write(`export ${k}=${v}\n`);
  out.write(
    `# functions: ${Object.entries(cloud.functionUrls)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`,
  );
  if (cloud.functionUrls.api) out.write(`# console and API: ${cloud.functionUrls.api}/ (API at /v1)\n`);
  out.write(`# telemetry topic: projects/${cloud.projectId}/topics/${TOPOLOGY.topics.telemetry.name}\n`);
  out.write(`local cloud ready (project ${cloud.projectId}); Ctrl-C to stop\n`);
}

await program.parseAsync(process.argv);
