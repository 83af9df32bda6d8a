/**
 * The narrow view of the CPU that the process environments (Windows, Linux) need. The CPU in
 * src/emulator/cpu/ implements more; an adapter (see `cpu-adapter.ts`) joins the two, so the
 * process code does not change when the CPU grows.
 *
 * Addresses are plain numbers: user-space addresses on x86-64 stay below 2^47, well inside a
 * double's exact range. Register values are bigints because a 64-bit register holds any 64 bits.
 */
import type { StopReason as CpuStopReason } from '../cpu/index.ts';

/** Page permissions, OR-ed. */
export const Perm = { NONE: 0, READ: 1, WRITE: 2, EXEC: 4, RW: 3, RX: 5, RWX: 7 } as const;

export interface GuestMemory {
  /** Maps zero-filled pages covering [address, address + size); size is rounded up to a page. */
  map(address: number, size: number, perms: number, name?: string): void;
  unmap(address: number, size: number): void;
  protect(address: number, size: number, perms: number): void;
  /** True when every byte of the range is mapped (any permission). */
  isMapped(address: number, length?: number): boolean;
  /** Host-side access: ignores permissions (the loader and the hooks are the kernel). */
  read(address: number, length: number): Uint8Array;
  write(address: number, bytes: Uint8Array): void;
  readU8(address: number): number;
  readU16(address: number): number;
  readU32(address: number): number;
  readU64(address: number): bigint;
  writeU8(address: number, value: number): void;
  writeU16(address: number, value: number): void;
  writeU32(address: number, value: number): void;
  writeU64(address: number, value: bigint): void;
}

export type Register32 = 'eax' | 'ecx' | 'edx' | 'ebx' | 'esp' | 'ebp' | 'esi' | 'edi' | 'eip';
export type Register64 =
  | 'rax' | 'rcx' | 'rdx' | 'rbx' | 'rsp' | 'rbp' | 'rsi' | 'rdi' | 'rip'
  | 'r8' | 'r9' | 'r10' | 'r11' | 'r12' | 'r13' | 'r14' | 'r15';
export type RegisterName = Register32 | Register64;

export type Bits = 32 | 64;

/** How a hook ends a run: the process exited, or a call must wait (a receive with no data yet). */
export type ProcessStopReason = Extract<CpuStopReason, 'exit' | 'blocked' | 'unhandled_exception' | 'hook_stop'>;

/** Why a run ended: the CPU's reasons (cpu/types.ts, each its own value) or `not_run`. */
export type StopReason = CpuStopReason | 'not_run';

export interface GuestCpu {
  readonly bits: Bits;
  readonly memory: GuestMemory;
  getRegister(name: RegisterName): bigint;
  setRegister(name: RegisterName, value: bigint): void;
  /** EFLAGS (the exception dispatcher saves and restores them with a CONTEXT). */
  flags: number;
  /** Selector bases, for fs:[0x30] and gs:[0x60]. */
  setSegmentBase(segment: 'fs' | 'gs', base: number): void;
  /** Execution reaching `address` calls the process's hook handler instead of running it. */
  addHook(address: number): void;
  /** Ends the current run after the running hook returns. */
  stop(reason: ProcessStopReason, detail?: string, exitCode?: number): void;
  /** Instructions executed so far in this CPU's life, live (inside a hook: the calling instruction's index). */
  readonly instructionCount: number;
}

/** The stack pointer / instruction pointer names for an architecture. */
export function stackPointer(bits: Bits): RegisterName {
  return bits === 64 ? 'rsp' : 'esp';
}

export function instructionPointer(bits: Bits): RegisterName {
  return bits === 64 ? 'rip' : 'eip';
}

export function accumulator(bits: Bits): RegisterName {
  return bits === 64 ? 'rax' : 'eax';
}

export function pointerSize(bits: Bits): number {
  return bits === 64 ? 8 : 4;
}

export function readPointer(memory: GuestMemory, bits: Bits, address: number): number {
  return bits === 64 ? Number(memory.readU64(address)) : memory.readU32(address);
}

export function writePointer(memory: GuestMemory, bits: Bits, address: number, value: number): void {
  if (bits === 64) memory.writeU64(address, BigInt(value));
  else memory.writeU32(address, value >>> 0);
}

export function push(cpu: GuestCpu, value: number): void {
  const sp = stackPointer(cpu.bits);
  const size = pointerSize(cpu.bits);
  const next = Number(cpu.getRegister(sp)) - size;
  cpu.setRegister(sp, BigInt(next));
  writePointer(cpu.memory, cpu.bits, next, value);
}

export function pop(cpu: GuestCpu): number {
  const sp = stackPointer(cpu.bits);
  const address = Number(cpu.getRegister(sp));
  const value = readPointer(cpu.memory, cpu.bits, address);
  cpu.setRegister(sp, BigInt(address + pointerSize(cpu.bits)));
  return value;
}

/** Reads a NUL-terminated byte string (latin1), at most `limit` bytes; stops at unmapped memory. */
export function readCString(memory: GuestMemory, address: number, limit = 4096): string {
  let out = '';
  for (let i = 0; i < limit; i++) {
    if (!memory.isMapped(address + i)) break;
    const byte = memory.readU8(address + i);
    if (byte === 0) break;
    out += String.fromCharCode(byte);
  }
  return out;
}

/** Reads a NUL-terminated UTF-16LE string, at most `limit` characters. */
export function readWideString(memory: GuestMemory, address: number, limit = 4096): string {
  let out = '';
  for (let i = 0; i < limit; i++) {
    if (!memory.isMapped(address + i * 2, 2)) break;
    const unit = memory.readU16(address + i * 2);
    if (unit === 0) break;
    out += String.fromCharCode(unit);
  }
  return out;
}

export function encodeCString(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length + 1);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

export function encodeWideString(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2 + 2);
  for (let i = 0; i < text.length; i++) {
    bytes[i * 2] = text.charCodeAt(i) & 0xff;
    bytes[i * 2 + 1] = text.charCodeAt(i) >> 8;
  }
  return bytes;
}
