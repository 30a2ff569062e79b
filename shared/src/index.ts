export * from './clock.ts';
export * from './config.ts';
export * from './contracts.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './metrics.ts';
export * from './topology.ts';
export * from './validation.ts';
