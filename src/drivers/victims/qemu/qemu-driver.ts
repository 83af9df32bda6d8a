/**
 * The qemu driver: real virtual machines from the user's own golden images (a kernel and initrd,
 * or a disk image), KVM when it really runs guests here and TCG otherwise. A machine boots once
 * into a golden snapshot (cached on disk); each dummy is a clone restored from it, running inside
 * the shared containment namespace with its NIC on a tap there. Revert swaps in a warm spare
 * restored from the golden RAM image (`revertMode: 'spare'`, QEMU 5.0 or later) or runs `loadvm`
 * (`'loadvm'`, the fallback). Warm clones per profile are kept ready so create() is a hand-over.
 *
 * Which profiles it serves is configuration: `machines` maps a profile id to its machine. A profile
 * without one is declined. Needs root (taps, namespaces) and qemu-system-x86_64 with qemu-img;
 * without them create() says so (CT_ERR_QEMU_UNAVAILABLE, CT_ERR_NETNS_UNAVAILABLE).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Profile } from '../../../config/index.ts';
import type { ContainmentOptions } from '../../../containment/index.ts';
import { Counters, CrashtestError } from '../../../core/index.ts';
import type { CallOptions, DriverCapabilities, VictimDriver } from '../../../sandbox/index.ts';
import { ContainmentNamespace } from '../netns/containment-namespace.ts';
import { newRunPrefix } from '../netns/namespace-names.ts';
import { assertNetnsAvailable } from '../netns/run-command.ts';
import { probeAccelerator, type AcceleratorProbe, type QemuAccelerator } from './accelerator-probe.ts';
import { goldenSnapshot } from './golden-snapshot.ts';
import { checkMachineFiles, machineKey, validateQemuMachine, type QemuMachine, type QemuMachineInput } from './qemu-machine.ts';
import type { QemuGolden } from './qemu-clone.ts';
import { QemuVictim, type QemuRevertMode } from './qemu-victim.ts';
import { goldenRamImage } from './ram-image.ts';
import { abortable } from '../abortable-delay.ts';

export interface QemuDriverOptions {
  /** profile id → the machine its dummies are clones of */
  machines: Readonly<Record<string, QemuMachineInput>>;
  qemuBinary?: string;
  qemuImgBinary?: string;
  /** `auto` (default): KVM when a test guest runs under it, else TCG */
  accelerator?: 'auto' | QemuAccelerator;
  /** `auto` (default): `spare` when QEMU is 5.0 or later, else `loadvm` (see QemuVictim) */
  revertMode?: 'auto' | QemuRevertMode;
  /** a containment namespace to share (with the netns driver); default: one of its own, closed with the driver */
  containmentNamespace?: ContainmentNamespace;
  /** per-dummy folders (default: <tmp>/crashtest-qemu) */
  stateDirectory?: string;
  /** golden snapshots, kept across runs (default: <stateDirectory>/golden) */
  goldenDirectory?: string;
  /** clones per profile kept booted and ready for the next create() (default 1) */
  warmClones?: number;
  /** real ms a dwell waits at most (default 2 s): a real machine's clock cannot be run ahead */
  maxDwellMs?: number;
  greetingMs?: number;
  answerMs?: number;
  quietMs?: number;
  datagramWaitMs?: number;
  /** sinks, sinkhole and limits of each lease's containment */
  containment?: Partial<Omit<ContainmentOptions, 'dummyId' | 'profileId' | 'onEvent'>>;
  counters?: Counters;
  /** keep each dummy's folder (serial console log, state) after close, as evidence */
  keepFiles?: boolean;
  /** one line per notable event (accelerator chosen, golden boot) */
  log?: (line: string) => void;
}

export interface QemuCapabilities extends DriverCapabilities {
  /** the accelerator in use, `unprobed` until the first create() */
  readonly accelerator: QemuAccelerator | 'unprobed';
  /** how dummies revert, `unprobed` until the first create() when `auto` */
  readonly revertMode: QemuRevertMode | 'unprobed';
}

const BASE_CAPABILITIES = {
  kind: 'qemu',
  // revert restores the saved clean state (a spare restored from it, or loadvm)
  snapshot: true,
  virtualTime: false,
  // clones are re-addressed with `ip` through a shell on the guest's second serial port, which only
  // Linux guests offer so far; Windows and BSD images need their own re-addressing first
  os: Object.freeze(['linux'] as const),
  arch: Object.freeze(['x86', 'x64'] as const),
  instructionTrace: false,
} as const;

