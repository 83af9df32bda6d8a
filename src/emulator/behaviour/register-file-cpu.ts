import type { Bits, GuestCpu, GuestMemory, ProcessStopReason, RegisterName } from './guest.ts';
import { PagedGuestMemory } from './paged-memory.ts';

/**
 * A `GuestCpu` with registers and memory but no instruction execution: lets the process
 * environments be built, inspected and have their hooks called directly (tests, structure dumps).
 */
export class RegisterFileCpu implements GuestCpu {
  readonly registers = new Map<RegisterName, bigint>();
  readonly segmentBases = { fs: 0, gs: 0 };
  readonly hooks = new Set<number>();
  stopped: { reason: ProcessStopReason; detail?: string; exitCode?: number } | null = null;
  instructionCount = 0;
  flags = 0x202;

  constructor(
    readonly bits: Bits,
    readonly memory: GuestMemory = new PagedGuestMemory(),
  ) {}

  getRegister(name: RegisterName): bigint {
    return this.registers.get(canonical(name)) ?? 0n;
  }

  setRegister(name: RegisterName, value: bigint): void {
    this.registers.set(canonical(name), BigInt.asUintN(this.bits, value));
  }

  setSegmentBase(segment: 'fs' | 'gs', base: number): void {
    this.segmentBases[segment] = base;
  }

  addHook(address: number): void {
    this.hooks.add(address);
  }

  stop(reason: ProcessStopReason, detail?: string, exitCode?: number): void {
    this.stopped = { reason };
    if (detail !== undefined) this.stopped.detail = detail;
    if (exitCode !== undefined) this.stopped.exitCode = exitCode;
  }
}

function canonical(name: RegisterName): RegisterName {
  return name.startsWith('e') ? (`r${name.slice(1)}` as RegisterName) : name;
}
