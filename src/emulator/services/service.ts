/**
 * The contract between an emulated dummy's host and the protocol emulators that listen on it.
 * A service sees bytes from a client and answers with bytes; what it learns about the attack it
 * reports to its host (a vulnerable path reached, attacker code to run, a command to run, a JNDI
 * lookup), and the host turns that into observations and real behaviour in containment.
 *
 * Hostile input is data: a service never throws on malformed traffic. It answers with the
 * protocol's own error, or closes, and reports a snake_case anomaly.
 */
import type { Profile } from '../../config/index.ts';
import type { NetworkEndpoint } from '../behaviour/network-endpoint.ts';
import type { CodeHints, DummyObservation, ExploitReport } from './observation.ts';

export type ShellKind = 'cmd' | 'sh';

/** State a dummy keeps until it is reverted: what earlier sessions left behind. */
export interface HostState {
  /** ports attacker code listens on (bind shells), with what answers there */
  readonly listeners: Map<string, ListenerState>;
  /** what kernel code left hooked or patched, by name (`srv.sys!SrvTransaction2DispatchTable[TRANS2_SESSION_SETUP]`, …): a later check finds it */
  readonly implants: Set<string>;
  /** files written by attacker code or commands: path → bytes */
  readonly files: Map<string, Uint8Array>;
  /** protocol state that lives beyond one connection (SMB sessions, netlogon challenges), by service */
  readonly services: Map<string, unknown>;
}

export interface ListenerState {
  proto: 'tcp' | 'udp';
  port: number;
  /** what answers a connection there */
  answers: ShellKind | 'bytes';
  /** who opened it: the observation's origin */
  origin: string;
}

export interface PeerAddress {
  address: string;
  port: number;
}

/** What a service may ask of the host it runs on. */
export interface ServiceHost {
  readonly profile: Profile;
  /** the dummy's own address as clients reach it */
  readonly address: string;
  readonly hostname: string;
  readonly state: HostState;
  /** the dummy's network: everything here lands in containment */
  readonly network: NetworkEndpoint;
  /** whether the profile has this bulletin/CVE unpatched */
  vulnerable(id: string): boolean;
  /**
   * A request reached the parse path of a known vulnerability with attacker data beyond its bounds.
   * On a vulnerable profile this is `exploited` evidence; on a patched one the host records it as an
   * attempt only. Returns whether the profile is vulnerable (so the service can go on to run code).
   */
  reportExploit(report: ExploitReport): boolean;
  /** attacker code reached execution: find it in `bytes` and run it in this host's process environment */
  runCode(bytes: Uint8Array, hints: CodeHints): void;
  /** a command reached a shell of this host (command injection, a shell session) */
  runCommand(shell: ShellKind, commandLine: string, origin: string): string;
  /** text that a vulnerable logger evaluates: `${jndi:ldap://…}` and its obfuscations */
  evaluateLookups(text: string, origin: string): void;
  /** anything else worth keeping as evidence */
  observe(observation: DummyObservation): void;
  /** counted, never thrown: `smb.header_truncated`, `http.request_line_invalid` */
  anomaly(name: string): void;
  /** virtual milliseconds since the dummy was last reverted */
  now(): number;
  /** lets the dummy's virtual clock run on (a payload sleeps); absent where time is real */
  advanceClock?(virtualMs: number): void;
}

/** One client connection to a stream service. */
export interface ServiceConnection {
  /** bytes the service sends as soon as the connection opens (FTP, telnet banners); empty when it waits */
  greeting(): Uint8Array;
  /** bytes from the client, in whatever pieces they arrive; returns what the service sends back */
  receive(bytes: Uint8Array): Uint8Array;
  /** the client closed its side */
  end(): void;
  /** true once the service has closed the connection (after an error, a logoff, a crash of the path) */
  readonly closed: boolean;
}

export interface StreamService {
  readonly kind: 'stream';
  /** protocol name as the catalogue's services use it: `microsoft-ds`, `http`, `msrpc` */
  readonly name: string;
  open(host: ServiceHost, peer: PeerAddress, localPort: number): ServiceConnection;
}

export interface DatagramService {
  readonly kind: 'datagram';
  readonly name: string;
  /** one datagram from `peer`; the datagrams the service answers with */
  receive(host: ServiceHost, peer: PeerAddress, localPort: number, bytes: Uint8Array): Uint8Array[];
}

export type ServiceEmulator = StreamService | DatagramService;

/**
 * A named pipe opened over SMB (`\PIPE\srvsvc`): the SMB emulator carries the bytes, the DCE/RPC
 * emulator behind it answers. A write is followed by a read, or both happen in one transact.
 */
export interface PipeEndpoint {
  /** bytes written to the pipe; returns what a following read finds (may be empty) */
  transact(bytes: Uint8Array): Uint8Array;
  close(): void;
}

/** Opens the pipe `name` (without `\PIPE\`, lower case) on `host`, or null when nothing listens there. */
export type PipeOpener = (host: ServiceHost, name: string, peer: PeerAddress) => PipeEndpoint | null;
