/**
 * The x86 / x86-64 CPU: registers, lazy flags, effective addresses, the step loop and its limits.
 *
 * Register representation: each general-purpose register is a pair of uint32 halves in two typed
 * arrays (`lo`, `hi`). 32-bit code touches only `lo`, so it runs at plain-number speed with no BigInt
 * and no allocation; 64-bit add/sub/logic work on the pairs with an explicit carry, and only rare
 * 64-bit operations (mul, div, wide shifts) go through BigInt. Addresses are doubles (exact below
 * 2^53, see memory.ts); registers used in addresses are read as signed so `[rbx + rax]` with rax = -1
 * stays exact. The instruction pointer `ip` is such a double. `lea` computes on the halves, exactly.
 *
 * Speed: instructions are decoded once per address into an {@link Instruction} holding its handler
 * and cached in the page's `code` array; the step loop is a page check, an array load and one call.
 * A guest write to a page with decoded code drops only the entries that may cover the written bytes
 * (up to 14 bytes back, and the end of the previous page), so a decoder unpacking its own page keeps
 * its loop cached. Flags of 8/16/32-bit arithmetic are lazy (see flags.ts). The wall clock is read
 * once per `timeCheckInterval` instructions; a REP string instruction runs in chunks of 4096
 * iterations, each counted as one instruction, so no single step runs unbounded.
 */
import { decodeInstruction, makeHookInstruction } from './decoder.ts';
import { ARITH_FLAGS, AF, CF, DF, LAZY_ADC, LAZY_ADD, LAZY_DEC, LAZY_EAGER, LAZY_INC, LAZY_LOGIC, LAZY_SBB, LAZY_SUB, OF, PARITY, PF, SF, ZF } from './flags.ts';
import { Instruction } from './instruction.ts';
import { Memory, MemoryFault, PAGE_SIZE, Page } from './memory.ts';
import type { CpuEnvironment, CpuFault, CpuFaultKind, CpuMode, RunLimits, RunResult, StopReason } from './types.ts';
import { FpuState } from './x87.ts';

const TWO_32 = 4294967296;
const TWO_64 = 18446744073709551616;
/** canonical upper-half addresses are negative numbers down to this (memory.ts) */
const MIN_CANONICAL = -(2 ** 47);

/** Thrown inside handlers to end the run; caught by `run`. A singleton: throwing it allocates nothing. */
export const STOP = { stop: true };

/** a page with no decoded code: the fetch cache's empty state */
const NO_CODE = new Page(0);

export const REG = { rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7, r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15 } as const;

export interface CpuOptions {
  mode: CpuMode;
  memory?: Memory;
  environment?: CpuEnvironment;
  /** keep the last N executed addresses (rounded up to a power of two); 0 = no trace */
  traceSize?: number;
}

export class Cpu {
  readonly mode: CpuMode;
  readonly memory: Memory;
  environment: CpuEnvironment;

  /** low 32 bits of rax..r15 */
  readonly lo = new Uint32Array(16);
  /** high 32 bits of rax..r15 (always 0 in 32-bit mode) */
  readonly hi = new Uint32Array(16);
  ip = -0;
  fsBase = -0;
  gsBase = -0;
  /** segment selectors es, cs, ss, ds, fs, gs as pushed or moved (32-bit Windows values by default) */
  readonly selectors = Uint16Array.from([0x23, 0x1b, 0x23, 0x23, 0x3b, 0]);
  /** direction flag as +1 / -1 step sign */
  df = 0;
  /** flags other than the arithmetic ones and DF (IF, TF, ID, AC …) */
  otherFlags = 0x202;

  // lazy flags (see flags.ts)
  flagOp = LAZY_EAGER;
  flagA = -0;
  flagB = -0;
  flagResult = -0;
  flagSign = 0x80000000;
  flagCarry = 0;
  flagBits = 0;

  /** high half of the last 64-bit value read or computed (avoids returning pairs) */
  high = -0;

  readonly fpu = new FpuState();
  /** xmm0..15 as 4 uint32 lanes each */
  readonly xmm = new Uint32Array(64);
  mxcsr = 0x1f80;

  /** executed instructions over the CPU's life, updated when a run ends (drives the virtual rdtsc);
   *  `instructionCount` is the live count */
  totalInstructions = -0;
  tscBase = 0x1000000;
  /** rdtsc reads so far: each adds a few cycles so back-to-back reads still differ */
  timeStampReads = 0;

