/**
 * host_compromise: the real hosts of a capture that behave infected after an attack. Other folders
 * import only this file (through src/verdict/index.ts).
 */
export { HostCompromiseDetector, DEFAULT_HOST_COMPROMISE_OPTIONS, type HostCompromiseDetectorSettings, type HostCompromiseOptions } from './host-compromise-detector.ts';
export type { AttackNote, HostCompromiseEvidence, HostCompromiseFinding, HostCompromiseRule, PredictedDestination } from './host-compromise-finding.ts';
export { DEFAULT_CALLBACK_OPTIONS, type CallbackOptions } from './callback-tracker.ts';
export { DEFAULT_DRIVE_BY_OPTIONS, type DriveByOptions } from './drive-by-tracker.ts';
export { findDoublePulsarAnswer, type DoublePulsarAnswer } from './doublepulsar-answer.ts';
export { findShellAnswer, REMOTE_SHELL_PORTS, type ShellAnswer, type ShellKind } from './shell-answer.ts';
