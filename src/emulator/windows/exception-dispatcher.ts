/**
 * Structured exception handling for 32-bit attacker code, the way KiUserExceptionDispatcher and
 * RtlDispatchException do it, minimally: on a guest fault, build an EXCEPTION_RECORD and a CONTEXT
 * below the faulting stack pointer, walk the SEH chain from fs:[0], and call each handler as
 * `handler(record, frame, context, dispatcherContext)` with a return into a hooked stub. The stub
 * reads the handler's answer: ExceptionContinueExecution resumes from the (possibly edited)
 * CONTEXT, as NtContinue would; ExceptionContinueSearch calls the next handler. This is what SEH
 * GetPC sequences (read Context.Eip) and SEH egg hunters (skip the unreadable page and retry) need.
 * A handler that never returns (GetPC code that just carries on) is fine: nothing waits for it.
 *
 * x64 exception dispatch walks unwind tables, which attacker code does not register: there every
 * fault stays unhandled.
 */
import { instructionPointer, type GuestCpu, type GuestMemory } from '../behaviour/guest.ts';
import type { TraceRecorder } from '../behaviour/trace.ts';

/** The part of the CPU's fault the dispatcher needs (the CPU's `CpuFault`). */
export interface GuestFault {
  kind: string;
  address: number;
}

export const STATUS_ACCESS_VIOLATION = 0xc0000005;
export const STATUS_INTEGER_DIVIDE_BY_ZERO = 0xc0000094;
export const STATUS_BREAKPOINT = 0x80000003;
export const STATUS_PRIVILEGED_INSTRUCTION = 0xc0000096;

const EXCEPTION_RECORD_SIZE = 0x50;
const CONTEXT_SIZE = 0x2cc;
const CONTEXT_FULL = 0x10007;
const EXCEPTION_CONTINUE_EXECUTION = 0;
const EXCEPTION_CONTINUE_SEARCH = 1;
const END_OF_CHAIN = 0xffffffff;

/** CONTEXT (x86) offsets of the integer registers, in the order NtContinue restores them */
const CONTEXT_REGISTERS = [
  ['edi', 0x9c],
  ['esi', 0xa0],
  ['ebx', 0xa4],
  ['edx', 0xa8],
  ['ecx', 0xac],
  ['eax', 0xb0],
  ['ebp', 0xb4],
] as const;
const CONTEXT_EIP = 0xb8;
const CONTEXT_EFLAGS = 0xc0;
const CONTEXT_ESP = 0xc4;
/** SegGs, SegFs, SegEs, SegDs, SegCs (0xbc) and SegSs (0xc8) hold the user-mode selectors */
const CONTEXT_SEGMENTS = [
  [0x8c, 0],
  [0x90, 0x3b],
  [0x94, 0x23],
  [0x98, 0x23],
  [0xbc, 0x1b],
  [0xc8, 0x23],
] as const;

interface Dispatch {
  recordAddress: number;
  contextAddress: number;
  /** the registration record whose handler is running */
  frame: number;
}

export interface ExceptionDispatcherOptions {
  cpu: GuestCpu;
  trace: TraceRecorder;
  /** address of the TEB (fs:[0] is its first field, the head of the SEH chain) */
  teb: number;
  /** a hooked address the handlers return to; the process routes that hook to `handlerReturned` */
  returnStub: number;
  /** handlers that mean "nobody handled it" (the last-resort record's UnhandledExceptionFilter) */
  lastResort: ReadonlySet<number>;
}

export class ExceptionDispatcher {
  private readonly cpu: GuestCpu;
  private readonly memory: GuestMemory;
  private dispatch: Dispatch | null = null;
  /** exceptions dispatched so far; only the first few become trace events (egg hunters fault a lot) */
  dispatched = 0;

  constructor(private readonly options: ExceptionDispatcherOptions) {
    this.cpu = options.cpu;
    this.memory = options.cpu.memory;
  }

  /** A guest fault: true when a handler now runs, false when the chain has none (the run ends). */
  raise(fault: GuestFault): boolean {
    if (this.cpu.bits !== 32) return false;
    const eip = Number(this.cpu.getRegister('eip'));
    // a handler address that cannot even be fetched: the chain is broken, as Windows decides
    if (this.dispatch && (fault.kind === 'unmapped_fetch' || fault.kind === 'protection_fetch') && eip === this.handlerOf(this.dispatch.frame)) return false;
    const frame = this.firstFrame(this.memory.readU32(this.options.teb));
    if (frame === null) return false;
    const esp = Number(this.cpu.getRegister('esp'));
    const contextAddress = ((esp - CONTEXT_SIZE - 0x10) & ~0xf) >>> 0;
    const recordAddress = contextAddress - EXCEPTION_RECORD_SIZE;
    if (!this.memory.isMapped(recordAddress - 0x20, esp - recordAddress + 0x20)) return false;
    this.writeRecord(recordAddress, fault, eip);
    this.writeContext(contextAddress, eip, esp);
    this.dispatch = { recordAddress, contextAddress, frame };
    this.dispatched++;
    if (this.dispatched <= 4) {
      const code = exceptionCode(fault);
      this.options.trace.record({
        api: 'nt.exception',
        kind: 'other',
        summary: `exception 0x${code.toString(16)} at 0x${eip.toString(16)} to handler 0x${this.handlerOf(frame).toString(16)}`,
        args: { code, address: eip, faultAddress: fault.address, handler: this.handlerOf(frame) },
      });
    }
    this.callHandler(recordAddress - 0x20);
    return true;
  }

