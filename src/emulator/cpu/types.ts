import type { Cpu } from './cpu.ts';
import type { FaultKind } from './memory.ts';

export type CpuMode = 32 | 64;

export type StopReason =
  | 'exit'
  | 'hlt'
  | 'fault'
  | 'invalid_opcode'
  | 'instruction_limit'
  | 'memory_limit'
  | 'time_limit'
  | 'hook_stop'
  /** set by an environment: a call must wait for input (a receive with no data yet) */
  | 'blocked'
  /** set by an environment: the guest raised an exception nothing handled */
  | 'unhandled_exception'
  /** a bug in the emulator itself; the message is in `detail` */
  | 'internal_error';

export type CpuFaultKind = FaultKind | 'divide_error' | 'breakpoint' | 'general_protection' | 'interrupt';

/** How attacker code leaves the CPU to ask its (emulated) operating system for something. */
export type SyscallKind = 'syscall' | 'sysenter' | 'int80' | 'int2e';

/**
 * What a Windows or Linux process environment plugs into the CPU. Every callback may read and write
 * registers and memory, change `cpu.ip`, and call `cpu.stop(reason)` to end the run.
 */
export interface CpuEnvironment {
  /** `syscall`, `sysenter`, `int 0x80`, `int 0x2e`; `cpu.ip` already points past the instruction */
  onSyscall?(cpu: Cpu, kind: SyscallKind): void;
  /**
   * Execution reached an address registered with `cpu.addHook` (an API entry point). Emulate the
   * call — set the return value, pop the return address into `cpu.ip` — or leave `cpu.ip` unchanged
   * to run the code that is there.
   */
  onHook?(cpu: Cpu, address: number): void;
  /** `int n` other than 0x80/0x2e, and int3 (vector 3); without it the run ends with a fault */
  onInterrupt?(cpu: Cpu, vector: number): void;
}

export interface RunLimits {
  /** instructions this run may execute */
  maxInstructions?: number;
  /** wall-clock budget of this run */
  timeBudgetMs?: number;
  /** how many instructions between clock checks */
  timeCheckInterval?: number;
}

export interface CpuFault {
  kind: CpuFaultKind;
  /** the memory address for memory faults, the instruction address otherwise */
  address: number;
}

export interface RunResult {
  reason: StopReason;
  /** instructions executed by this run */
  instructions: number;
  /** address of the instruction that stopped the run (or the next one to run) */
  address: number;
  fault?: CpuFault;
  /** exit code for `exit`, free text otherwise */
  detail?: string;
  exitCode?: number;
}
