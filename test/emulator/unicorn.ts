/**
 * Unicorn (Debian's libunicorn2) through koffi, for differential tests and the benchmark only
 * (CRASHTEST_UNICORN_LIB names another library file):
 * src/emulator never loads it. `loadUnicorn()` returns { ok: false, reason } when the library or
 * koffi is missing, so callers can skip visibly.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const UC_ARCH_X86 = 4;
const UC_MODE_32 = 4;
const UC_MODE_64 = 8;

/** register ids from unicorn/x86.h */
export const UC_REG = {
  eflags: 25,
  eip: 26,
  rip: 41,
  /** x86-64 only: Unicorn 2 ignores these in 32-bit mode (see `installFlatSegments`) */
  fsBase: 250,
  gsBase: 251,
  gdtr: 243,
  cs: 11,
  ds: 17,
  es: 28,
  fs: 32,
  gs: 33,
  ss: 49,
  /** rax..r15 in our (hardware) order */
  gpr64: [35, 38, 40, 37, 44, 36, 43, 39, 106, 107, 108, 109, 110, 111, 112, 113],
  /** eax..edi in hardware order */
  gpr32: [19, 22, 24, 21, 30, 20, 29, 23],
} as const;

interface Functions {
  open: (arch: number, mode: number, out: unknown[]) => number;
  memMap: (uc: unknown, address: bigint, size: number, perms: number) => number;
  memWrite: (uc: unknown, address: bigint, bytes: Uint8Array, size: number) => number;
  memProtect: (uc: unknown, address: bigint, size: number, perms: number) => number;
  memUnmap: (uc: unknown, address: bigint, size: number) => number;
  memRead: (uc: unknown, address: bigint, bytes: Uint8Array, size: number) => number;
  regWrite: (uc: unknown, id: number, value: Uint8Array) => number;
  regRead: (uc: unknown, id: number, value: Uint8Array) => number;
  start: (uc: unknown, begin: bigint, until: bigint, timeout: bigint, count: number) => number;
  close: (uc: unknown) => number;
  strerror: (code: number) => string;
}

let functions: Functions | null = null;
let loadError = '';

export function loadUnicorn(): { ok: true } | { ok: false; reason: string } {
  if (functions) return { ok: true };
  if (loadError) return { ok: false, reason: loadError };
  try {
    const koffi = require('koffi');
    const lib = koffi.load(process.env.CRASHTEST_UNICORN_LIB ?? 'libunicorn.so.2');
    functions = {
      open: lib.func('int uc_open(int arch, int mode, _Out_ void **uc)'),
      memMap: lib.func('int uc_mem_map(void *uc, uint64_t address, size_t size, uint32_t perms)'),
      memWrite: lib.func('int uc_mem_write(void *uc, uint64_t address, const void *bytes, size_t size)'),
      memProtect: lib.func('int uc_mem_protect(void *uc, uint64_t address, size_t size, uint32_t perms)'),
      memUnmap: lib.func('int uc_mem_unmap(void *uc, uint64_t address, size_t size)'),
      memRead: lib.func('int uc_mem_read(void *uc, uint64_t address, void *bytes, size_t size)'),
      regWrite: lib.func('int uc_reg_write(void *uc, int regid, const void *value)'),
      regRead: lib.func('int uc_reg_read(void *uc, int regid, void *value)'),
      start: lib.func('int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)'),
      close: lib.func('int uc_close(void *uc)'),
      strerror: lib.func('const char *uc_strerror(int code)'),
    };
    return { ok: true };
  } catch (error) {
    loadError = `libunicorn2 or koffi not available (${error instanceof Error ? error.message : String(error)}); apt-get install -y libunicorn2`;
    return { ok: false, reason: loadError };
  }
}

/** Our addresses are numbers, a kernel one negative (cpu/memory.ts); Unicorn's are uint64. */
function u64(address: number): bigint {
  return BigInt.asUintN(64, BigInt(address));
}

export class Unicorn {
  private handle: unknown;
  private readonly f: Functions;
  private readonly scratch = new Uint8Array(8);
  private readonly view = new DataView(this.scratch.buffer);

  constructor(readonly mode: 32 | 64) {
    if (!functions) throw new Error('loadUnicorn() first');
    this.f = functions;
    const out: unknown[] = [null];
    this.check(this.f.open(UC_ARCH_X86, mode === 64 ? UC_MODE_64 : UC_MODE_32, out));
    this.handle = out[0];
  }

  private check(code: number): void {
    if (code !== 0) throw new Error(`unicorn: ${this.f.strerror(code)} (${code})`);
  }

  map(address: number, size: number, perms = 7): void {
    this.check(this.f.memMap(this.handle, u64(address), size, perms));
  }

  protect(address: number, size: number, perms: number): void {
    this.check(this.f.memProtect(this.handle, u64(address), size, perms));
  }

  unmap(address: number, size: number): void {
    this.check(this.f.memUnmap(this.handle, u64(address), size));
  }

  write(address: number, bytes: Uint8Array): void {
    this.check(this.f.memWrite(this.handle, u64(address), bytes, bytes.length));
  }

  read(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.check(this.f.memRead(this.handle, u64(address), out, length));
    return out;
  }

  /** Writes a register whose value is a structure (GDTR: uc_x86_mmr, 24 bytes). */
  setRegBytes(id: number, value: Uint8Array): void {
    this.check(this.f.regWrite(this.handle, id, value));
  }

  setReg(id: number, value: bigint): void {
    this.view.setBigUint64(0, BigInt.asUintN(64, value), true);
    this.check(this.f.regWrite(this.handle, id, this.scratch));
  }

  getReg(id: number): bigint {
    this.view.setBigUint64(0, 0n, true);
    this.check(this.f.regRead(this.handle, id, this.scratch));
    return this.mode === 32 && id !== UC_REG.fsBase && id !== UC_REG.gsBase ? BigInt(this.view.getUint32(0, true)) : this.view.getBigUint64(0, true);
  }

  /** a kernel (upper-half) rip is the negative number our CPU carries (cpu/memory.ts) */
  get ip(): number {
    return this.mode === 64 ? Number(BigInt.asIntN(64, this.getReg(UC_REG.rip))) : Number(this.getReg(UC_REG.eip));
  }

  gpr(index: number): bigint {
    return this.getReg(this.mode === 64 ? UC_REG.gpr64[index]! : UC_REG.gpr32[index]!);
  }

  setGpr(index: number, value: bigint): void {
    this.setReg(this.mode === 64 ? UC_REG.gpr64[index]! : UC_REG.gpr32[index]!, value);
  }

  /** Runs from `begin`; returns 0 or unicorn's error code (a fault, an invalid instruction). */
  start(begin: number, until: number, count: number, timeoutMicros = 0): number {
    return this.f.start(this.handle, u64(begin), u64(until), BigInt(timeoutMicros), count);
  }

  errorText(code: number): string {
    return this.f.strerror(code);
  }

  close(): void {
    if (this.handle !== null) this.f.close(this.handle);
    this.handle = null;
  }
}