  private readonly hooks = new Set<number>();
  private stopReason: StopReason | null = null;
  private stopDetail: string | undefined;
  private stopExitCode: number | undefined;
  private stopFault: CpuFault | undefined;
  /** address of the instruction being executed */
  current = -0;

  private readonly trace: Float64Array | null;
  private tracePosition = 0;
  private traceCount = 0;

  constructor(options: CpuOptions) {
    this.mode = options.mode;
    this.memory = options.memory ?? new Memory();
    this.environment = options.environment ?? {};
    if (this.mode === 64) this.selectors.set([0x2b, 0x33, 0x2b, 0x2b, 0x53, 0x2b]);
    const traceSize = options.traceSize ?? 0;
    this.trace = traceSize > 0 ? new Float64Array(2 ** Math.ceil(Math.log2(traceSize))) : null;
  }

  // ---- registers -------------------------------------------------------------------------

  /** Full register value as a number (exact below 2^53; use getRegisterBig for all 64 bits). */
  getRegister(index: number): number {
    return this.hi[index]! * TWO_32 + this.lo[index]!;
  }

  setRegister(index: number, value: number): void {
    // a negative value is its two's complement; split exactly (adding 2^64 would round)
    this.lo[index] = value >>> 0;
    this.hi[index] = this.mode === 64 ? Math.floor(value / TWO_32) >>> 0 : 0;
  }

  getRegisterBig(index: number): bigint {
    return (BigInt(this.hi[index]!) << 32n) | BigInt(this.lo[index]!);
  }

  setRegisterBig(index: number, value: bigint): void {
    this.lo[index] = Number(value & 0xffffffffn);
    this.hi[index] = this.mode === 64 ? Number((value >> 32n) & 0xffffffffn) : 0;
  }

  /** Reads a register operand; byte registers 16..19 are AH, CH, DH, BH. Size 8 leaves the high half in `high`. */
  readReg(index: number, size: number): number {
    if (size === 4) return this.lo[index]!;
    if (size === 1) return index < 16 ? this.lo[index]! & 0xff : (this.lo[index - 16]! >>> 8) & 0xff;
    if (size === 2) return this.lo[index]! & 0xffff;
    this.high = this.hi[index]!;
    return this.lo[index]!;
  }

  writeReg(index: number, size: number, value: number, high = 0): void {
    if (size === 4) {
      this.lo[index] = value;
      this.hi[index] = 0;
    } else if (size === 1) {
      if (index < 16) this.lo[index] = (this.lo[index]! & 0xffffff00) | (value & 0xff);
      else this.lo[index - 16] = (this.lo[index - 16]! & 0xffff00ff) | ((value & 0xff) << 8);
    } else if (size === 2) {
      this.lo[index] = (this.lo[index]! & 0xffff0000) | (value & 0xffff);
    } else {
      this.lo[index] = value;
      this.hi[index] = high;
    }
  }

  /** Register value as a signed double for address arithmetic (a kernel address is negative). */
  addressPart(index: number): number {
    if (this.mode === 32) return this.lo[index]!;
    return (this.hi[index]! | 0) * TWO_32 + this.lo[index]!;
  }

  // ---- memory operands -------------------------------------------------------------------

  effectiveAddress(insn: Instruction): number {
    if (insn.simpleBase >= 0) return (this.lo[insn.simpleBase]! + insn.disp) >>> 0;
    let address = insn.disp;
    if (insn.base >= 0) address += this.addressPart(insn.base);
    if (insn.index >= 0) address += this.addressPart(insn.index) * insn.scale;
    if (insn.segment !== 0) address += insn.segment === 4 ? this.fsBase : this.gsBase;
    if (insn.addressSize === 4) return address >>> 0;
    if (address < 0) return address >= MIN_CANONICAL ? address : address + TWO_64;
    return address >= TWO_64 ? address - TWO_64 : address;
  }

  /** Wraps an address computed by the CPU (stack, string pointers) to the current mode. */
  wrapAddress(address: number): number {
    if (this.mode === 32) return address >>> 0;
    if (address < 0) return address >= MIN_CANONICAL ? address : address + TWO_64;
    return address >= TWO_64 ? address - TWO_64 : address;
  }