  /** The handler returned to the stub: its answer is in eax. */
  handlerReturned(): void {
    const dispatch = this.dispatch;
    if (!dispatch) {
      this.cpu.stop('unhandled_exception', 'exception handler return without an exception');
      return;
    }
    const disposition = Number(this.cpu.getRegister('eax'));
    if (disposition === EXCEPTION_CONTINUE_EXECUTION) {
      this.dispatch = null;
      this.continueFromContext(dispatch.contextAddress);
      return;
    }
    const next = disposition === EXCEPTION_CONTINUE_SEARCH ? this.firstFrame(this.memory.readU32(dispatch.frame)) : null;
    if (next === null) {
      this.dispatch = null;
      this.cpu.stop('unhandled_exception', disposition === EXCEPTION_CONTINUE_SEARCH ? 'no handler took the exception' : `handler answered ${disposition}`);
      return;
    }
    dispatch.frame = next;
    this.callHandler(dispatch.recordAddress - 0x20);
  }

  /** the first registration record from `frame` on whose handler is worth calling, or null */
  private firstFrame(frame: number): number | null {
    for (let hops = 0; hops < 64; hops++) {
      if (frame === END_OF_CHAIN || frame === 0 || !this.memory.isMapped(frame, 8)) return null;
      const handler = this.handlerOf(frame);
      if (this.options.lastResort.has(handler)) return null;
      if (this.memory.isMapped(handler, 1)) return frame;
      frame = this.memory.readU32(frame);
    }
    return null;
  }

  private handlerOf(frame: number): number {
    return this.memory.readU32(frame + 4);
  }

  /** handler(record, frame, context, dispatcherContext), returning to the stub; `sp` leaves room for the call */
  private callHandler(sp: number): void {
    const dispatch = this.dispatch!;
    const memory = this.memory;
    memory.writeU32(sp, this.options.returnStub);
    memory.writeU32(sp + 4, dispatch.recordAddress);
    memory.writeU32(sp + 8, dispatch.frame);
    memory.writeU32(sp + 12, dispatch.contextAddress);
    memory.writeU32(sp + 16, 0);
    this.cpu.setRegister('esp', BigInt(sp));
    this.cpu.setRegister(instructionPointer(32), BigInt(this.handlerOf(dispatch.frame)));
  }

  private writeRecord(address: number, fault: GuestFault, eip: number): void {
    const memory = this.memory;
    memory.write(address, new Uint8Array(EXCEPTION_RECORD_SIZE));
    const code = exceptionCode(fault);
    memory.writeU32(address, code);
    memory.writeU32(address + 0x0c, eip);
    if (code === STATUS_ACCESS_VIOLATION && fault.kind !== 'general_protection' && fault.kind !== 'interrupt') {
      // ExceptionInformation: 0 read, 1 write, 8 execute (DEP); then the address
      memory.writeU32(address + 0x10, 2);
      memory.writeU32(address + 0x14, fault.kind.endsWith('write') ? 1 : fault.kind.endsWith('fetch') ? 8 : 0);
      memory.writeU32(address + 0x18, fault.address >>> 0);
    }
  }

  private writeContext(address: number, eip: number, esp: number): void {
    const memory = this.memory;
    memory.write(address, new Uint8Array(CONTEXT_SIZE));
    memory.writeU32(address, CONTEXT_FULL);
    for (const [name, offset] of CONTEXT_REGISTERS) memory.writeU32(address + offset, Number(this.cpu.getRegister(name)));
    for (const [offset, selector] of CONTEXT_SEGMENTS) memory.writeU32(address + offset, selector);
    memory.writeU32(address + CONTEXT_EIP, eip);
    memory.writeU32(address + CONTEXT_EFLAGS, this.cpu.flags);
    memory.writeU32(address + CONTEXT_ESP, esp);
  }

  /** NtContinue: the registers as the handler left them in the CONTEXT */
  private continueFromContext(address: number): void {
    const memory = this.memory;
    for (const [name, offset] of CONTEXT_REGISTERS) this.cpu.setRegister(name, BigInt(memory.readU32(address + offset)));
    this.cpu.flags = memory.readU32(address + CONTEXT_EFLAGS);
    this.cpu.setRegister('esp', BigInt(memory.readU32(address + CONTEXT_ESP)));
    this.cpu.setRegister('eip', BigInt(memory.readU32(address + CONTEXT_EIP)));
  }
}

function exceptionCode(fault: GuestFault): number {
  if (fault.kind === 'divide_error') return STATUS_INTEGER_DIVIDE_BY_ZERO;
  if (fault.kind === 'breakpoint') return STATUS_BREAKPOINT;
  if (fault.kind === 'general_protection') return STATUS_PRIVILEGED_INSTRUCTION;
  return STATUS_ACCESS_VIOLATION;
}
