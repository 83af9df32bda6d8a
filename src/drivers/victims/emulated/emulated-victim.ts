/**
 * A dummy of the emulated driver: an `EmulatedHost` of one profile whose services answer in
 * process, and whose every outward call lands in a fresh `Containment` per lease. Nothing here
 * opens a socket: the only network this dummy has is the containment's sinks.
 */
import type { Profile } from '../../../config/index.ts';
import { Counters, CrashtestError, type Timestamp } from '../../../core/index.ts';
import { Containment, ContainmentEndpoint, type PeerLookup } from '../../../containment/index.ts';
import { browse, EmulatedHost, shellService, type HostInterpreters, type NetworkEndpoint, type ServiceConnection, type ServiceEmulator } from '../../../emulator/index.ts';
import type { CallOptions, Observation, Peer, Victim, VictimConnection } from '../../../sandbox/index.ts';

/** Finds the emulator that answers `proto/port` on a profile, or null when nothing listens there. */
export type ServiceResolver = (profile: Profile, proto: 'tcp' | 'udp', port: number) => ServiceEmulator | null;

export interface EmulatedVictimOptions {
  id: string;
  profile: Profile;
  address: string;
  services: ServiceResolver;
  interpreters?: HostInterpreters;
  counters?: Counters;
  /** the containment's clock; default: virtual time from the Unix epoch plus the dummy's clock */
  epoch?: Timestamp;
  disassembler?: ConstructorParameters<typeof EmulatedHost>[0]['disassembler'];
  instructionsPerRun?: number;
}

function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new CrashtestError('CT_ERR_INVALID_STATE', 'the call was aborted');
}

export class EmulatedVictim implements Victim {
  readonly id: string;
  readonly profile: Profile;
  readonly address: string;
  readonly host: EmulatedHost;
  private readonly services: ServiceResolver;
  private readonly counters: Counters;
  private readonly epoch: Timestamp;
  private containment: Containment | null = null;
  private endpoint: NetworkEndpoint | null = null;
  private peers: PeerLookup | null = null;
  private feed: Observation[] = [];
  private readonly open = new Set<ServiceConnection>();
  private isClosed = false;
  /** told once when the victim closes (its driver stops tracking it) */
  onClosed: (() => void) | null = null;

  constructor(options: EmulatedVictimOptions) {
    this.id = options.id;
    this.profile = options.profile;
    this.address = options.address;
    this.services = options.services;
    this.counters = options.counters ?? new Counters();
    this.epoch = options.epoch ?? { seconds: 0, nanoseconds: 0 };
    this.host = new EmulatedHost({
      profile: options.profile,
      address: options.address,
      network: () => this.network(),
      ...(options.interpreters ? { interpreters: options.interpreters } : {}),
      anomaly: (name) => this.counters.add(`emulated.${name}`),
      ...(options.disassembler ? { disassembler: options.disassembler } : {}),
      ...(options.instructionsPerRun ? { instructionsPerRun: options.instructionsPerRun } : {}),
    });
    this.host.onObservation = (observation) => this.feed.push({ source: 'dummy', observation });
  }

  get died(): boolean {
    return false;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** the lease's containment, made on first use so a lease without egress costs nothing */
  private network(): NetworkEndpoint {
    if (!this.endpoint) {
      const containment = new Containment({
        dummyId: this.id,
        profileId: this.profile.id,
        counters: this.counters,
        clock: () => this.virtualTimestamp(),
        onEvent: (event) => this.feed.push({ source: 'containment', event }),
        ...(this.peers ? { peers: this.peers } : {}),
      });
      this.containment = containment;
      this.endpoint = new ContainmentEndpoint(containment, { dummyAddress: this.address });
    }
    return this.endpoint;
  }

  private virtualTimestamp(): Timestamp {
    const elapsed = this.host.now();
    const nanoseconds = this.epoch.nanoseconds + (elapsed % 1000) * 1_000_000;
    return { seconds: this.epoch.seconds + Math.floor(elapsed / 1000) + Math.floor(nanoseconds / 1e9), nanoseconds: nanoseconds % 1e9 };
  }

  replayPeers(peers: PeerLookup | null): void {
    this.assertOpen('replayPeers');
    this.peers = peers;
    this.containment?.replayPeers(peers);
  }

  async connect(port: number, peer: Peer, options: CallOptions = {}): Promise<VictimConnection | null> {
    this.assertOpen('connect');
    checkSignal(options.signal);
    const listener = this.host.state.listeners.get(`tcp/${port}`);
    const service = listener && listener.answers !== 'bytes' ? shellService(listener.answers, listener.origin) : this.services(this.profile, 'tcp', port);
    if (!service || service.kind !== 'stream') return null;
    const connection = service.open(this.host, peer, port);
    this.open.add(connection);
    return this.wrap(connection, connection.greeting());
  }

  private wrap(connection: ServiceConnection, greeting: Uint8Array): VictimConnection {
    const send = async (bytes: Uint8Array, sendOptions: CallOptions = {}): Promise<Uint8Array> => {
      this.assertOpen('send');
      checkSignal(sendOptions.signal);
      if (connection.closed) return new Uint8Array(0);
      return connection.receive(bytes);
    };
    const close = async (): Promise<void> => {
      if (this.open.delete(connection)) connection.end();
    };
    return {
      greeting,
      send,
      get closedByVictim() {
        return connection.closed;
      },
      close,
    };
  }

  async sendDatagram(port: number, bytes: Uint8Array, peer: Peer, options: CallOptions = {}): Promise<Uint8Array[]> {
    this.assertOpen('sendDatagram');
    checkSignal(options.signal);
    const service = this.services(this.profile, 'udp', port);
    if (!service || service.kind !== 'datagram') return [];
    return service.receive(this.host, peer, port, bytes);
  }

  async browse(serverStreams: readonly Uint8Array[], options: CallOptions = {}): Promise<void> {
    this.assertOpen('browse');
    checkSignal(options.signal);
    browse(this.host, serverStreams);
  }

  async dwell(virtualMs: number, options: CallOptions = {}): Promise<void> {
    this.assertOpen('dwell');
    checkSignal(options.signal);
    this.host.advance(virtualMs);
    // the window is over: what the dummy's open connections carried becomes part of the record
    this.containment?.endOpenConnections();
  }

  observations(): readonly Observation[] {
    return this.feed;
  }

  /** egress events of the current lease's containment (also in observations) */
  get containmentCounters(): Counters {
    return this.counters;
  }

  async revert(options: CallOptions = {}): Promise<void> {
    this.assertOpen('revert');
    checkSignal(options.signal);
    this.resetNow();
  }

  private resetNow(): void {
    for (const connection of this.open) connection.end();
    this.open.clear();
    this.containment?.close();
    this.containment = null;
    this.endpoint = null;
    this.peers = null;
    this.host.reset();
    this.feed = [];
  }

  async close(): Promise<void> {
    this.destroy();
  }

  destroy(): void {
    if (this.isClosed) return;
    this.resetNow();
    this.isClosed = true;
    this.onClosed?.();
  }

  private assertOpen(what: string): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `emulated dummy ${this.id}: ${what} after close`);
  }
}
