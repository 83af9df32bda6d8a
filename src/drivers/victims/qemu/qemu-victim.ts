/**
 * A qemu dummy: QEMU running inside the containment namespace, its NIC on a tap there (the tap is
 * its only network), a clone of the machine's golden state re-addressed to its link. Two ways to
 * revert (`revertMode`):
 * - `spare` (default): two links, two clones. The one in use answers; the other is a clone already
 *   restored from the golden RAM image, re-addressed and answering, then stopped. Revert resumes
 *   the spare (`cont`), hands it the next lease and kills the used clone; a fresh clone takes its
 *   link in the background as the next spare. The dummy's address therefore alternates between its
 *   two links. Nothing of the used clone survives: its process is gone.
 * - `loadvm`: one clone, saved as its own `clean` snapshot, reverted in place with `loadvm clean`
 *   and a wait until the readiness port answers again (for QEMU without RAM images).
 * Clients reach it from inside the containment namespace; each lease gets a fresh `Containment`,
 * whose egress events (from the tap's redirect) become observations beside the lines the guest
 * writes to its serial console (kept in a file as evidence).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Profile } from '../../../config/index.ts';
import { Containment, type ContainmentOptions } from '../../../containment/index.ts';
import { Counters, CrashtestError } from '../../../core/index.ts';
import { abortable, abortableDelay } from '../abortable-delay.ts';
import { exchangeDatagram } from '../datagram-exchange.ts';
import type { CallOptions, Observation, Peer, Victim, VictimConnection } from '../../../sandbox/index.ts';
import type { ContainmentAttachment, ContainmentNamespace } from '../netns/containment-namespace.ts';
import { connectThroughLink, SocketConnection, type QuietTimes } from '../netns/socket-connection.ts';
import type { QemuAccelerator } from './accelerator-probe.ts';
import { QemuClone, type QemuCloneSettings, type QemuGolden } from './qemu-clone.ts';
import type { QemuMachine } from './qemu-machine.ts';
import type { QemuExit } from './qemu-process.ts';

export type QemuRevertMode = 'spare' | 'loadvm';

/** the used clone is killed, and the next spare started, this long after a revert (ms): the new lease gets the CPU first */
const RECYCLE_DELAY_MS = 250;

export interface QemuVictimSettings {
  qemuBinary: string;
  machine: QemuMachine;
  accelerator: QemuAccelerator;
  /** the golden snapshot (`loadvm`) or RAM image (`spare`) clones start from (copied or mapped, never written) */
  golden: QemuGolden;
  revertMode: QemuRevertMode;
  /** this victim's own folder (a subfolder per link: sockets, state, console log) */
  directory: string;
  /** real ms a dwell waits at most: a real machine's clock cannot be run ahead */
  maxDwellMs: number;
  quiet: QuietTimes;
  datagramWaitMs: number;
  containment: Partial<Omit<ContainmentOptions, 'dummyId' | 'profileId' | 'onEvent'>>;
  counters: Counters;
  /** keep the folder (console logs, state) after close, as evidence */
  keepFiles: boolean;
}

/** one link of the dummy and the folder of the clones that run on it */
interface Slot {
  link: ContainmentAttachment;
  directory: string;
}

export class QemuVictim implements Victim {
  private clone: QemuClone;
  /** the slot `clone` runs on; a spare is prepared on the other one */
  private slotIndex = 0;
  /** `spare` mode: the next clone, stopped and ready (or on its way) */
  private spare: Promise<QemuClone> | null = null;
  /** deferred work that revert() and close() run at once instead of waiting for its timer */
  private readonly runNow = new Set<() => void>();
  private readonly background = new Set<Promise<unknown>>();
  private containment: Containment | null = null;
  private feed: Observation[] = [];
  private readonly connections = new Set<SocketConnection>();
  private death: QemuExit | null = null;
  /** a revert was cut short: the guest state is unknown until the next revert succeeds */
  private dirty = false;
  private leaseStarted = performance.now();
  private isClosed = false;
  private closing: Promise<void> | null = null;
  /** told once when the victim closes (its driver stops tracking it) */
  onClosed: (() => void) | null = null;

  private constructor(
    readonly id: string,
    readonly profile: Profile,
    private readonly space: ContainmentNamespace,
    private readonly settings: QemuVictimSettings,
    private readonly slots: readonly Slot[],
    clone: QemuClone,
  ) {
    this.clone = clone;
    this.watch(clone);
  }

