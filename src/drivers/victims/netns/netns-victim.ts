/**
 * A netns dummy: real services in a copy-on-write root and a network namespace whose only link
 * ends in the containment namespace. Clients reach it from inside the containment namespace (the
 * agent opens the connections there and hands them over), so the host never has a link to a
 * dummy; the dummy sees the containment side of its link as the client, not the captured peer.
 * Each lease gets a fresh `Containment`; what reaches it becomes `{ source: 'containment' }`
 * observations. Each lease also gets a fresh listener baseline: a TCP or UDP port the dummy
 * starts listening on afterwards (a bind shell) becomes a `{ source: 'dummy' }` `listen`
 * observation, looked for at every observations() call and every `listenerPollMs`. Revert kills every process of the copy, discards its upper layer and starts the
 * services again; with a warm spare, the spare (already answering) takes over at once and the old
 * copy is recycled into the next spare in the background.
 */
import type { Profile } from '../../../config/index.ts';
import { Containment, type ContainmentOptions } from '../../../containment/index.ts';
import { Counters, CrashtestError } from '../../../core/index.ts';
import { abortableDelay } from '../abortable-delay.ts';
import { exchangeDatagram } from '../datagram-exchange.ts';
import type { CallOptions, Observation, Peer, Victim, VictimConnection } from '../../../sandbox/index.ts';
import type { Socket } from 'node:net';
import type { ContainmentNamespace } from './containment-namespace.ts';
import { DummyRoot, type DummyRootSpec } from './dummy-root.ts';
import { ListenerWatch } from './listener-watch.ts';
import { connectThroughLink, SocketConnection, type QuietTimes } from './socket-connection.ts';

export interface NetnsVictimSettings {
  spec: DummyRootSpec;
  /** TCP ports that must accept before the dummy counts as up */
  readyPorts: readonly number[];
  readyTimeoutMs: number;
  /** sent on the first ready port; its answer marks the copy up */
  readyProbe?: Uint8Array;
  /** keep a second copy running so that revert is a switch */
  warmSpare: boolean;
  /** real ms a dwell waits at most: a real dummy has no virtual clock to run ahead */
  maxDwellMs: number;
  quiet: QuietTimes;
  /** datagram answers are collected this long (ms) */
  datagramWaitMs: number;
  /** new listeners are looked for this often between observations() calls (ms; 0: only at those calls) */
  listenerPollMs: number;
  containment: Partial<Omit<ContainmentOptions, 'dummyId' | 'profileId' | 'onEvent'>>;
  counters: Counters;
}

/** the old copy goes, and the next spare starts, this long after a revert (ms) */
const RECYCLE_DELAY_MS = 250;

export class NetnsVictim implements Victim {
  private copy: DummyRoot;
  private spare: Promise<DummyRoot> | null = null;
  private spareCount = 0;
  private containment: Containment | null = null;
  private feed: Observation[] = [];
  private listeners: ListenerWatch | null = null;
  private listenerTimer: NodeJS.Timeout | null = null;
  private readonly connections = new Set<SocketConnection>();
  private death: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private isClosed = false;
  private readonly background = new Set<Promise<unknown>>();
  /** deferred work that close() runs at once instead of waiting for its timer */
  private readonly runNow = new Set<() => void>();
  private readonly prepareSpareBound = (): void => this.prepareSpare();
  private closing: Promise<void> | null = null;
  /** told once when the victim closes (its driver stops tracking it) */
  onClosed: (() => void) | null = null;

  private constructor(
    readonly id: string,
    readonly profile: Profile,
    private readonly space: ContainmentNamespace,
    private readonly settings: NetnsVictimSettings,
    copy: DummyRoot,
  ) {
    this.copy = copy;
  }

  /** Builds the first copy, waits for its services, and (when asked) starts a warm spare. */
  static async create(id: string, profile: Profile, space: ContainmentNamespace, settings: NetnsVictimSettings, signal?: AbortSignal): Promise<NetnsVictim> {
    const copy = await NetnsVictim.startCopy(id, space, settings, `${id}-a`, signal);
    const victim = new NetnsVictim(id, profile, space, settings, copy);
    victim.watch(copy);
    await victim.route(signal);
    if (settings.warmSpare) victim.prepareSpare();
    return victim;
  }