  readMemory(address: number, size: number): number {
    const memory = this.memory;
    if (size === 4) return memory.read32(address);
    if (size === 1) return memory.read8(address);
    if (size === 2) return memory.read16(address);
    const low = memory.read32(address);
    this.high = memory.read32(this.wrapAddress(address + 4));
    return low;
  }

  writeMemory(address: number, size: number, value: number, high = 0): void {
    const memory = this.memory;
    if (size === 4) memory.write32(address, value);
    else if (size === 1) memory.write8(address, value);
    else if (size === 2) memory.write16(address, value);
    else {
      memory.write32(this.wrapAddress(address + 4), high);
      memory.write32(address, value);
    }
  }

  readOperand(insn: Instruction): number {
    if (insn.mem) return this.readMemory(this.effectiveAddress(insn), insn.size);
    return this.readReg(insn.rm, insn.size);
  }

  writeOperand(insn: Instruction, value: number, high = 0): void {
    if (insn.mem) this.writeMemory(this.effectiveAddress(insn), insn.size, value, high);
    else this.writeReg(insn.rm, insn.size, value, high);
  }

  // ---- stack -----------------------------------------------------------------------------

  get stackPointer(): number {
    return this.mode === 32 ? this.lo[4]! : this.addressPart(4);
  }

  set stackPointer(value: number) {
    if (this.mode === 32) this.lo[4] = value;
    else this.setRegister(4, value);
  }

  push(size: number, value: number, high = 0): void {
    const sp = this.wrapAddress(this.stackPointer - size);
    this.writeMemory(sp, size, value, high);
    this.stackPointer = sp;
  }

  pop(size: number): number {
    const sp = this.stackPointer;
    const value = this.readMemory(sp, size);
    this.stackPointer = this.wrapAddress(sp + size);
    return value;
  }

  /** push of the natural stack width (4 or 8 bytes) of a value such as a return address */
  pushAddress(value: number): void {
    if (this.mode === 32) this.push(4, value >>> 0);
    else this.push(8, value >>> 0, Math.floor(value / TWO_32) >>> 0);
  }

  popAddress(): number {
    if (this.mode === 32) return this.pop(4);
    const low = this.pop(8);
    return (this.high | 0) * TWO_32 + low;
  }

  // ---- flags -----------------------------------------------------------------------------

  setLazy(op: number, size: number, a: number, b: number, result: number): void {
    this.flagOp = op;
    this.flagA = a;
    this.flagB = b;
    this.flagResult = result;
    this.flagSign = size === 4 ? 0x80000000 : size === 1 ? 0x80 : 0x8000;
  }

  setEager(bits: number): void {
    this.flagOp = LAZY_EAGER;
    this.flagBits = bits;
  }

  getCF(): number {
    switch (this.flagOp) {
      case LAZY_EAGER:
        return this.flagBits & CF;
      case LAZY_ADD:
        return this.flagResult < this.flagA ? 1 : 0;
      case LAZY_ADC:
        return this.flagResult < this.flagA || (this.flagCarry !== 0 && this.flagResult === this.flagA) ? 1 : 0;
      case LAZY_SUB:
        return this.flagA < this.flagB ? 1 : 0;
      case LAZY_SBB:
        return this.flagA < this.flagB || (this.flagCarry !== 0 && this.flagA === this.flagB) ? 1 : 0;
      case LAZY_INC:
      case LAZY_DEC:
        return this.flagCarry;
      default:
        return 0;
    }
  }

  getZF(): boolean {
    return this.flagOp === LAZY_EAGER ? (this.flagBits & ZF) !== 0 : this.flagResult === 0;
  }

  getSF(): boolean {
    return this.flagOp === LAZY_EAGER ? (this.flagBits & SF) !== 0 : (this.flagResult & this.flagSign) !== 0;
  }

  getPF(): boolean {
    return this.flagOp === LAZY_EAGER ? (this.flagBits & PF) !== 0 : PARITY[this.flagResult & 0xff] !== 0;
  }

