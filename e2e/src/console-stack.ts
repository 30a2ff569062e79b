/**
 * The local pipeline with the console up and data in it, for the scripts that need a browser
 * on it (the README screenshot, the console benchmark): the short console heatwave played
 * through the whole pipeline, then `fn` runs while everything is still up, then it all stops.
 */
import { fileURLToPath } from 'node:url';
import { loadScenario } from '@edgeflow/simulators';
import pino from 'pino';
import { type RunSummary, runScenarios } from './run.ts';

export const CONSOLE_SCENARIO = fileURLToPath(new URL('../scenarios/console-heatwave.yaml', import.meta.url));

export interface ConsoleStack {
  readonly consoleUrl: string;
  /** Wall-clock time the fleet started sending. */
  readonly fleetStartedAtMs: number;
  readonly summary: RunSummary;
}

export async function withConsoleStack<T>(
  fn: (stack: ConsoleStack) => Promise<T>,
  onPhase: (phase: string) => void = () => undefined,
): Promise<T> {
  let consoleUrl: string | null = null;
  let fleetStartedAtMs = 0;
  let result: T | undefined;
  await runScenarios(
    {
      runs: [{ scenario: loadScenario(CONSOLE_SCENARIO) }],
      seed: 7,
      lingerMs: 1000,
      logger: pino({ level: 'warn' }, pino.destination(2)),
      keepRunning: async (summary) => {
        if (!consoleUrl) throw new Error('the local cloud serves no api function, so no console');
        result = await fn({ consoleUrl, fleetStartedAtMs, summary });
      },
    },
    {
      onCloudReady: (ready) => {
        consoleUrl = ready.consoleUrl;
      },
      onPhase: (phase) => {
        if (phase.startsWith('running')) fleetStartedAtMs = Date.now();
        onPhase(phase);
      },
    },
  );
  return result as T;
}
