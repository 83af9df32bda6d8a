/**
 * A qemu dummy: one QEMU process running inside the containment namespace, its NIC on a tap there
 * (the tap is its only network), restored from the machine's golden snapshot and re-addressed to
 * its link, then saved as its own `clean` snapshot. Revert is `loadvm clean` and a wait until the
 * readiness port answers again. Clients reach it from inside the containment namespace; each lease
 * gets a fresh `Containment`, whose egress events (from the tap's redirect) become observations
 * beside the lines the guest writes to its serial console (kept in a file as evidence).
 */
import { copyFileSync, constants, mkdirSync, rmSync } from 'node:fs';
import type { Profile } from '../../../config/index.ts';
import { Containment, type ContainmentOptions } from '../../../containment/index.ts';
import { Counters, CrashtestError } from '../../../core/index.ts';
import { abortableDelay } from '../abortable-delay.ts';
import { exchangeDatagram } from '../datagram-exchange.ts';
import type { CallOptions, Observation, Peer, Victim, VictimConnection } from '../../../sandbox/index.ts';
import type { ContainmentAttachment, ContainmentNamespace } from '../netns/containment-namespace.ts';
import { connectThroughLink, SocketConnection, type QuietTimes } from '../netns/socket-connection.ts';
import type { QemuAccelerator } from './accelerator-probe.ts';
import { containedWrapper, notYetReachable } from './golden-snapshot.ts';
import { GuestControl } from './guest-control.ts';
import { qemuArguments, qemuFiles, SNAPSHOT_NAME, type QemuFiles } from './qemu-command-line.ts';
import type { QemuMachine } from './qemu-machine.ts';
import { QemuProcess, type QemuExit } from './qemu-process.ts';
import { SerialConsole } from './serial-console.ts';

export interface QemuVictimSettings {
  qemuBinary: string;
  machine: QemuMachine;
  accelerator: QemuAccelerator;
  /** the golden qcow2 this clone starts from (copied, never written) */
  golden: string;
  /** this victim's own folder (sockets, state, console log) */
  directory: string;
  /** real ms a dwell waits at most: a real machine's clock cannot be run ahead */
  maxDwellMs: number;
  quiet: QuietTimes;
  datagramWaitMs: number;
  containment: Partial<Omit<ContainmentOptions, 'dummyId' | 'profileId' | 'onEvent'>>;
  counters: Counters;
  /** keep the folder (console log, state) after close, as evidence */
  keepFiles: boolean;
}