  /** Starts the first clone on a new tap (and, in `spare` mode, the spare on a second one). */
  static async create(id: string, profile: Profile, space: ContainmentNamespace, settings: QemuVictimSettings, signal?: AbortSignal): Promise<QemuVictim> {
    signal?.throwIfAborted();
    const slots: Slot[] = [];
    try {
      for (const name of settings.revertMode === 'spare' ? ['a', 'b'] : ['a']) {
        slots.push({ link: await space.attachTap(`${id}${name}`, signal ? { signal } : {}), directory: join(settings.directory, name) });
      }
      const clone = await QemuClone.start(slots[0]!.link, slots[0]!.directory, cloneSettings(space, settings), signal);
      const victim = new QemuVictim(id, profile, space, settings, slots, clone);
      try {
        if (settings.revertMode === 'spare') {
          await clone.resume(signal);
          victim.spare = victim.startSpare(0);
        }
        await victim.startLease(signal);
      } catch (error) {
        await victim.close();
        throw error;
      }
      return victim;
    } catch (error) {
      await Promise.all(slots.map((slot) => slot.link.close()));
      if (!settings.keepFiles) rmSync(settings.directory, { recursive: true, force: true });
      if (signal?.aborted) throw signal.reason;
      if (error instanceof CrashtestError) throw error;
      throw new CrashtestError('CT_ERR_VICTIM_CREATE', `qemu dummy ${id}: ${(error as Error).message}`, { victimId: id }, { cause: error });
    }
  }

  get address(): string {
    return this.clone.link.dummyAddress;
  }

  get died(): boolean {
    return this.death !== null;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** the pcap of the tap the dummy is on now (both directions, since the tap was made) */
  get pcapPath(): string {
    return this.clone.link.pcapPath;
  }

  /** the serial console log of the clone in use, kept as evidence */
  get consolePath(): string {
    return this.clone.files.console;
  }

  /** the pid of the QEMU in use */
  get pid(): number {
    return this.clone.pid;
  }

  /** every QEMU this dummy keeps (the one in use and its spare), once the spare is ready: what a warm dummy costs */
  async pids(): Promise<number[]> {
    await this.spareReady();
    const spare = this.spare ? await this.spare.catch(() => null) : null;
    return [this.clone.pid, ...(spare ? [spare.pid] : [])];
  }

  /** resolves once the spare (in `spare` mode) is ready, so the next revert is a swap */
  async spareReady(): Promise<void> {
    await Promise.all(this.background);
    await this.spare?.catch(() => {});
  }

  async connect(port: number, _peer: Peer, options: CallOptions = {}): Promise<VictimConnection | null> {
    this.assertUsable('connect');
    return connectThroughLink(this.clone.link, port, this.settings.quiet, this.connections, options.signal);
  }

  async sendDatagram(port: number, bytes: Uint8Array, _peer: Peer, options: CallOptions = {}): Promise<Uint8Array[]> {
    this.assertUsable('sendDatagram');
    const link = this.clone.link;
    return exchangeDatagram(() => link.openDatagramSocket(), link.dummyAddress, port, bytes, this.settings.datagramWaitMs, options.signal);
  }

  async dwell(virtualMs: number, options: CallOptions = {}): Promise<void> {
    this.assertUsable('dwell');
    await abortableDelay(Math.min(virtualMs, this.settings.maxDwellMs), options.signal);
    this.assertUsable('dwell');
  }

  observations(): readonly Observation[] {
    this.drainConsole();
    return this.feed;
  }

  /** Back to the clean state (a swap to the spare, or `loadvm clean`); a fresh containment for the next lease. */
  async revert(options: CallOptions = {}): Promise<void> {
    this.assertUsable('revert');
    options.signal?.throwIfAborted();
    const signal = options.signal;
    this.dropConnections();
    this.dirty = true;
    try {
      await this.clone.link.route(null);
      if (this.settings.revertMode === 'spare') await this.swap(signal);
      else {
        await this.clone.loadSnapshot(signal);
        await this.clone.waitAnswering(this.settings.machine.readiness.revertTimeoutMs, signal);
      }
      await this.startLease(signal);
      this.dirty = false;
      this.settings.counters.add('qemu.reverts');
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (this.death) throw new CrashtestError('CT_ERR_VICTIM_DIED', `qemu dummy ${this.id}: QEMU exited during revert (code ${this.death.code}, signal ${this.death.signal})`, { victimId: this.id, ...this.death });
      if (error instanceof CrashtestError && error.code === 'CT_ERR_VICTIM_REVERT') throw error;
      throw new CrashtestError('CT_ERR_VICTIM_REVERT', `qemu dummy ${this.id}: revert failed: ${(error as Error).message}`, { victimId: this.id }, { cause: error });
    }
  }

  /** The spare takes over (resumed); the used clone is killed and its link gets the next spare, off the revert's clock. */
  private async swap(signal?: AbortSignal): Promise<void> {
    for (const run of [...this.runNow]) run();
    const used = this.clone;
    const pending = this.spare;
    this.spare = null;
    let next: QemuClone | null = null;
    if (pending) {
      try {
        next = await abortable(pending, signal);
      } catch (error) {
        if (signal?.aborted) {
          this.spare = pending;
          throw error;
        }
        // a spare that failed is no reason to fail the revert: a clone is built in place below
      }
    }
    if (next?.exitStatus) {
      this.settings.counters.add('qemu.spare_failures');
      next = null;
    }
    const swapped = next !== null;
    if (swapped) {
      this.slotIndex = 1 - this.slotIndex;
    } else {
      await used.kill();
      next = await QemuClone.start(this.slots[this.slotIndex]!.link, this.slots[this.slotIndex]!.directory, cloneSettings(this.space, this.settings), signal);
    }
    this.clone = next!;
    this.watch(next!);
    // the next spare goes on the link not in use: the used clone's (killed first), or the failed spare's
    this.spare = this.startSpare(this.slotIndex, swapped ? used : null);
    await next!.resume(signal);
    if (swapped) this.settings.counters.add('qemu.spare_swaps');
  }

  /** The next spare on the slot other than `inUse`, after the recycle delay; `used` (if any) is killed first. */
  private startSpare(inUse: number, used: QemuClone | null = null): Promise<QemuClone> {
    const slot = this.slots[1 - inUse]!;
    const spare = this.later(async () => {
      await used?.kill();
      if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `qemu dummy ${this.id}: closed`);
      return QemuClone.start(slot.link, slot.directory, cloneSettings(this.space, this.settings));
    });
    spare.then(
      (clone) => {
        clone.onExit = () => this.settings.counters.add('qemu.spare_failures');
      },
      () => this.settings.counters.add('qemu.spare_failures'),
    );
    return spare;
  }

