/** What the emulated JNDI resolver needs from the dummy it runs in. */
import type { EndpointSocket, NetworkEndpoint, SocketKind } from '../behaviour/network-endpoint.ts';
import type { JvmLimits } from '../jvm/index.ts';
import type { DummyObservation } from '../services/observation.ts';
import type { JavaEnvironment } from './java-environment.ts';
import type { Log4jLookupLimits } from './log4j-lookup-limits.ts';

export interface JndiContext {
  /** the dummy's network: in a real dummy, containment */
  readonly network: NetworkEndpoint;
  /** the fake Java process the logger runs in */
  readonly environment: JavaEnvironment;
  /** where the text came from (`http`): the observations' origin */
  readonly origin: string;
  observe(observation: DummyObservation): void;
  /** virtual milliseconds since the dummy's revert */
  now(): number;
  /** socket ids not used by anything else on the endpoint; a private counter when absent */
  nextSocketId?: () => number;
  /** the wall clock `${date:…}` formats (default: a fixed date plus `now()`) */
  wallClock?: () => Date;
  limits?: Partial<Log4jLookupLimits>;
  /** the platform a remote factory class's Runtime.exec reaches (default linux) */
  os?: 'linux' | 'windows';
  /**
   * runs a command line in the dummy's shell for a program the remote class starts; `origin`
   * names the Java method. Absent: the start is observed as an `exec` and nothing runs.
   */
  runCommand?(shell: 'sh' | 'cmd', commandLine: string, origin: string): string;
  /** lets the dummy's virtual clock run on (the class sleeps) */
  sleep?(virtualMs: number): void;
  /** counted, never thrown: `jvm.unsupported_method` */
  anomaly?(name: string): void;
  jvmLimits?: Partial<JvmLimits>;
}

/** JNDI sockets are numbered from here when the context does not number them (clear of guest fds) */
const FIRST_PRIVATE_SOCKET = 0x6a00;

export function socketOpener(context: JndiContext): (kind: SocketKind) => EndpointSocket {
  let next = FIRST_PRIVATE_SOCKET;
  return (kind) => ({ id: context.nextSocketId ? context.nextSocketId() : next++, kind });
}
