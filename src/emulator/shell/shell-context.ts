/** What an emulated shell needs from the dummy it runs in. */
import type { NetworkEndpoint } from '../behaviour/network-endpoint.ts';
import type { DummyObservation } from '../services/observation.ts';

export interface ShellContext {
  /** the dummy's network: in a real dummy, containment */
  readonly network: NetworkEndpoint;
  /** the dummy's files: what commands write stays until revert */
  readonly files: Map<string, Uint8Array>;
  /** environment variables (USER, HOME, PATH, HOSTNAME / USERNAME, COMPUTERNAME, …); commands may change them */
  readonly environment: Map<string, string>;
  /** where the command line came from (`http`, `telnet`, `shell:4444`): the observations' origin */
  readonly origin: string;
  /** `exec`, `file` and `listen` observations */
  observe(observation: DummyObservation): void;
  /** virtual milliseconds since the dummy's revert */
  now(): number;
  /** lets the dummy's virtual clock run on (`sleep 3600`): a payload that waits an hour is seen at once */
  sleep?(virtualMs: number): void;
  /** socket ids not used by anything else on the endpoint; a private counter when absent */
  nextSocketId?: () => number;
  limits?: Partial<ShellLimits>;
}

/** Bounds of one command line: hostile input must not loop, nest or grow without end. */
export interface ShellLimits {
  /** commands run for one line, nested scripts included */
  maxCommands: number;
  /** `sh -c`, `$(…)`, scripts run from scripts */
  maxDepth: number;
  /** characters of output kept */
  maxOutput: number;
  /** bytes one file may hold */
  maxFileBytes: number;
  /** iterations of one `for` loop (while/until loops run their body at most once) */
  maxLoopIterations: number;
  /** characters of a command line parsed */
  maxLineLength: number;
}

export const DEFAULT_SHELL_LIMITS: ShellLimits = {
  maxCommands: 256,
  maxDepth: 6,
  maxOutput: 65_536,
  maxFileBytes: 4 << 20,
  maxLoopIterations: 16,
  maxLineLength: 65_536,
};