  /** Runs `work` after RECYCLE_DELAY_MS, at once when a revert or close() needs it sooner. */
  private later<T>(work: () => Promise<T>): Promise<T> {
    const result = new Promise<T>((resolve, reject) => {
      const run = (): void => {
        clearTimeout(timer);
        this.runNow.delete(run);
        work().then(resolve, reject);
      };
      const timer = setTimeout(run, RECYCLE_DELAY_MS);
      this.runNow.add(run);
    });
    const tracked = result.catch(() => {}).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
    return result;
  }

  /** A fresh containment and an empty feed: nothing of the last lease shows in the next. */
  private async startLease(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.containment?.close();
    this.clone.console.skipToEnd();
    const feed: Observation[] = [];
    this.feed = feed;
    this.leaseStarted = performance.now();
    this.containment = new Containment({
      ...this.settings.containment,
      dummyId: this.id,
      profileId: this.profile.id,
      counters: this.settings.counters,
      onEvent: (event) => {
        // what the guest wrote before it reached the network came first
        this.drainConsole();
        feed.push({ source: 'containment', event });
      },
    });
    await this.clone.link.route(this.containment);
  }

  /** Console lines the guest wrote since the last look, as dummy observations. */
  private drainConsole(): void {
    if (this.dirty || this.isClosed) return;
    const at = Math.round(performance.now() - this.leaseStarted);
    for (const observation of this.clone.console.read(at)) this.feed.push({ source: 'dummy', observation });
  }

  private watch(clone: QemuClone): void {
    clone.onExit = (exit) => {
      if (this.isClosed || clone !== this.clone) return;
      this.death = exit;
      this.settings.counters.add('qemu.dummies_died');
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
    if (!this.isClosed) {
      this.isClosed = true;
      this.onClosed?.();
    }
    void this.close().catch(() => {});
  }

  private async shutdown(): Promise<void> {
    if (!this.isClosed) {
      this.isClosed = true;
      this.onClosed?.();
    }
    this.dropConnections();
    this.containment?.close();
    for (const run of [...this.runNow]) run();
    const spare = this.spare;
    this.spare = null;
    await Promise.all([this.clone.kill(), spare?.then((clone) => clone.kill(), () => {}), ...this.background]);
    await Promise.all(this.slots.map((slot) => slot.link.close()));
    if (!this.settings.keepFiles) rmSync(this.settings.directory, { recursive: true, force: true });
  }

  private assertUsable(call: string): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `qemu dummy ${this.id}: ${call}() after close`, { victimId: this.id });
    if (this.death) {
      throw new CrashtestError('CT_ERR_VICTIM_DIED', `qemu dummy ${this.id}: QEMU exited on its own (pid ${this.death.pid}, code ${this.death.code}, signal ${this.death.signal}): ${this.death.stderr}`, { victimId: this.id, pid: this.death.pid });
    }
  }
}

function cloneSettings(space: ContainmentNamespace, settings: QemuVictimSettings): QemuCloneSettings {
  return { qemuBinary: settings.qemuBinary, machine: settings.machine, accelerator: settings.accelerator, golden: settings.golden, space };
}