  private static async startCopy(id: string, space: ContainmentNamespace, settings: NetnsVictimSettings, copyId: string, signal?: AbortSignal): Promise<DummyRoot> {
    const copy = await DummyRoot.create(space, copyId, settings.spec, signal);
    try {
      copy.start();
      await NetnsVictim.waitReady(id, copy, settings, signal);
      return copy;
    } catch (error) {
      await copy.remove();
      throw error;
    }
  }

  /** Polls the ready ports from the containment side until each accepts. */
  private static async waitReady(id: string, copy: DummyRoot, settings: NetnsVictimSettings, signal?: AbortSignal): Promise<void> {
    const deadline = performance.now() + settings.readyTimeoutMs;
    for (const port of settings.readyPorts) {
      for (;;) {
        signal?.throwIfAborted();
        if (!copy.running) throw new CrashtestError('CT_ERR_VICTIM_CREATE', `netns dummy ${id}: its services exited before tcp/${port} answered: ${copy.lastStderr().trim()}`, { victimId: id });
        const socket = await copy.attachment.connect(port, signal ? { signal } : {});
        if (socket) {
          if (port === settings.readyPorts[0] && settings.readyProbe) await NetnsVictim.probe(socket, settings, signal);
          socket.destroy();
          break;
        }
        if (performance.now() > deadline) {
          throw new CrashtestError('CT_ERR_VICTIM_CREATE', `netns dummy ${id}: tcp/${port} did not answer within ${settings.readyTimeoutMs} ms: ${copy.lastStderr().trim()}`, { victimId: id, port });
        }
        await abortableDelay(2, signal);
      }
    }
  }

  private static async probe(socket: Socket, settings: NetnsVictimSettings, signal?: AbortSignal): Promise<void> {
    const connection = new SocketConnection(socket, { ...settings.quiet, greetingMs: 0 }, () => {});
    await connection.send(settings.readyProbe!, signal ? { signal } : {});
    await connection.close();
  }

  get address(): string {
    return this.copy.address;
  }

