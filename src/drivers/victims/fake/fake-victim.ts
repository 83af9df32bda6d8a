/**
 * One fake dummy: an in-memory host whose ports follow a script (see fake-behaviour.ts). It keeps
 * state between connections until revert (what `remember` ports heard, listeners a compromise
 * opened, payloads still asleep), has a virtual clock that only dwell advances, and can be killed
 * or made to fail its revert by the test that drives it.
 */
import type { Profile } from '../../../config/index.ts';
import type { EgressEvent, NetworkAddress } from '../../../containment/index.ts';
import type { DummyObservation } from '../../../emulator/index.ts';
import { CrashtestError } from '../../../core/index.ts';
import type { CallOptions, Observation, Peer, Victim, VictimConnection } from '../../../sandbox/index.ts';
import { abortableDelay } from '../abortable-delay.ts';
import { EMPTY, toBytes, type FakeDatagramBehaviour, type FakePortBehaviour, type ScriptedObservation } from './fake-behaviour.ts';

export interface FakeLatency {
  create: number;
  connect: number;
  send: number;
  dwell: number;
  revert: number;
}

/** Failures the test asks for; each fires once per count and counts itself down. */
export interface FakeFaults {
  createFailures: number;
  revertFailures: number;
}

export interface FakeDriverStats {
  created: number;
  reverts: number;
  revertFailures: number;
  connects: number;
  dwells: number;
  closed: number;
  destroyed: number;
}

export interface FakeVictimContext {
  readonly latencyMs: Readonly<FakeLatency>;
  readonly faults: FakeFaults;
  readonly stats: FakeDriverStats;
  readonly tcp: ReadonlyMap<number, FakePortBehaviour>;
  readonly udp: ReadonlyMap<number, FakeDatagramBehaviour>;
  /** the victim closed or was destroyed: the driver forgets it */
  gone(victim: FakeVictim): void;
}

/** A compromise waiting for the virtual clock (a sleeping payload), or ready to fire. */
interface PendingEffect {
  dueAt: number;
  port: number;
  behaviour: Extract<FakePortBehaviour, { kind: 'compromise' }>;
}

const LISTENER_GREETING = 'fake-shell> ';

export class FakeVictim implements Victim {
  readonly id: string;
  readonly profile: Profile;
  readonly address: string;
  /** set when the victim died on its own (kill() or a `crash` port) */
  death: { reason: string } | null = null;
  private readonly context: FakeVictimContext;
  private isClosed = false;
  private virtualNow = 0;
  private egressSequence = 0;
  // state since the last revert, allocated on first use: a warm victim costs a few hundred bytes
  private recorded: Observation[] = [];
  private heard: Map<number, Uint8Array[]> | null = null;
  private listeners: Set<number> | null = null;
  private pending: PendingEffect[] | null = null;
  private readonly connections = new Set<FakeConnection>();

  constructor(id: string, profile: Profile, address: string, context: FakeVictimContext) {
    this.id = id;
    this.profile = profile;
    this.address = address;
    this.context = context;
  }

