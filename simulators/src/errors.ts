/** Coded errors of the simulators (stable `code`, human message listing every problem). */
import type { Problem } from '@edgeflow/shared';

export const SimulatorErrorCodes = {
  /** A scenario file failed to parse or validate; `problems` lists every issue. */
  SCENARIO_INVALID: 'EDGEFLOW_SIM_SCENARIO_INVALID',
  /** No scenario of that name ships and no file exists at that path. */
  SCENARIO_NOT_FOUND: 'EDGEFLOW_SIM_SCENARIO_NOT_FOUND',
  /** Command-line flags or runFleet options are invalid; `problems` lists every issue. */
  OPTIONS_INVALID: 'EDGEFLOW_SIM_OPTIONS_INVALID',
  /** The credentials file is unreadable or malformed. */
  CREDENTIALS_INVALID: 'EDGEFLOW_SIM_CREDENTIALS_INVALID',
} as const;
export type SimulatorErrorCode = (typeof SimulatorErrorCodes)[keyof typeof SimulatorErrorCodes];

export class SimulatorError extends Error {
  readonly code: SimulatorErrorCode;
  readonly problems: readonly Problem[];

  constructor(
    code: SimulatorErrorCode,
    message: string,
    options?: { cause?: unknown; problems?: readonly Problem[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SimulatorError';
    this.code = code;
    this.problems = options?.problems ?? [];
  }
}

/** One error naming every problem: "invalid flags: --rate must be > 0; --qos must be 0 or 1". */
export function problemsError(
  code: SimulatorErrorCode,
  what: string,
  problems: readonly Problem[],
): SimulatorError {
  const list = problems.map((p) => (p.path ? `${p.path} ${p.message}` : p.message)).join('; ');
  return new SimulatorError(code, `${what}: ${list}`, { problems });
}
