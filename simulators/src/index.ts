/** Public API of the simulators, used by `npm start` and the end-to-end suites. */
export {
  CHECK_START_MS,
  type CheckResult,
  checkScenario,
  type ExpectedAlert,
  type ExpectedOutcome,
  expectedOutcome,
  type SimulationResult,
  scenarioRules,
  simulateScenario,
} from './check.ts';
export { type CredentialsFile, defaultDeviceId, loadCredentials } from './devices.ts';
export { formatDuration, parseDurationMs } from './duration.ts';
export { SimulatorError, type SimulatorErrorCode, SimulatorErrorCodes } from './errors.ts';
export { deviceMetrics, SENSOR_MODELS, SIMULATED_METRICS, sensorValue } from './models/index.ts';
export { PAYLOAD_FORMATS, type PayloadFormat } from './payload.ts';
export { type Emission, FleetPlan, type FleetPlanOptions } from './plan.ts';
export type { FleetCounters } from './runner/counters.ts';
export { type FleetProgress, type FleetSummary, type RunControl, runFleet } from './runner/fleet.ts';
export {
  FLEET_DEFAULTS,
  type FleetOptions,
  type FleetOptionsInput,
  resolveFleetOptions,
} from './runner/options.ts';
export { loadScenario, parseScenario, SCENARIOS_DIR, shippedScenarios } from './scenario/load.ts';
export { scaleRules, scaleScenario } from './scenario/scale.ts';
export { MALFORMED_VARIANTS, REJECTION_REASONS } from './scenario/schema.ts';
export type { Scenario, ScenarioEvent } from './scenario/types.ts';