  get died(): boolean {
    return this.death !== null;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** the pcap of the current copy's link */
  get pcapPath(): string {
    return this.copy.attachment.pcapPath;
  }

  /** resolves once the warm spare (if any) is up, so the next revert is a switch */
  async spareReady(): Promise<void> {
    await Promise.all(this.background);
    await this.spare?.catch(() => {});
  }

  /** pids of the current copy's processes (the benchmark sums their memory) */
  pids(): Promise<number[]> {
    return this.copy.pids();
  }

  async connect(port: number, _peer: Peer, options: CallOptions = {}): Promise<VictimConnection | null> {
    this.assertUsable('connect');
    return connectThroughLink(this.copy.attachment, port, this.settings.quiet, this.connections, options.signal);
  }

  async sendDatagram(port: number, bytes: Uint8Array, _peer: Peer, options: CallOptions = {}): Promise<Uint8Array[]> {
    this.assertUsable('sendDatagram');
    return exchangeDatagram(() => this.copy.attachment.openDatagramSocket(), this.copy.address, port, bytes, this.settings.datagramWaitMs, options.signal);
  }

  async dwell(virtualMs: number, options: CallOptions = {}): Promise<void> {
    this.assertUsable('dwell');
    await abortableDelay(Math.min(virtualMs, this.settings.maxDwellMs), options.signal);
    this.assertUsable('dwell');
  }

  observations(): readonly Observation[] {
    if (!this.isClosed) this.listeners?.scan();
    return this.feed;
  }

  async revert(options: CallOptions = {}): Promise<void> {
    this.assertUsable('revert');
    options.signal?.throwIfAborted();
    this.stopWatchingListeners();
    this.dropConnections();
    const old = this.copy;
    try {
      const spare = this.spare;
      this.spare = null;
      // a spare that failed to start is no reason to fail the revert: rebuild in place instead
      const next = spare ? await spare.catch(() => null) : null;
      if (next) {
        this.copy = next;
        this.watch(next);
        // the old copy is torn down off the revert's clock, after the new one had a moment to
        // serve alone (spawning from this process stalls its event loop); close() waits for it
        this.inBackground(this.later(() => old.remove()));
      } else {
        await old.stop();
        old.start();
        await NetnsVictim.waitReady(this.id, old, this.settings, options.signal);
      }
      await this.route(options.signal);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw new CrashtestError('CT_ERR_VICTIM_REVERT', `netns dummy ${this.id}: revert failed: ${(error as Error).message}`, { victimId: this.id }, { cause: error });
    }
    if (this.settings.warmSpare) this.inBackground(this.later(this.prepareSpareBound));
  }

  /** Runs `work` after recycleDelayMs, at once when the victim closes meanwhile. */
  private later(work: () => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const run = (): void => {
        clearTimeout(timer);
        this.runNow.delete(run);
        try {
          resolve(work());
        } catch (error) {
          reject(error);
        }
      };
      const timer = setTimeout(run, RECYCLE_DELAY_MS);
      this.runNow.add(run);
    });
  }

  /** A fresh containment and listener baseline for the next lease: the observations start empty. */
  private async route(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.containment?.close();
    const feed: Observation[] = [];
    this.feed = feed;
    this.watchListeners(feed);
    this.containment = new Containment({
      ...this.settings.containment,
      dummyId: this.id,
      profileId: this.profile.id,
      counters: this.settings.counters,
      onEvent: (event) => feed.push({ source: 'containment', event }),
    });
    await this.copy.attachment.route(this.containment);
  }

  /** The baseline is what listens now, with the services up; the timer catches listeners that come and go between calls. */
  private watchListeners(feed: Observation[]): void {
    this.stopWatchingListeners();
    const pid = this.copy.launcherPid;
    this.listeners = pid === null ? null : new ListenerWatch(pid, this.settings.counters, (observation) => feed.push({ source: 'dummy', observation }));
    if (this.listeners && this.settings.listenerPollMs > 0) {
      const watch = this.listeners;
      this.listenerTimer = setInterval(() => watch.scan(), this.settings.listenerPollMs);
      this.listenerTimer.unref();
    }
  }

  private stopWatchingListeners(): void {
    if (this.listenerTimer) clearInterval(this.listenerTimer);
    this.listenerTimer = null;
    this.listeners = null;
  }

  private inBackground(work: Promise<unknown>): void {
    const tracked = work.catch(() => this.settings.counters.add('netns.teardown_failures')).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  private prepareSpare(): void {
    if (this.spare || this.isClosed) return;
    const spare = NetnsVictim.startCopy(this.id, this.space, this.settings, `${this.id}-s${++this.spareCount}`);
    spare.catch(() => this.settings.counters.add('netns.spare_failures'));
    this.spare = spare;
  }

  private watch(copy: DummyRoot): void {
    copy.onDeath = (exit) => {
      if (copy !== this.copy || this.isClosed) return;
      this.death = exit;
      this.settings.counters.add('netns.dummies_died');
    };
  }

  private dropConnections(): void {
    for (const connection of [...this.connections]) void connection.close();
    this.connections.clear();
  }

  async close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  destroy(_error?: Error): void {
    void this.close().catch(() => {});
  }

  private async shutdown(): Promise<void> {
    this.isClosed = true;
    this.onClosed?.();
    this.stopWatchingListeners();
    this.dropConnections();
    this.containment?.close();
    for (const run of [...this.runNow]) run();
    const spare = this.spare;
    this.spare = null;
    await Promise.all([this.copy.remove(), spare?.then((copy) => copy.remove(), () => {}), ...this.background]);
  }

  private assertUsable(call: string): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `netns dummy ${this.id}: ${call}() after close`, { victimId: this.id });
    if (this.death) {
      throw new CrashtestError('CT_ERR_VICTIM_DIED', `netns dummy ${this.id}: its services stopped on their own (code ${this.death.code}, signal ${this.death.signal})`, { victimId: this.id });
    }
  }
}
