import { loadScenario, scaleScenario, shippedScenarios } from '@edgeflow/simulators';
import pino from 'pino';
import { runScenarios } from './src/run.ts';
const names = process.argv.slice(2).length ? process.argv.slice(2) : shippedScenarios();
const s = await runScenarios({ runs: names.map((n) => ({ scenario: scaleScenario(loadScenario(n), 0.1) })), seed: 42, lingerMs: 2000, logger: pino({ level: 'warn' }) });
console.log(JSON.stringify(s, null, 1));
