/**
 * The netns driver: real Linux services as dummies. Each dummy is a network namespace with a veth
 * into the shared containment namespace (its only network), an overlayfs copy-on-write root over
 * the lower directory its profile's entry names, and that entry's service commands running inside.
 * Revert kills every process, discards the upper layer and starts again (or switches to a warm
 * spare). It needs root and ip, nft, tcpdump and unshare: without them create() says so with
 * CT_ERR_NETNS_UNAVAILABLE instead of failing half-way.
 *
 * Which profiles it serves is configuration, not the catalogue: `dummies` maps a profile id to
 * what runs for it. A profile without an entry is declined, so supports() never promises a dummy
 * the driver cannot build.
 */
import type { Profile } from '../../../config/index.ts';
import type { ContainmentOptions } from '../../../containment/index.ts';
import { Counters, CrashtestError } from '../../../core/index.ts';
import type { CallOptions, DriverCapabilities, VictimDriver } from '../../../sandbox/index.ts';
import { ContainmentNamespace } from './containment-namespace.ts';
import type { DummyRootSpec } from './dummy-root.ts';
import { DEFAULT_LISTENER_POLL_MS } from './listener-watch.ts';
import { NetnsVictim } from './netns-victim.ts';
import { assertNetnsAvailable } from './run-command.ts';

export interface NetnsDummyConfig extends DummyRootSpec {
  /** TCP ports that must accept before a copy counts as up (default: the profile's TCP services) */
  readyPorts?: readonly number[];
  /**
   * bytes sent on the first ready port once it accepts; the copy is up when they are answered.
   * Warms the service (a first request is often the slowest), so a spare answers at full speed.
   */
  readyProbe?: string;
  /** how long the services get to come up (default 10 s) */
  readyTimeoutMs?: number;
}

export interface NetnsDriverOptions {
  /** profile id → the lower directory and service commands of its dummies */
  dummies: Readonly<Record<string, NetnsDummyConfig>>;
  /** a containment namespace to share (with the qemu driver); default: one of its own, closed with the driver */
  containmentNamespace?: ContainmentNamespace;
  /** keep one spare copy per dummy running, so revert is a switch (default true) */
  warmSpare?: boolean;
  /** real ms a dwell waits at most (default 2 s): a real dummy's clock cannot be run ahead */
  maxDwellMs?: number;
  /** answer collection on dummy connections (ms) */
  greetingMs?: number;
  answerMs?: number;
  quietMs?: number;
  datagramWaitMs?: number;
  /** how often a leased dummy's new listeners are looked for between observations() calls (default 500 ms; 0: only at those calls) */
  listenerPollMs?: number;
  /** sinks, sinkhole and limits of each lease's containment */
  containment?: Partial<Omit<ContainmentOptions, 'dummyId' | 'profileId' | 'onEvent'>>;
  counters?: Counters;
}

const CAPABILITIES: DriverCapabilities = Object.freeze({
  kind: 'netns',
  // revert rebuilds from the lower layer; nothing is restored from a saved state
  snapshot: false,
  virtualTime: false,
  // the services run on this kernel
  os: Object.freeze(['linux'] as const),
  arch: Object.freeze([process.arch === 'arm64' ? 'arm' : process.arch === 'ia32' ? 'x86' : 'x64'] as const),
  instructionTrace: false,
});

export class NetnsDriver implements VictimDriver {
  readonly name = 'netns';
  readonly capabilities = CAPABILITIES;
  private readonly victims = new Set<NetnsVictim>();
  private space: Promise<ContainmentNamespace> | null = null;
  private readonly counters: Counters;
  private nextId = 1;
  private isClosed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: NetnsDriverOptions) {
    this.counters = options.counters ?? new Counters();
    if (options.containmentNamespace) this.space = Promise.resolve(options.containmentNamespace);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  supports(profile: Profile): boolean {
    return this.capabilities.os.includes(profile.os.kind) && this.capabilities.arch.includes(profile.arch) && this.options.dummies[profile.id] !== undefined;
  }

  async create(profile: Profile, options: CallOptions = {}): Promise<NetnsVictim> {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'netns driver: create() after close');
    options.signal?.throwIfAborted();
    const config = this.options.dummies[profile.id];
    if (!this.supports(profile) || config === undefined) {
      throw new CrashtestError(
        'CT_ERR_INVALID_ARGUMENT',
        `netns driver cannot be a dummy of ${profile.id} (${profile.os.kind}/${profile.arch}): it serves ${this.capabilities.os.join(', ')}/${this.capabilities.arch.join(', ')} profiles named in its dummies config (${Object.keys(this.options.dummies).join(', ') || 'none'})`,
        { profileId: profile.id, key: `dummies.${profile.id}` },
      );
    }
    assertNetnsAvailable('netns driver');
    const space = await this.containmentNamespace(options.signal);
    const id = `d${(this.nextId++).toString(36)}`;
    const victim = await NetnsVictim.create(id, profile, space, {
      spec: config,
      readyPorts: config.readyPorts ?? profile.services.filter((service) => service.proto === 'tcp').map((service) => service.port),
      readyTimeoutMs: config.readyTimeoutMs ?? 10_000,
      ...(config.readyProbe !== undefined ? { readyProbe: Buffer.from(config.readyProbe, 'latin1') } : {}),
      warmSpare: this.options.warmSpare ?? true,
      maxDwellMs: this.options.maxDwellMs ?? 2_000,
      quiet: { greetingMs: this.options.greetingMs ?? 30, answerMs: this.options.answerMs ?? 2_000, quietMs: this.options.quietMs ?? 50 },
      datagramWaitMs: this.options.datagramWaitMs ?? 100,
      listenerPollMs: this.options.listenerPollMs ?? DEFAULT_LISTENER_POLL_MS,
      containment: this.options.containment ?? {},
      counters: this.counters,
    }, options.signal);
    if (this.isClosed) {
      await victim.close();
      throw new CrashtestError('CT_ERR_INVALID_STATE', 'netns driver: closed while a dummy was being created');
    }
    this.victims.add(victim);
    victim.onClosed = () => this.victims.delete(victim);
    return victim;
  }

  private containmentNamespace(signal?: AbortSignal): Promise<ContainmentNamespace> {
    if (!this.space) {
      this.space = ContainmentNamespace.create(signal ? { signal } : {});
      // a failed or aborted start is retried by the next create()
      this.space.catch(() => (this.space = null));
    }
    return this.space;
  }

  /** Closes every dummy, then the containment namespace when it is the driver's own. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  destroy(_error?: Error): void {
    void this.close().catch(() => {});
  }

  private async shutdown(): Promise<void> {
    this.isClosed = true;
    const victims = [...this.victims];
    this.victims.clear();
    await Promise.all(victims.map((victim) => victim.close()));
    if (this.space && !this.options.containmentNamespace) {
      const space = await this.space.catch(() => null);
      await space?.close();
    }
  }
}