  getOF(): boolean {
    switch (this.flagOp) {
      case LAZY_EAGER:
        return (this.flagBits & OF) !== 0;
      case LAZY_ADD:
      case LAZY_ADC:
      case LAZY_INC:
        return ((this.flagA ^ this.flagResult) & (this.flagB ^ this.flagResult) & this.flagSign) !== 0;
      case LAZY_SUB:
      case LAZY_SBB:
      case LAZY_DEC:
        return ((this.flagA ^ this.flagB) & (this.flagA ^ this.flagResult) & this.flagSign) !== 0;
      default:
        return false;
    }
  }

  getAF(): boolean {
    if (this.flagOp === LAZY_EAGER) return (this.flagBits & AF) !== 0;
    if (this.flagOp === LAZY_LOGIC) return false;
    return ((this.flagA ^ this.flagB ^ this.flagResult) & 0x10) !== 0;
  }

  /** The six arithmetic flags as EFLAGS bits. */
  arithmeticFlags(): number {
    if (this.flagOp === LAZY_EAGER) return this.flagBits;
    return (
      this.getCF() |
      (this.getPF() ? PF : 0) |
      (this.getAF() ? AF : 0) |
      (this.getZF() ? ZF : 0) |
      (this.getSF() ? SF : 0) |
      (this.getOF() ? OF : 0)
    );
  }

  get eflags(): number {
    return this.arithmeticFlags() | (this.df < 0 ? DF : 0) | this.otherFlags | 0x2;
  }

  set eflags(value: number) {
    this.setEager(value & ARITH_FLAGS);
    this.df = value & DF ? -1 : 1;
    this.otherFlags = value & ~(ARITH_FLAGS | DF) & 0x3f7fd5;
  }

  /** Condition code 0..15 (the low nibble of jcc/setcc/cmovcc). */
  condition(code: number): boolean {
    let value: boolean;
    switch (code >> 1) {
      case 0:
        value = this.getOF();
        break;
      case 1:
        value = this.getCF() !== 0;
        break;
      case 2:
        value = this.getZF();
        break;
      case 3:
        value = this.getCF() !== 0 || this.getZF();
        break;
      case 4:
        value = this.getSF();
        break;
      case 5:
        value = this.getPF();
        break;
      case 6:
        value = this.getSF() !== this.getOF();
        break;
      default:
        value = this.getZF() || this.getSF() !== this.getOF();
    }
    return (code & 1) === 0 ? value : !value;
  }

  // ---- hooks and stopping ----------------------------------------------------------------

  /** Calls `environment.onHook` whenever execution reaches `address`. */
  addHook(address: number): void {
    this.hooks.add(address);
    this.dropDecoded(address);
  }

  removeHook(address: number): void {
    this.hooks.delete(address);
    this.dropDecoded(address);
  }

  hasHook(address: number): boolean {
    return this.hooks.has(address);
  }

  private dropDecoded(address: number): void {
    const page = this.memory.pages.get(Math.floor(address / PAGE_SIZE));
    if (page) page.code = null;
  }

