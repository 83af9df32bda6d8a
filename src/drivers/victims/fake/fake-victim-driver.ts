/**
 * The fake driver: scriptable in-memory dummies for tests and the pool benchmark. Every port the
 * profile lists echoes unless the script says otherwise; a port can answer fixed bytes, remember
 * what it heard until revert, be compromised by a trigger (observations, egress, a bind-shell
 * listener, a sleeping payload), or crash the victim. The test can make creates and reverts fail,
 * kill a victim, and slow any call down (aborts are honoured while it waits). It passes the same
 * conformance suite as the real drivers.
 */
import type { Profile } from '../../../config/index.ts';
import { CrashtestError } from '../../../core/index.ts';
import type { CallOptions, DriverCapabilities, VictimDriver } from '../../../sandbox/index.ts';
import { abortableDelay } from '../abortable-delay.ts';
import type { FakeDatagramBehaviour, FakePortBehaviour } from './fake-behaviour.ts';
import { FakeVictim, type FakeDriverStats, type FakeFaults, type FakeLatency, type FakeVictimContext } from './fake-victim.ts';

export interface FakeVictimDriverOptions {
  name?: string;
  /** systems it pretends to be; default all */
  os?: readonly Profile['os']['kind'][];
  arch?: readonly Profile['arch'][];
  /** TCP behaviour by port, over the default (every TCP service of the profile echoes) */
  ports?: Readonly<Record<number, FakePortBehaviour>>;
  /** UDP behaviour by port, over the default (every UDP service of the profile echoes) */
  datagramPorts?: Readonly<Record<number, FakeDatagramBehaviour>>;
  /** real ms each call takes; 0 (the default) answers without touching a timer */
  latencyMs?: Partial<FakeLatency>;
  faults?: Partial<FakeFaults>;
}

interface PortScript {
  tcp: Map<number, FakePortBehaviour>;
  udp: Map<number, FakeDatagramBehaviour>;
}

export class FakeVictimDriver implements VictimDriver {
  readonly name: string;
  readonly capabilities: DriverCapabilities;
  /** counted down as they fire; a test may change them at any time */
  readonly faults: FakeFaults;
  readonly stats: FakeDriverStats = { created: 0, reverts: 0, revertFailures: 0, connects: 0, dwells: 0, closed: 0, destroyed: 0 };
  readonly latencyMs: FakeLatency;
  private readonly options: FakeVictimDriverOptions;
  private readonly alive = new Set<FakeVictim>();
  private readonly scripts = new Map<string, PortScript>();
  private isClosed = false;
  private sequence = 0;

  constructor(options: FakeVictimDriverOptions = {}) {
    this.options = options;
    this.name = options.name ?? 'fake';
    this.capabilities = Object.freeze({
      kind: 'fake',
      // revert resets the in-memory state to the clean state it was created in
      snapshot: true,
      // dwell advances the victim's clock at once
      virtualTime: true,
      os: Object.freeze([...(options.os ?? (['windows', 'linux', 'freebsd'] as const))]),
      arch: Object.freeze([...(options.arch ?? (['x86', 'x64', 'arm'] as const))]),
      instructionTrace: false,
    });
    this.faults = { createFailures: 0, revertFailures: 0, ...options.faults };
    this.latencyMs = { create: 0, connect: 0, send: 0, dwell: 0, revert: 0, ...options.latencyMs };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** victims created and not yet closed or destroyed, oldest first */
  get victims(): readonly FakeVictim[] {
    return [...this.alive];
  }

  supports(profile: Profile): boolean {
    return this.capabilities.os.includes(profile.os.kind) && this.capabilities.arch.includes(profile.arch);
  }

  async create(profile: Profile, options: CallOptions = {}): Promise<FakeVictim> {
    this.assertOpen();
    options.signal?.throwIfAborted();
    if (!this.supports(profile)) {
      throw new CrashtestError(
        'CT_ERR_INVALID_ARGUMENT',
        `driver ${this.name} cannot be a dummy of ${profile.id} (${profile.os.kind}/${profile.arch}); it declares os ${this.capabilities.os.join(', ')} and arch ${this.capabilities.arch.join(', ')}`,
        { profileId: profile.id },
      );
    }
    await abortableDelay(this.latencyMs.create, options.signal);
    this.assertOpen();
    if (this.faults.createFailures > 0) {
      this.faults.createFailures--;
      throw new CrashtestError('CT_ERR_VICTIM_CREATE', `driver ${this.name}: create of ${profile.id} failed (scripted by faults.createFailures)`, { profileId: profile.id });
    }
    const number = ++this.sequence;
    const victim = new FakeVictim(`${this.name}-${number}`, profile, `10.77.${(number >> 8) & 255}.${number & 255}`, this.contextFor(profile));
    this.alive.add(victim);
    this.stats.created++;
    return victim;
  }

  /** Closes every victim it made, then itself. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await Promise.all(this.victims.map((victim) => victim.close()));
  }

  destroy(error?: Error): void {
    if (this.isClosed && this.alive.size === 0) return;
    this.isClosed = true;
    for (const victim of this.victims) victim.destroy(error);
  }

  private contextFor(profile: Profile): FakeVictimContext {
    return {
      latencyMs: this.latencyMs,
      faults: this.faults,
      stats: this.stats,
      ...this.scriptFor(profile),
      gone: (victim) => this.alive.delete(victim),
    };
  }

  /** The profile's ports with the test's script over them; worked out once per profile. */
  private scriptFor(profile: Profile): PortScript {
    let script = this.scripts.get(profile.id);
    if (script === undefined) {
      script = { tcp: new Map(), udp: new Map() };
      for (const service of profile.services) {
        if (service.proto === 'tcp') script.tcp.set(service.port, { kind: 'echo' });
        else script.udp.set(service.port, { kind: 'echo' });
      }
      for (const [port, behaviour] of Object.entries(this.options.ports ?? {})) script.tcp.set(Number(port), behaviour);
      for (const [port, behaviour] of Object.entries(this.options.datagramPorts ?? {})) script.udp.set(Number(port), behaviour);
      this.scripts.set(profile.id, script);
    }
    return script;
  }

  private assertOpen(): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `victim driver ${this.name} used after close()`);
  }
}
