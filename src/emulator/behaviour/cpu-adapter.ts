/**
 * Joins the process environments to the CPU in src/emulator/cpu/: `CpuGuest` is the `GuestCpu`
 * they program against, backed by a real `Cpu` and its `Memory`.
 */
import { Cpu, Memory, REG, type CpuMode } from '../cpu/index.ts';
import type { Bits, GuestCpu, GuestMemory, ProcessStopReason, RegisterName } from './guest.ts';

const PAGE = 0x1000;

export class CpuMemoryView implements GuestMemory {
  constructor(readonly memory: Memory) {}

  map(address: number, size: number, perms: number): void {
    this.memory.map(address, size, perms);
  }

  unmap(address: number, size: number): void {
    this.memory.unmap(address, size);
  }

  protect(address: number, size: number, perms: number): void {
    this.memory.protect(address, size, perms);
  }

  isMapped(address: number, length = 1): boolean {
    if (address < 0) return false;
    const last = address + Math.max(length, 1) - 1;
    for (let page = Math.floor(address / PAGE) * PAGE; page <= last; page += PAGE) if (!this.memory.isMapped(page)) return false;
    return true;
  }

  read(address: number, length: number): Uint8Array {
    return this.memory.readBytes(address, length) ?? new Uint8Array(length);
  }

  write(address: number, bytes: Uint8Array): void {
    this.memory.writeBytes(address, bytes);
  }

  readU8(address: number): number {
    return this.read(address, 1)[0]!;
  }

  readU16(address: number): number {
    const bytes = this.read(address, 2);
    return bytes[0]! | (bytes[1]! << 8);
  }

  readU32(address: number): number {
    const bytes = this.read(address, 4);
    return (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  }

  readU64(address: number): bigint {
    return BigInt(this.readU32(address)) | (BigInt(this.readU32(address + 4)) << 32n);
  }

  writeU8(address: number, value: number): void {
    this.write(address, Uint8Array.of(value & 0xff));
  }

  writeU16(address: number, value: number): void {
    this.write(address, Uint8Array.of(value & 0xff, (value >>> 8) & 0xff));
  }

  writeU32(address: number, value: number): void {
    this.write(address, Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff));
  }

  writeU64(address: number, value: bigint): void {
    const unsigned = BigInt.asUintN(64, value);
    this.writeU32(address, Number(unsigned & 0xffffffffn));
    this.writeU32(address + 4, Number(unsigned >> 32n));
  }
}

export class CpuGuest implements GuestCpu {
  readonly bits: Bits;
  readonly memory: GuestMemory;

  constructor(readonly cpu: Cpu) {
    this.bits = cpu.mode;
    this.memory = new CpuMemoryView(cpu.memory);
  }

  /** `traceSize`: how many executed addresses the CPU keeps for a listing (0: none, the fastest) */
  static create(bits: Bits, maxMappedBytes = 256 * 1024 * 1024, traceSize = 0): CpuGuest {
    const mode: CpuMode = bits;
    return new CpuGuest(new Cpu({ mode, memory: new Memory({ maxMappedBytes }), traceSize }));
  }

  getRegister(name: RegisterName): bigint {
    if (name === 'eip' || name === 'rip') return BigInt(this.cpu.ip);
    const index = registerIndex(name);
    const value = this.cpu.getRegisterBig(index);
    return this.bits === 32 ? value & 0xffffffffn : value;
  }

  setRegister(name: RegisterName, value: bigint): void {
    const unsigned = BigInt.asUintN(this.bits, value);
    if (name === 'eip' || name === 'rip') this.cpu.ip = Number(unsigned);
    else this.cpu.setRegisterBig(registerIndex(name), unsigned);
  }

  get flags(): number {
    return this.cpu.eflags;
  }

  set flags(value: number) {
    this.cpu.eflags = value;
  }

  setSegmentBase(segment: 'fs' | 'gs', base: number): void {
    if (segment === 'fs') this.cpu.fsBase = base;
    else this.cpu.gsBase = base;
  }

  addHook(address: number): void {
    this.cpu.addHook(address);
  }

  stop(reason: ProcessStopReason, detail?: string, exitCode?: number): void {
    this.cpu.stop(reason, detail, exitCode);
  }

  /** live: inside a hook this is the index of the instruction that made the call */
  get instructionCount(): number {
    return this.cpu.instructionCount;
  }
}

function registerIndex(name: RegisterName): number {
  const key = (name.startsWith('e') ? `r${name.slice(1)}` : name) as keyof typeof REG;
  const index = REG[key];
  if (index === undefined) throw new Error(`unknown register ${name}`);
  return index;
}