  /** Ends the current run after the instruction, hook or syscall in progress. */
  stop(reason: StopReason, detail?: string, exitCode?: number): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    this.stopDetail = detail;
    this.stopExitCode = exitCode;
  }

  /** Ends the run now with a fault at the current instruction (used by handlers). */
  raiseFault(kind: CpuFaultKind, address = this.current): never {
    this.stopReason = 'fault';
    this.stopFault = { kind, address };
    this.ip = this.current;
    throw STOP;
  }

  /** Ends the run now (used by handlers after they called out to the environment). */
  raiseStop(reason: StopReason, detail?: string): never {
    this.stop(reason, detail);
    throw STOP;
  }

  /** Throws STOP if an environment callback asked to stop; used right after calling out. */
  checkStop(): void {
    if (this.stopReason !== null) throw STOP;
    if (this.memory.limitExceeded) this.raiseStop('memory_limit');
  }

  /** Addresses of the last executed instructions, oldest first (empty without `traceSize`). */
  recentAddresses(): number[] {
    const trace = this.trace;
    if (!trace) return [];
    const count = Math.min(this.traceCount, trace.length);
    const out: number[] = [];
    for (let k = count; k > 0; k--) out.push(trace[(this.tracePosition - k) & (trace.length - 1)]!);
    return out;
  }

  /**
   * The last executed instructions with their bytes, for evidence (feed them to a disassembler).
   * The bytes are read now: code that rewrote itself shows its current form.
   */
  recentInstructions(): Array<{ address: number; bytes: Uint8Array }> {
    return this.recentAddresses().map((address) => {
      let length = 1;
      try {
        length = decodeInstruction(this.memory, address, this.mode).length;
      } catch {
        // no longer mapped: report what can be read
      }
      return { address, bytes: this.memory.readBytes(address, length) ?? new Uint8Array(0) };
    });
  }

  /**
   * Instructions executed over the CPU's life, exact also while a run is in progress: an
   * environment callback reads the index of the instruction that called it (the hooked call, the
   * syscall) here.
   */
  get instructionCount(): number {
    return this.totalInstructions + this.runExecuted + (this.inBatch ? this.batchProgress : 0);
  }

  // ---- the step loop ---------------------------------------------------------------------

  /** Runs from `ip` until something ends the run; never throws for anything the guest code does. */
  run(limits: RunLimits = {}): RunResult {
    const maxInstructions = limits.maxInstructions ?? 10_000_000;
    const timeBudgetMs = limits.timeBudgetMs ?? 5_000; // 5 s
    const checkInterval = limits.timeCheckInterval ?? 65_536;
    const startTime = performance.now();
    this.runExecuted = 0;
    try {
      for (;;) {
        this.clearStop();
        try {
          if (this.memory.limitExceeded) this.raiseStop('memory_limit');
          for (;;) {
            const batch = Math.min(checkInterval, maxInstructions - this.runExecuted);
            if (batch <= 0) this.raiseStop('instruction_limit');
            this.inBatch = true;
            this.stepBatch(batch);
            this.inBatch = false;
            this.runExecuted += batch;
            if (performance.now() - startTime > timeBudgetMs) this.raiseStop('time_limit');
          }
        } catch (error) {
          if (this.inBatch) {
            this.runExecuted += this.batchProgress;
            // an instruction that ended the run on purpose (hlt, an exit syscall) did execute
            if (error === STOP && this.stopReason !== 'fault' && this.stopReason !== 'invalid_opcode') this.runExecuted++;
          }
          this.inBatch = false;
          // the dispatch counts as an instruction, so a handler that faults at once still runs out
          if (this.runExecuted < maxInstructions && this.dispatchException(error)) {
            this.runExecuted++;
            // a fault every few instructions never finishes a batch: check the clock here too
            if (performance.now() - startTime <= timeBudgetMs) continue;
            this.stop('time_limit');
            return this.finish(STOP, this.runExecuted);
          }
          return this.finish(error, this.runExecuted);
        }
      }
    } finally {
      this.totalInstructions += this.runExecuted;
      this.runExecuted = 0;
    }
  }

  private clearStop(): void {
    this.stopReason = null;
    this.stopDetail = undefined;
    this.stopExitCode = undefined;
    this.stopFault = undefined;
  }

  /** Offers a guest fault to `environment.onException`; true when it redirected execution. */
  private dispatchException(error: unknown): boolean {
    const handler = this.environment.onException;
    if (!handler) return false;
    let fault: CpuFault;
    if (error instanceof MemoryFault) {
      fault = { kind: error.kind, address: error.address };
      if (error.kind !== 'unmapped_fetch' && error.kind !== 'protection_fetch') this.ip = this.current;
    } else if (error === STOP && this.stopReason === 'fault' && this.stopFault) {
      fault = this.stopFault;
    } else {
      return false;
    }
    this.clearStop();
    try {
      return handler.call(this.environment, this, fault) && this.stopReason === null;
    } catch (failure) {
      // a broken environment is a bug: report it, do not let it look like a guest fault
      this.stop('internal_error', failure instanceof Error ? `${failure.message}\n${failure.stack ?? ''}` : String(failure));
      return false;
    }
  }

  /** instructions executed by the current run before the current batch */
  private runExecuted = 0;
  /** instructions finished in the current batch (exact inside callbacks, and after a throw) */
  private batchProgress = 0;
  private inBatch = false;
  /** fetch cache: the page the last instruction came from (its `code` is null once invalid) */
  private fetchNumber = NaN; // page -1 is a real (kernel) page
  private fetchPage: Page = NO_CODE;

  /** Executes exactly `count` instructions or throws; `batchProgress` tells how far it got. */
  private stepBatch(count: number): void {
    let done = 0;
    const tracing = this.trace !== null;
    try {
      while (done < count) {
        const ip = this.ip;
        let code = this.fetchPage.code;
        if (code === null || this.fetchNumber !== (ip < TWO_32 && ip >= 0 ? ip >>> 12 : Math.floor(ip / PAGE_SIZE))) code = this.refetch(ip);
        let insn = code[ip & 0xfff];
        if (insn === undefined) insn = this.decodeInto(code, ip);
        if (tracing) this.record(ip);
        this.current = ip;
        this.ip = insn.next;
        this.batchProgress = done;
        insn.exec(this, insn);
        done++;
      }
    } finally {
      this.batchProgress = done;
    }
  }

  private refetch(ip: number): (Instruction | undefined)[] {
    if (this.hooks.size > 0 && this.hooks.has(ip) && !this.memory.isExecutable(ip)) return this.hookWithoutCode(ip);
    const page = this.memory.fetchPage(ip);
    this.fetchPage = page;
    this.fetchNumber = ip < TWO_32 && ip >= 0 ? ip >>> 12 : Math.floor(ip / PAGE_SIZE);
    if (page.code === null) {
      page.code = new Array<Instruction | undefined>(PAGE_SIZE);
      page.codeLow = PAGE_SIZE;
      page.codeHigh = -1;
    }
    return page.code;
  }

  /**
   * A hook on an address with no executable code behind it (an API the environment emulates
   * without mapping a stub): a one-off cache holding just the hook, whose fallback is the fetch
   * fault running there would cause.
   */
  private hookWithoutCode(ip: number): (Instruction | undefined)[] {
    const fallback = new Instruction(() => {
      this.memory.fetchPage(ip);
    });
    fallback.address = ip;
    fallback.next = ip;
    const code = new Array<Instruction | undefined>(PAGE_SIZE);
    code[ip & 0xfff] = makeHookInstruction(fallback);
    this.fetchPage = NO_CODE;
    this.fetchNumber = NaN;
    return code;
  }

  private decodeInto(code: (Instruction | undefined)[], ip: number): Instruction {
    const insn = this.decodeAt(ip);
    // decoding happens once per cached instruction, and a guest write drops the cached copy:
    // checking here sees every first run of written bytes at no cost to the step loop
    if (this.memory.trackWrites && this.memory.takeWritten(ip, insn.length)) this.noticeWrittenCode(ip);
    // decoding reads only; the cache is still the page's unless a hook dropped it
    const page = this.fetchPage;
    if (page.code === code) {
      const offset = ip & 0xfff;
      code[offset] = insn;
      if (offset < page.codeLow) page.codeLow = offset;
      if (offset > page.codeHigh) page.codeHigh = offset;
    }
    return insn;
  }

  private noticeWrittenCode(ip: number): void {
    const notice = this.environment.onFirstExecuteOfWritten;
    if (notice) notice.call(this.environment, this, ip);
  }

  private record(ip: number): void {
    const trace = this.trace!;
    trace[this.tracePosition] = ip;
    this.tracePosition = (this.tracePosition + 1) & (trace.length - 1);
    this.traceCount++;
  }

  private decodeAt(ip: number): Instruction {
    const insn = decodeInstruction(this.memory, ip, this.mode);
    return this.hooks.has(ip) ? makeHookInstruction(insn) : insn;
  }

  private finish(error: unknown, executed: number): RunResult {
    let reason: StopReason;
    let fault: CpuFault | undefined;
    let detail: string | undefined;
    if (error === STOP) {
      reason = this.stopReason ?? 'hook_stop';
      fault = this.stopFault;
      detail = this.stopDetail;
    } else if (error instanceof MemoryFault) {
      reason = 'fault';
      fault = { kind: error.kind, address: error.address };
      // a data access faults inside an instruction (which then did not happen); a fetch fault
      // happens before one, at `ip`
      if (error.kind !== 'unmapped_fetch' && error.kind !== 'protection_fetch') this.ip = this.current;
    } else {
      reason = 'internal_error';
      detail = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
      this.ip = this.current;
    }
    const result: RunResult = { reason, instructions: executed, address: this.ip };
    if (fault) result.fault = fault;
    if (detail !== undefined) result.detail = detail;
    if (this.stopExitCode !== undefined) result.exitCode = this.stopExitCode;
    return result;
  }
}
