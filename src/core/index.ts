export * from './errors.ts';
export * from './counters.ts';
export * from './anomalies.ts';
export * from './time.ts';
export * from './records.ts';
export { concatBytes } from './bytes.ts';
