/**
 * The one interface every kind of dummy implements: emulated hosts, Linux namespaces, QEMU
 * machines, and the fake driver the tests use. A driver creates victims of a profile; a victim is
 * reached by connections and datagrams, watched through a dwell window, and reverted to clean.
 * Every call takes an AbortSignal; everything that holds resources has close() and destroy().
 */
import type { Profile } from '../config/index.ts';
import type { EgressEvent, PeerLookup } from '../containment/index.ts';
import type { DummyObservation } from '../emulator/index.ts';

export interface DriverCapabilities {
  /** `emulated`, `fake`, `netns`, `qemu` */
  readonly kind: string;
  /** revert restores a saved clean state (rather than rebuilding) */
  readonly snapshot: boolean;
  /** dwell advances the victim's clock instead of waiting in real time */
  readonly virtualTime: boolean;
  /** systems it can be a dummy of */
  readonly os: readonly Profile['os']['kind'][];
  readonly arch: readonly Profile['arch'][];
  /** attacker code runs with a per-instruction trace (the emulator), so evidence carries disassembly */
  readonly instructionTrace: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** Who the victim sees as the client: the captured sender, adapted or not. */
export interface Peer {
  address: string;
  port: number;
}

/** One observation of a victim, in the order it happened: its own (from inside) or its egress (from containment). */
export type Observation =
  | { source: 'dummy'; observation: DummyObservation }
  | { source: 'containment'; event: EgressEvent };

export interface VictimConnection {
  /** what the service said on its own when the connection opened (a banner) */
  readonly greeting: Uint8Array;
  /** sends client bytes; resolves with what the victim answered before it went quiet */
  send(bytes: Uint8Array, options?: CallOptions): Promise<Uint8Array>;
  /** true once the victim closed or reset the connection */
  readonly closedByVictim: boolean;
  close(): Promise<void>;
}

export interface Victim {
  readonly id: string;
  readonly profile: Profile;
  /** the victim's address as its clients reach it */
  readonly address: string;
  /** a TCP connection to `port`; null when nothing listens there (refused) */
  connect(port: number, peer: Peer, options?: CallOptions): Promise<VictimConnection | null>;
  /** a UDP datagram to `port`; the datagrams the victim answers with */
  sendDatagram(port: number, bytes: Uint8Array, peer: Peer, options?: CallOptions): Promise<Uint8Array[]>;
  /**
   * Optional: captured servers that answer the victim's outbound connections for the rest of the
   * lease, before the generic sinks (the stager calling back meets the stage the attacker sent).
   * Revert forgets them. A driver without it leaves every connection to the generic sinks.
   */
  replayPeers?(peers: PeerLookup | null): void;
  /**
   * Client-side dummies only (optional): the server side of connections the dummy's client made,
   * one byte stream per connection in fetch order, read by its browser as if it had fetched them.
   */
  browse?(serverStreams: readonly Uint8Array[], options?: CallOptions): Promise<void>;
  /** keeps watching for `virtualMs` of the victim's time (a sleeping payload wakes within it) */
  dwell(virtualMs: number, options?: CallOptions): Promise<void>;
  /** everything observed since the last revert, oldest first */
  observations(): readonly Observation[];
  /** back to the clean state: nothing of earlier sessions remains */
  revert(options?: CallOptions): Promise<void>;
  /** true when the victim stopped on its own (a crashed VM, a killed namespace) */
  readonly died: boolean;
  close(): Promise<void>;
  destroy(error?: Error): void;
  readonly closed: boolean;
}

export interface VictimDriver {
  readonly name: string;
  readonly capabilities: DriverCapabilities;
  /** whether this driver can be a dummy of that profile */
  supports(profile: Profile): boolean;
  create(profile: Profile, options?: CallOptions): Promise<Victim>;
  close(): Promise<void>;
  destroy(error?: Error): void;
  readonly closed: boolean;
}