export class QemuDriver implements VictimDriver {
  readonly name = 'qemu';
  private readonly machines = new Map<string, QemuMachine>();
  private readonly victims = new Set<QemuVictim>();
  private readonly spares = new Map<string, Array<Promise<QemuVictim>>>();
  private readonly goldens = new Map<string, Promise<QemuGolden>>();
  private mode: QemuRevertMode | null = null;
  private readonly counters: Counters;
  private readonly qemuBinary: string;
  private readonly runPrefix = newRunPrefix();
  private space: Promise<ContainmentNamespace> | null = null;
  private probe: AcceleratorProbe | null = null;
  private nextId = 1;
  private isClosed = false;
  private closing: Promise<void> | null = null;
  private readonly shutdownController = new AbortController();

  constructor(private readonly options: QemuDriverOptions) {
    this.counters = options.counters ?? new Counters();
    this.qemuBinary = options.qemuBinary ?? 'qemu-system-x86_64';
    for (const [profileId, machine] of Object.entries(options.machines)) this.machines.set(profileId, validateQemuMachine(machine, `machines.${profileId}`));
    if (options.containmentNamespace) this.space = Promise.resolve(options.containmentNamespace);
  }

  get capabilities(): QemuCapabilities {
    return { ...BASE_CAPABILITIES, accelerator: this.probe?.accelerator ?? 'unprobed', revertMode: this.mode ?? 'unprobed' };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  supports(profile: Profile): boolean {
    return (BASE_CAPABILITIES.os as readonly string[]).includes(profile.os.kind) && BASE_CAPABILITIES.arch.includes(profile.arch as 'x86') && this.machines.has(profile.id);
  }

  /** Which accelerator dummies run on, probed once (`auto`) or as configured. */
  async accelerator(): Promise<AcceleratorProbe> {
    if (this.probe) return this.probe;
    const wanted = this.options.accelerator ?? 'auto';
    const probe = wanted === 'auto' ? await probeAccelerator(this.qemuBinary) : { accelerator: wanted, reason: 'configured' };
    if (!this.probe) {
      this.probe = probe;
      this.counters.add(`qemu.accelerator.${probe.accelerator}`);
      this.options.log?.(`qemu: accelerator ${probe.accelerator} (${probe.reason})`);
    }
    return this.probe;
  }

  /** How dummies revert: as configured, or `spare` when this QEMU can map RAM images (5.0 or later). */
  revertMode(): QemuRevertMode {
    if (this.mode === null) {
      const wanted = this.options.revertMode ?? 'auto';
      this.mode = wanted !== 'auto' ? wanted : qemuAtLeast(qemuVersion(this.qemuBinary), 5, 0) ? 'spare' : 'loadvm';
      this.options.log?.(`qemu: revert by ${this.mode}`);
    }
    return this.mode;
  }

  async create(profile: Profile, options: CallOptions = {}): Promise<QemuVictim> {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'qemu driver: create() after close');
    options.signal?.throwIfAborted();
    const machine = this.machines.get(profile.id);
    if (!this.supports(profile) || machine === undefined) {
      throw new CrashtestError(
        'CT_ERR_INVALID_ARGUMENT',
        `qemu driver cannot be a dummy of ${profile.id} (${profile.os.kind}/${profile.arch}): it serves linux x86/x64 profiles named in its machines config (${[...this.machines.keys()].join(', ') || 'none'})`,
        { profileId: profile.id, key: `machines.${profile.id}` },
      );
    }
    const spare = this.takeSpare(profile.id);
    let victim: QemuVictim | null = null;
    if (spare) {
      victim = await abortable(spare, options.signal).catch((error: unknown) => {
        if (options.signal?.aborted) {
          void spare.then((unwanted) => unwanted.close(), () => {});
          throw error;
        }
        return null; // a failed spare: build one now
      });
    }
    victim ??= await this.build(profile, machine, options.signal);
    this.refill(profile, machine);
    if (this.isClosed) {
      await victim.close();
      throw new CrashtestError('CT_ERR_INVALID_STATE', 'qemu driver: closed while a dummy was being created');
    }
    this.victims.add(victim);
    victim.onClosed = () => this.victims.delete(victim);
    return victim;
  }

  private async build(profile: Profile, machine: QemuMachine, signal?: AbortSignal): Promise<QemuVictim> {
    checkMachineFiles(machine, `machines.${profile.id}`);
    assertNetnsAvailable('qemu driver');
    const probe = await this.accelerator();
    const space = await abortable(this.containmentNamespace(), signal);
    const revertMode = this.revertMode();
    const golden = await abortable(this.golden(profile.id, machine, probe.accelerator, space, revertMode), signal);
    const id = `q${(this.nextId++).toString(36)}`;
    const stateDirectory = this.stateDirectory();
    return QemuVictim.create(id, profile, space, {
      qemuBinary: this.qemuBinary,
      machine,
      accelerator: probe.accelerator,
      golden,
      revertMode,
      directory: join(stateDirectory, this.runPrefix, id),
      maxDwellMs: this.options.maxDwellMs ?? 2_000,
      // a guest under TCG after a revert runs cold (its code is translated again): it pauses longer mid-answer
      quiet: { greetingMs: this.options.greetingMs ?? 30, answerMs: this.options.answerMs ?? 3_000, quietMs: this.options.quietMs ?? 300 },
      datagramWaitMs: this.options.datagramWaitMs ?? 100,
      containment: this.options.containment ?? {},
      counters: this.counters,
      keepFiles: this.options.keepFiles ?? false,
    }, signal);
  }

