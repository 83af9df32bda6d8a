/**
 * The shape every sink has. Sinks are sans-I/O state machines: bytes the dummy sent go in, bytes
 * the dummy should receive and egress records come out through a context. The same sink serves an
 * emulated dummy (through the endpoint adapter) and a real one (through the socket front).
 */
import type { EgressFacts, EgressProtocol, NetworkAddress, SinkName } from './egress-event.ts';
import type { ContainmentSettings } from './containment-options.ts';

export interface SinkContext {
  readonly destination: NetworkAddress;
  readonly connectionId: number;
  readonly settings: ContainmentSettings;
  /** queue bytes for the dummy to receive */
  reply(bytes: Uint8Array | string): void;
  /** the sink is done: the connection closes once the queued replies are read */
  finish(): void;
  /** an egress event; anomalies met since the last record travel with it */
  record(protocol: EgressProtocol, facts: EgressFacts): void;
  /** a named anomaly in the dummy's bytes: counted as `containment.<sink>.<name>` */
  anomaly(name: string): void;
  /** FTP passive mode: the address and port a data connection for `owner` will arrive on */
  openPassivePort(owner: DataConnectionOwner): NetworkAddress | null;
}

/** A TCP server as the dummy sees it. */
export interface TcpSink {
  readonly name: SinkName;
  readonly protocol: EgressProtocol;
  /** set by a sink that plays a captured server: that session's id (on `tcp_closed`) */
  readonly replayedSession?: number;
  /** the connection opened; a server that speaks first (FTP) says its greeting here */
  start(): void;
  /** bytes the dummy sent (already within the per-connection recording cap) */
  receive(bytes: Uint8Array): void;
  /** the connection is ending (the dummy closed, or the containment is closing) */
  end(): void;
}

/** Whoever waits for a passive data connection (the FTP control session). */
export interface DataConnectionOwner {
  /** a data connection arrived: returns the sink that serves it */
  attach(context: SinkContext): TcpSink;
}

export type TcpSinkFactory = (context: SinkContext) => TcpSink;

/** A reply datagram and the port it comes from (TFTP answers from a fresh transfer port). */
export interface DatagramReply {
  bytes: Uint8Array;
  from: NetworkAddress;
}

const DEFAULT_FILE = Buffer.from('This file was served by a sinkhole.\r\n', 'latin1');

/** What FTP RETR and TFTP RRQ hand out: the configured download, else a small text file. */
export function servedFile(settings: ContainmentSettings): Uint8Array {
  return settings.download?.body ?? DEFAULT_FILE;
}