export class QemuVictim implements Victim {
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
    private readonly settings: QemuVictimSettings,
    private readonly files: QemuFiles,
    private readonly link: ContainmentAttachment,
    private readonly qemu: QemuProcess,
    private readonly control: GuestControl,
    private readonly console: SerialConsole,
  ) {
    qemu.onExit = (exit) => {
      if (this.isClosed) return;
      this.death = exit;
      settings.counters.add('qemu.dummies_died');
    };
  }

  /** Starts a clone of the golden snapshot on a new tap, re-addresses it, and saves its own clean state. */
  static async create(id: string, profile: Profile, space: ContainmentNamespace, settings: QemuVictimSettings, signal?: AbortSignal): Promise<QemuVictim> {
    signal?.throwIfAborted();
    mkdirSync(settings.directory, { recursive: true });
    const files = qemuFiles(settings.directory);
    const cleanups: Array<() => Promise<void> | void> = [() => rmSync(settings.directory, { recursive: true, force: true })];
    const undo = async (): Promise<void> => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    };
    try {
      // a reflink where the file system has them: clones share the golden blocks until they write
      copyFileSync(settings.golden, files.state, constants.COPYFILE_FICLONE);
      const link = await space.attachTap(id, signal ? { signal } : {});
      cleanups.push(() => link.close());
      const qemu = await QemuProcess.start({
        binary: settings.qemuBinary,
        wrapper: containedWrapper(space.name),
        args: qemuArguments({ machine: settings.machine, accelerator: settings.accelerator, files, tap: { interfaceName: link.interfaceName }, loadSnapshot: true }),
        qmpPath: files.qmp,
        ...(signal ? { signal } : {}),
      });
      cleanups.push(() => qemu.kill());
      const control = await GuestControl.connect(files.control, signal);
      cleanups.push(() => control.close());
      await readdress(control, link, settings.machine, signal);
      const console = new SerialConsole(files.console);
      const victim = new QemuVictim(id, profile, settings, files, link, qemu, control, console);
      await victim.waitAnswering(settings.machine.readiness.bootTimeoutMs, signal);
      const output = await qemu.qmp.human(`savevm ${SNAPSHOT_NAME}`, signal ? { signal } : {});
      if (/error/i.test(output)) throw new CrashtestError('CT_ERR_VICTIM_CREATE', `qemu dummy ${id}: savevm failed: ${output.trim()}`, { victimId: id });
      await victim.startLease(signal);
      return victim;
    } catch (error) {
      await undo();
      if (signal?.aborted) throw signal.reason;
      if (error instanceof CrashtestError) throw error;
      throw new CrashtestError('CT_ERR_VICTIM_CREATE', `qemu dummy ${id}: ${(error as Error).message}`, { victimId: id }, { cause: error });
    }
  }

  get address(): string {
    return this.link.dummyAddress;
  }

  get died(): boolean {
    return this.death !== null;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** the pcap of the dummy's tap (both directions, since the dummy was created) */
  get pcapPath(): string {
    return this.link.pcapPath;
  }

  /** the serial console log, kept as evidence */
  get consolePath(): string {
    return this.files.console;
  }

  /** QEMU's pid (the benchmark reads its memory) */
  get pid(): number {
    return this.qemu.pid;
  }

  async connect(port: number, _peer: Peer, options: CallOptions = {}): Promise<VictimConnection | null> {
    this.assertUsable('connect');
    return connectThroughLink(this.link, port, this.settings.quiet, this.connections, options.signal);
  }

  async sendDatagram(port: number, bytes: Uint8Array, _peer: Peer, options: CallOptions = {}): Promise<Uint8Array[]> {
    this.assertUsable('sendDatagram');
    return exchangeDatagram(() => this.link.openDatagramSocket(), this.link.dummyAddress, port, bytes, this.settings.datagramWaitMs, options.signal);
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

  /** `loadvm clean`, then the readiness port must answer again; a fresh containment for the next lease. */
  async revert(options: CallOptions = {}): Promise<void> {
    this.assertUsable('revert');
    options.signal?.throwIfAborted();
    const signal = options.signal;
    this.dropConnections();
    this.dirty = true;
    try {
      await this.link.route(null);
      const output = await this.qemu.qmp.human(`loadvm ${SNAPSHOT_NAME}`, signal ? { signal } : {});
      if (/error/i.test(output)) throw new CrashtestError('CT_ERR_VICTIM_REVERT', `qemu dummy ${this.id}: loadvm failed: ${output.trim()}`, { victimId: this.id });
      await this.waitAnswering(this.settings.machine.readiness.revertTimeoutMs, signal);
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

  /** Polls the readiness port from the containment side until it accepts. */
  private async waitAnswering(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const port = this.settings.machine.readiness.port;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if (this.death) throw new CrashtestError('CT_ERR_VICTIM_DIED', `qemu dummy ${this.id}: QEMU exited (code ${this.death.code}, signal ${this.death.signal}): ${this.death.stderr}`, { victimId: this.id });
      const socket = await this.link.connect(port, signal ? { signal } : {}).catch(notYetReachable);
      if (socket) {
        socket.destroy();
        return;
      }
      if (performance.now() > deadline) throw new CrashtestError('CT_ERR_VICTIM_REVERT', `qemu dummy ${this.id}: tcp/${port} did not answer within ${timeoutMs} ms`, { victimId: this.id, port });
      await abortableDelay(2, signal);
    }
  }

  /** A fresh containment and an empty feed: nothing of the last lease shows in the next. */
  private async startLease(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.containment?.close();
    this.console.skipToEnd();
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
    await this.link.route(this.containment);
  }

  /** Console lines the guest wrote since the last look, as dummy observations. */
  private drainConsole(): void {
    if (this.dirty || this.isClosed) return;
    const at = Math.round(performance.now() - this.leaseStarted);
    for (const observation of this.console.read(at)) this.feed.push({ source: 'dummy', observation });
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
    this.control.close();
    this.containment?.close();
    await this.qemu.kill();
    await this.link.close();
    if (!this.settings.keepFiles) rmSync(this.files.directory, { recursive: true, force: true });
  }

  private assertUsable(call: string): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `qemu dummy ${this.id}: ${call}() after close`, { victimId: this.id });
    if (this.death) {
      throw new CrashtestError('CT_ERR_VICTIM_DIED', `qemu dummy ${this.id}: QEMU exited on its own (pid ${this.death.pid}, code ${this.death.code}, signal ${this.death.signal}): ${this.death.stderr}`, { victimId: this.id, pid: this.death.pid });
    }
  }
}

/** Moves the guest from the golden boot's address to its own link's, through the control line. */
async function readdress(control: GuestControl, link: ContainmentAttachment, machine: QemuMachine, signal?: AbortSignal): Promise<void> {
  const device = 'eth0';
  const commands = [
    `ip addr flush dev ${device}`,
    `ip addr add ${link.dummyAddress}/${link.prefixLength} dev ${device}`,
    `ip route replace default via ${link.gatewayAddress}`,
  ].join(' && ');
  const result = await control.run(commands, { ...(signal ? { signal } : {}), timeoutMs: machine.readiness.revertTimeoutMs });
  if (result.status !== 0) throw new CrashtestError('CT_ERR_VICTIM_CREATE', `re-addressing the guest failed (status ${result.status}): ${result.output.trim()}`);
}
