import {
  accumulator,
  instructionPointer,
  readCString,
  readPointer,
  readWideString,
  stackPointer,
  type GuestCpu,
  type ProcessStopReason,
} from '../behaviour/guest.ts';
import type { ArgumentValue, BehaviourEvent, BehaviourKind } from '../behaviour/trace.ts';
import type { HookTarget, WindowsProcess } from './windows-process.ts';

/** A handler's answer: a return value, or BLOCKED when the call must wait (the run stops, and
 *  resuming the CPU repeats the call). */
export const BLOCKED = Symbol('blocked');
export type ApiResult = number | bigint | typeof BLOCKED | void;
export type ApiHandler = (call: ApiCall) => ApiResult;

const X64_REGISTER_ARGUMENTS = ['rcx', 'rdx', 'r8', 'r9'] as const;

/**
 * One call into a hooked export, seen from the callee: arguments by the calling convention
 * (stdcall/cdecl on x86, the Microsoft x64 convention with shadow space on x64), string helpers,
 * and `complete()`, which returns to the caller the way the real function would.
 */
export class ApiCall {
  readonly returnAddress: number;
  /** set by `stop()`: the call does not return (the process exited) */
  stopped = false;
  readonly memory;
  readonly bits;

  constructor(
    readonly process: WindowsProcess,
    readonly cpu: GuestCpu,
    readonly target: HookTarget,
  ) {
    this.memory = cpu.memory;
    this.bits = cpu.bits;
    const sp = Number(cpu.getRegister(stackPointer(cpu.bits)));
    this.returnAddress = this.memory.isMapped(sp, this.bits / 8) ? readPointer(this.memory, this.bits, sp) : 0;
  }

  /** `ws2_32.connect` */
  get api(): string {
    return `${this.target.module.name.replace(/\.dll$/i, '')}.${this.target.name}`;
  }

  /** Argument `index` (0-based), pointer-sized and unsigned. */
  arg(index: number): number {
    if (this.bits === 64) {
      if (index < 4) return Number(this.cpu.getRegister(X64_REGISTER_ARGUMENTS[index]!));
      const sp = Number(this.cpu.getRegister('rsp'));
      return this.safePointer(sp + 0x28 + (index - 4) * 8);
    }
    const sp = Number(this.cpu.getRegister('esp'));
    return this.safePointer(sp + 4 + index * 4);
  }

  /** Argument as a 32-bit unsigned integer (an int/DWORD argument on either architecture). */
  u32(index: number): number {
    return this.arg(index) % 4294967296 >>> 0;
  }

  i32(index: number): number {
    return this.u32(index) | 0;
  }

  ansi(index: number, limit = 4096): string {
    const pointer = this.arg(index);
    return pointer === 0 ? '' : readCString(this.memory, pointer, limit);
  }

  wide(index: number, limit = 4096): string {
    const pointer = this.arg(index);
    return pointer === 0 ? '' : readWideString(this.memory, pointer, limit);
  }

  /** An A/W string argument, choosing by the export's name suffix. */
  text(index: number, limit = 4096): string {
    return this.isWide ? this.wide(index, limit) : this.ansi(index, limit);
  }

  get isWide(): boolean {
    return /W$/.test(this.target.name) || this.target.name.startsWith('_w');
  }

  bytes(address: number, length: number): Uint8Array {
    if (length <= 0 || !this.memory.isMapped(address, length)) return new Uint8Array(0);
    return this.memory.read(address, length);
  }

  record(kind: BehaviourKind, summary: string, args: Record<string, ArgumentValue> = {}, returnValue?: number): BehaviourEvent {
    const event: Parameters<WindowsProcess['trace']['record']>[0] = { api: this.api, kind, summary, args, caller: this.returnAddress };
    if (returnValue !== undefined) event.returnValue = returnValue;
    return this.process.trace.record(event);
  }

  /** Returns to the caller with `value` in eax/rax, popping stdcall arguments on x86. */
  complete(value: number | bigint): void {
    const cpu = this.cpu;
    const sp = stackPointer(this.bits);
    const pointer = this.bits / 8;
    const big = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
    cpu.setRegister(accumulator(this.bits), BigInt.asUintN(this.bits, big));
    let stack = Number(cpu.getRegister(sp)) + pointer;
    if (this.bits === 32 && !this.target.spec.cdecl) stack += this.target.spec.argumentCount * 4;
    cpu.setRegister(sp, BigInt(stack));
    cpu.setRegister(instructionPointer(this.bits), BigInt(this.returnAddress));
  }

  /** Ends the run instead of returning (ExitProcess and friends). */
  stop(reason: ProcessStopReason, detail?: string, exitCode?: number): void {
    this.stopped = true;
    this.cpu.stop(reason, detail, exitCode);
  }

  private safePointer(address: number): number {
    return this.memory.isMapped(address, this.bits / 8) ? readPointer(this.memory, this.bits, address) : 0;
  }
}