  /** The machine's golden snapshot or RAM image, booted at most once per driver (and cached on disk across runs). */
  private golden(profileId: string, machine: QemuMachine, accelerator: QemuAccelerator, space: ContainmentNamespace, revertMode: QemuRevertMode): Promise<QemuGolden> {
    let golden = this.goldens.get(profileId);
    if (!golden) {
      const stateDirectory = this.stateDirectory();
      const key = machineKey(machine, accelerator, qemuVersion(this.qemuBinary));
      const started = performance.now();
      const goldenOptions = {
        qemuBinary: this.qemuBinary,
        qemuImgBinary: this.options.qemuImgBinary ?? 'qemu-img',
        machine,
        accelerator,
        space,
        directory: this.options.goldenDirectory ?? join(stateDirectory, 'golden'),
        key,
        signal: this.shutdownController.signal,
      };
      const made: Promise<QemuGolden> = revertMode === 'spare'
        ? goldenRamImage(goldenOptions).then((image) => ({ kind: 'ram-image', ...image }))
        : goldenSnapshot(goldenOptions).then((path) => ({ kind: 'snapshot', path }));
      golden = made.then((ready) => {
        this.options.log?.(`qemu: golden ${ready.kind} of ${profileId} ready in ${Math.round(performance.now() - started)} ms`);
        return ready;
      });
      golden.catch(() => this.goldens.delete(profileId));
      this.goldens.set(profileId, golden);
    }
    return golden;
  }

  private stateDirectory(): string {
    return this.options.stateDirectory ?? join(tmpdir(), 'crashtest-qemu');
  }

  private containmentNamespace(): Promise<ContainmentNamespace> {
    if (!this.space) {
      this.space = ContainmentNamespace.create({ signal: this.shutdownController.signal });
      this.space.catch(() => (this.space = null));
    }
    return this.space;
  }

  private takeSpare(profileId: string): Promise<QemuVictim> | undefined {
    return this.spares.get(profileId)?.shift();
  }

  /** Tops up the profile's warm clones in the background. */
  private refill(profile: Profile, machine: QemuMachine): void {
    const wanted = this.options.warmClones ?? 1;
    const list = this.spares.get(profile.id) ?? [];
    this.spares.set(profile.id, list);
    while (!this.isClosed && list.length < wanted) {
      const spare = this.build(profile, machine, this.shutdownController.signal);
      spare.catch(() => this.counters.add('qemu.warm_clone_failures'));
      list.push(spare);
    }
  }

  /** Closes every dummy and warm clone, then the containment namespace when it is the driver's own. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  destroy(_error?: Error): void {
    this.isClosed = true;
    for (const victim of [...this.victims]) victim.destroy();
    void this.close().catch(() => {});
  }

  private async shutdown(): Promise<void> {
    this.isClosed = true;
    this.shutdownController.abort(new CrashtestError('CT_ERR_INVALID_STATE', 'qemu driver closed'));
    const spares = [...this.spares.values()].flat();
    this.spares.clear();
    await Promise.all([
      ...[...this.victims].map((victim) => victim.close()),
      ...spares.map((spare) => spare.then((victim) => victim.close(), () => {})),
      ...[...this.goldens.values()].map((golden) => golden.catch(() => {})),
    ]);
    this.victims.clear();
    if (!this.options.keepFiles) rmSync(join(this.stateDirectory(), this.runPrefix), { recursive: true, force: true });
    if (!this.options.containmentNamespace && this.space) {
      const space = await this.space.catch(() => null);
      await space?.close();
    }
  }
}

const versions = new Map<string, string>();

function qemuVersion(binary: string): string {
  let version = versions.get(binary);
  if (version === undefined) {
    try {
      version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
    } catch (error) {
      throw new CrashtestError('CT_ERR_QEMU_UNAVAILABLE', `${binary} --version failed: ${(error as Error).message} (apt-get install qemu-system-x86)`, { file: binary }, { cause: error });
    }
    versions.set(binary, version);
  }
  return version;
}

/** Whether a `qemu-system-x86_64 --version` line names major.minor or later. */
export function qemuAtLeast(versionLine: string, major: number, minor: number): boolean {
  const match = /version (\d+)\.(\d+)/.exec(versionLine);
  if (!match) return false;
  const [found, foundMinor] = [Number(match[1]), Number(match[2])];
  return found > major || (found === major && foundMinor >= minor);
}