  get died(): boolean {
    return this.death !== null;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get sendLatencyMs(): number {
    return this.context.latencyMs.send;
  }

  /** virtual ms since the last revert */
  get now(): number {
    return this.virtualNow;
  }

  async connect(port: number, _peer: Peer, options: CallOptions = {}): Promise<VictimConnection | null> {
    this.assertUsable('connect');
    await abortableDelay(this.context.latencyMs.connect, options.signal);
    options.signal?.throwIfAborted();
    this.assertUsable('connect');
    this.context.stats.connects++;
    if (this.listeners?.has(port)) return this.track(new FakeConnection(this, port, { kind: 'echo', greeting: LISTENER_GREETING }));
    const behaviour = this.context.tcp.get(port);
    if (behaviour === undefined || behaviour.kind === 'refuse') return null;
    return this.track(new FakeConnection(this, port, behaviour));
  }

  async sendDatagram(port: number, bytes: Uint8Array, _peer: Peer, options: CallOptions = {}): Promise<Uint8Array[]> {
    this.assertUsable('sendDatagram');
    await abortableDelay(this.context.latencyMs.send, options.signal);
    options.signal?.throwIfAborted();
    this.assertUsable('sendDatagram');
    const behaviour = this.context.udp.get(port);
    if (behaviour === undefined || behaviour.kind === 'silent') return [];
    return [behaviour.kind === 'echo' ? bytes.slice() : toBytes(behaviour.answer)];
  }

  async dwell(virtualMs: number, options: CallOptions = {}): Promise<void> {
    this.assertUsable('dwell');
    await abortableDelay(this.context.latencyMs.dwell, options.signal);
    options.signal?.throwIfAborted();
    this.assertUsable('dwell');
    this.context.stats.dwells++;
    this.virtualNow += virtualMs;
    this.wake();
  }

  observations(): readonly Observation[] {
    return this.recorded;
  }

  async revert(options: CallOptions = {}): Promise<void> {
    this.assertUsable('revert');
    await abortableDelay(this.context.latencyMs.revert, options.signal);
    options.signal?.throwIfAborted();
    this.assertUsable('revert');
    if (this.context.faults.revertFailures > 0) {
      this.context.faults.revertFailures--;
      this.context.stats.revertFailures++;
      throw new CrashtestError('CT_ERR_VICTIM_REVERT', `fake dummy ${this.id}: revert failed (scripted by faults.revertFailures)`, { victimId: this.id });
    }
    this.context.stats.reverts++;
    this.dropConnections();
    this.virtualNow = 0;
    this.egressSequence = 0;
    if (this.recorded.length > 0) this.recorded = [];
    this.heard = null;
    this.listeners = null;
    this.pending = null;
  }

  /** Makes the victim die on its own, as a crashed VM or a killed namespace does. */
  kill(reason = 'killed by the test'): void {
    if (this.death !== null || this.isClosed) return;
    this.death = { reason };
    this.dropConnections();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.context.stats.closed++;
    this.dropConnections();
    this.context.gone(this);
  }

  destroy(_error?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.context.stats.destroyed++;
    this.dropConnections();
    this.context.gone(this);
  }

  /** Called by a connection: what `port` answers to `bytes`, with the script's side effects. */
  answer(connection: FakeConnection, bytes: Uint8Array): Uint8Array {
    const behaviour = connection.behaviour;
    switch (behaviour.kind) {
      case 'echo':
        return bytes.slice();
      case 'fixed':
        return toBytes(behaviour.answer);
      case 'remember': {
        this.heard ??= new Map();
        const heard = this.heard.get(connection.port) ?? [];
        heard.push(bytes.slice());
        this.heard.set(connection.port, heard);
        return Buffer.concat(heard);
      }
      case 'compromise':
        if (connection.triggered(behaviour.trigger)) this.schedule(connection.port, behaviour);
        return toBytes(behaviour.answer);
      case 'crash':
        if (connection.triggered(behaviour.trigger)) this.kill(`crashed by the trigger on tcp/${connection.port}`);
        return EMPTY;
    }
  }

  forget(connection: FakeConnection): void {
    this.connections.delete(connection);
  }

  assertUsable(method: string): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `fake dummy ${this.id}: ${method}() after close`, { victimId: this.id });
    if (this.death !== null) {
      throw new CrashtestError('CT_ERR_VICTIM_DIED', `fake dummy ${this.id}: ${method}() on a dummy that died (${this.death.reason})`, { victimId: this.id });
    }
  }

  private track(connection: FakeConnection): FakeConnection {
    this.connections.add(connection);
    return connection;
  }

  private dropConnections(): void {
    for (const connection of this.connections) connection.resetByVictim();
    this.connections.clear();
  }

  private schedule(port: number, behaviour: PendingEffect['behaviour']): void {
    this.pending ??= [];
    this.pending.push({ dueAt: this.virtualNow + (behaviour.wakesAfterMs ?? 0), port, behaviour });
    this.wake();
  }

  /** Fires every effect whose virtual time has come, in due order. */
  private wake(): void {
    if (this.pending === null) return;
    const due = this.pending.filter((effect) => effect.dueAt <= this.virtualNow).sort((first, second) => first.dueAt - second.dueAt);
    if (due.length === 0) return;
    this.pending = this.pending.filter((effect) => effect.dueAt > this.virtualNow);
    for (const effect of due) this.fire(effect);
  }

  private fire({ port, behaviour }: PendingEffect): void {
    const origin = `tcp/${port}`;
    const scripted: ScriptedObservation = behaviour.observation ?? {
      kind: 'exec',
      shell: this.profile.os.kind === 'windows' ? 'cmd' : 'sh',
      command: `fake payload from ${origin}`,
      origin,
    };
    // spreading a union member and adding `at` gives back that member; TypeScript cannot see it through Omit
    this.recorded.push({ source: 'dummy', observation: { ...scripted, at: this.virtualNow } as DummyObservation });
    if (behaviour.egressTo !== undefined) this.recorded.push({ source: 'containment', event: this.egress(behaviour.egressTo) });
    if (behaviour.opensPort !== undefined) {
      (this.listeners ??= new Set()).add(behaviour.opensPort);
      this.recorded.push({ source: 'dummy', observation: { kind: 'listen', at: this.virtualNow, proto: 'tcp', port: behaviour.opensPort, origin } });
    }
  }

  private egress(destination: NetworkAddress): EgressEvent {
    return {
      sequence: ++this.egressSequence,
      time: { seconds: Math.floor(this.virtualNow / 1_000), nanoseconds: (this.virtualNow % 1_000) * 1_000_000 },
      dummyId: this.id,
      profileId: this.profile.id,
      protocol: 'tcp',
      transport: 'tcp',
      source: { address: this.address, port: 49_152 + this.egressSequence },
      destination: { ...destination },
      connectionId: null,
      facts: { kind: 'tcp_connect' },
      anomalies: [],
    };
  }
}

