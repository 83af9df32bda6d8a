/**
 * The embedded default driver: every profile of the catalogue as an emulated host in this process.
 * No root, no images; a dummy is made in microseconds and reverted by dropping its state.
 */
import type { Profile } from '../../../config/index.ts';
import { Counters, CrashtestError } from '../../../core/index.ts';
import type { HostInterpreters } from '../../../emulator/index.ts';
import type { CallOptions, DriverCapabilities, Victim, VictimDriver } from '../../../sandbox/index.ts';
import { EmulatedVictim, type EmulatedVictimOptions, type ServiceResolver } from './emulated-victim.ts';

export interface EmulatedDriverOptions {
  services: ServiceResolver;
  interpreters?: HostInterpreters;
  counters?: Counters;
  /** the address dummies have as their clients see them */
  address?: string;
  disassembler?: EmulatedVictimOptions['disassembler'];
  instructionsPerRun?: number;
}

const CAPABILITIES: DriverCapabilities = Object.freeze({
  kind: 'emulated',
  snapshot: true,
  virtualTime: true,
  os: Object.freeze(['windows', 'linux', 'freebsd'] as const),
  arch: Object.freeze(['x86', 'x64', 'arm'] as const),
  instructionTrace: true,
});

export class EmulatedDriver implements VictimDriver {
  readonly name = 'emulated';
  readonly capabilities = CAPABILITIES;
  private readonly victims = new Set<EmulatedVictim>();
  private nextId = 1;
  private isClosed = false;

  constructor(private readonly options: EmulatedDriverOptions) {}

  get closed(): boolean {
    return this.isClosed;
  }

  supports(profile: Profile): boolean {
    if (!this.capabilities.os.includes(profile.os.kind) || !this.capabilities.arch.includes(profile.arch)) return false;
    // ARM is served for embedded Linux, whose attacks are shell commands; a Windows-on-ARM dummy
    // would have no process environment for attacker code and would pass every exploit as harmless.
    return !(profile.os.kind === 'windows' && profile.arch === 'arm');
  }

  async create(profile: Profile, options: CallOptions = {}): Promise<Victim> {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'emulated driver: create after close');
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
    if (!this.supports(profile)) throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `emulated driver cannot be a dummy of ${profile.id}`);
    const victim = new EmulatedVictim({
      id: `emulated-${this.nextId++}`,
      profile,
      address: this.options.address ?? '10.13.37.10',
      services: this.options.services,
      ...(this.options.interpreters ? { interpreters: this.options.interpreters } : {}),
      ...(this.options.counters ? { counters: this.options.counters } : {}),
      ...(this.options.disassembler ? { disassembler: this.options.disassembler } : {}),
      ...(this.options.instructionsPerRun ? { instructionsPerRun: this.options.instructionsPerRun } : {}),
    });
    this.victims.add(victim);
    // a victim closed on its own (the pool replacing it) must not stay referenced until the driver closes
    victim.onClosed = () => this.victims.delete(victim);
    return victim;
  }

  async close(): Promise<void> {
    this.destroy();
  }

  destroy(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const victim of this.victims) victim.destroy();
    this.victims.clear();
  }
}
