/**
 * What the emulated JVM needs from the dummy it runs in: the network (containment), the Java
 * process's properties and environment, a way to start programs (the host's emulated shell), the
 * codebase further classes come from, and the dummy's clock and counters.
 */
import type { NetworkEndpoint } from '../behaviour/network-endpoint.ts';
import type { JvmLimits } from './jvm-limits.ts';

export interface JvmEnvironment {
  readonly hostName: string;
  readonly javaVersion: string;
  readonly systemProperties: ReadonlyMap<string, string>;
  readonly environmentVariables: ReadonlyMap<string, string>;
}

/** what a started program printed and how it ended */
export interface ProgramResult {
  output: string;
  /** exit status; null while the program still runs (an interactive shell waiting for input) */
  status: number | null;
}

export interface JvmContext {
  /** the dummy's network: every Socket, URL and lookup lands here */
  readonly network: NetworkEndpoint;
  readonly environment: JvmEnvironment;
  /** the platform Runtime.exec reaches */
  readonly os: 'linux' | 'windows';
  /**
   * Runs a command line in the host's shell (the same shell command injections reach) for one
   * program start; `origin` names the Java class and method that started it. Returns the output.
   */
  runCommand(commandLine: string, origin: string): string;
  /** System.getenv(name): the profile's variables (and the host's fake secrets); null when unset */
  environmentVariable?(name: string): string | null;
  /** bytes of another class from the codebase the first came from (`Exploit$1`); null when none */
  fetchClass?(binaryName: string): Uint8Array | null;
  /** virtual milliseconds since the dummy's revert */
  now(): number;
  /** lets the dummy's virtual clock run on (Thread.sleep) */
  sleep?(virtualMs: number): void;
  /** socket ids not used by anything else on the endpoint; a private counter when absent */
  nextSocketId?: () => number;
  /** counted, never thrown: `jvm.unsupported_method` */
  anomaly?(name: string): void;
  limits?: Partial<JvmLimits>;
}