export class FakeConnection implements VictimConnection {
  readonly greeting: Uint8Array;
  readonly port: number;
  readonly behaviour: Exclude<FakePortBehaviour, { kind: 'refuse' }>;
  private readonly victim: FakeVictim;
  private resetFlag = false;
  private closedByClient = false;
  /** this connection's bytes so far, searched for triggers split across sends */
  private received: Uint8Array[] = [];
  private firedTrigger = false;

  constructor(victim: FakeVictim, port: number, behaviour: Exclude<FakePortBehaviour, { kind: 'refuse' }>) {
    this.victim = victim;
    this.port = port;
    this.behaviour = behaviour;
    this.greeting = toBytes(behaviour.greeting);
  }

  get closedByVictim(): boolean {
    return this.resetFlag;
  }

  async send(bytes: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    if (this.closedByClient) throw new CrashtestError('CT_ERR_INVALID_STATE', `fake connection to tcp/${this.port}: send() after close`);
    options.signal?.throwIfAborted();
    this.victim.assertUsable('send');
    // a reset connection takes nothing more, like a socket after RST
    if (this.resetFlag) return EMPTY;
    await abortableDelay(this.victim.sendLatencyMs, options.signal);
    options.signal?.throwIfAborted();
    if (this.resetFlag) return EMPTY;
    this.received.push(bytes.slice());
    return this.victim.answer(this, bytes);
  }

  /** True once, when `trigger` first appears in this connection's bytes. */
  triggered(trigger: Uint8Array | string): boolean {
    if (this.firedTrigger) return false;
    const all = Buffer.concat(this.received);
    if (all.indexOf(typeof trigger === 'string' ? Buffer.from(trigger, 'latin1') : trigger) < 0) return false;
    this.firedTrigger = true;
    return true;
  }

  resetByVictim(): void {
    this.resetFlag = true;
  }

  async close(): Promise<void> {
    if (this.closedByClient) return;
    this.closedByClient = true;
    this.victim.forget(this);
  }

}
