#!/usr/bin/env node
/**
 * `edgeflow-gateway --config <file>` (`npm run gateway -- --config <file>`): runs the edge
 * gateway until SIGTERM/SIGINT. Prints `gateway ready mqtt://<host>:<port>` once listening.
 */
import { isEdgeflowError } from '@edgeflow/shared';
import { Command } from 'commander';
import { runGateway } from '../main.ts';

const program = new Command()
  .name('edgeflow-gateway')
  .description(
    'Edge gateway: MQTT broker with device auth, local rules, a durable outbox and forwarding to Pub/Sub.\n' +
      'Environment overrides: EDGEFLOW_GATEWAY_<SECTION>__<KEY>, e.g. EDGEFLOW_GATEWAY_MQTT__PORT=1884.',
  )
  .requiredOption('-c, --config <file>', 'gateway config file (YAML or JSON); see edge/gateway.example.yaml')
  .action(async (options: { config: string }) => {
    try {
      await runGateway(options.config);
    } catch (err) {
      const message = isEdgeflowError(err)
        ? `${err.code}: ${err.message}`
        : String((err as Error)?.stack ?? err);
      process.stderr.write(`gateway failed to start: ${message}\n`);
      process.exit(2);
    }
  });

await program.parseAsync(process.argv);
