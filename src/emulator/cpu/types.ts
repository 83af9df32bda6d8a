import type { Cpu } from './cpu.ts';
import type { FaultKind } from './memory.ts';

export type CpuMode = 32 | 64;

/**
 * Why a run ended. The keys of this interface are the reasons; an environment that needs a reason
 * of its own adds it by declaration merging (`declare module '…/cpu/types.ts' { interface
 * StopReasons { my_reason: true } }`) instead of folding it into `hook_stop` with detail text.
 */
export interface StopReasons {
  exit: true;
  hlt: true;
  fault: true;
  invalid_opcode: true;
  instruction_limit: true;
  memory_limit: true;
  time_limit: true;
  /** an environment callback stopped the run for a reason of no other kind; `detail` says which */
  hook_stop: true;
  /** set by an environment: a call must wait for input (a receive with no data yet) */
  blocked: true;
  /** set by an environment: the guest raised an exception nothing handled */
  unhandled_exception: true;
  /** a bug in the emulator itself; the message is in `detail` */
  internal_error: true;
}

export type StopReason = keyof StopReasons;

export type CpuFaultKind = FaultKind | 'divide_error' | 'breakpoint' | 'general_protection' | 'interrupt';

/**
 * The privileged instructions a kernel environment may emulate (`onPrivileged`), by the decoder's
 * `insn.sub`; index 0 (port I/O) always raises #GP.
 */
export const PRIVILEGED_INSTRUCTIONS = [undefined, 'cli', 'sti', 'rdmsr', 'wrmsr', 'swapgs'] as const;
export type PrivilegedInstruction = NonNullable<(typeof PRIVILEGED_INSTRUCTIONS)[number]>;

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
  /**
   * cli, sti, rdmsr, wrmsr, swapgs (kernel code); `cpu.ip` already points past the instruction.
   * Return true after emulating it (rdmsr: ecx in, edx:eax out); false, or no callback, raises #GP.
   */
  onPrivileged?(cpu: Cpu, instruction: PrivilegedInstruction): boolean;
  /**
   * The guest faulted (memory, divide error, int3 without `onInterrupt`, a privileged instruction);
   * `cpu.ip` is the faulting instruction (the target address for a fetch fault). Return true after
   * redirecting execution — to a structured exception handler, say — and the run goes on; return
   * false and the run ends with reason `fault`. Each dispatch counts as one instruction against the
   * run's limit, so a handler that faults again cannot spin for ever.
   */
  onException?(cpu: Cpu, fault: CpuFault): boolean;
  /**
   * An instruction is about to run whose bytes the guest wrote during this CPU's life (the first
   * instruction of decoded or copied code). Called once per instruction address until the guest
   * writes its bytes again; needs `memory.trackWrites`. A notice only: it should not change state.
   */
  onFirstExecuteOfWritten?(cpu: Cpu, address: number): void;
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
