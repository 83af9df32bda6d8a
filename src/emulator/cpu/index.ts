/**
 * The x86 / x86-64 CPU that runs attacker code inside emulated dummies. Pure TypeScript, no
 * runtime dependency.
 *
 * How an environment (Windows or Linux process) plugs in:
 *
 *   const memory = new Memory({ maxMappedBytes: 64 << 20 });
 *   memory.map(0x400000, 0x1000, PERM_READ | PERM_EXEC);      // code
 *   memory.writeBytes(0x400000, shellcode);                     // ignores permissions
 *   memory.map(stackBase, stackSize, PERM_READ | PERM_WRITE);
 *   const cpu = new Cpu({ mode: 32, memory, environment, traceSize: 256 });
 *   cpu.setRegister(REG.rsp, stackTop);
 *   cpu.fsBase = tebAddress;                                    // fs:[0x30] → PEB
 *   cpu.addHook(kernel32.WinExec);                              // API entry points
 *   cpu.ip = 0x400000;
 *   const result = cpu.run({ maxInstructions: 1_000_000, timeBudgetMs: 500 });
 *   // result.reason: exit | hlt | fault | invalid_opcode | instruction_limit | memory_limit |
 *   //                time_limit | hook_stop | blocked | unhandled_exception | internal_error
 *   //                (the keys of `StopReasons`; an environment may add its own by declaration merging)
 *
 * `environment` implements {@link CpuEnvironment}: `onSyscall(cpu, kind)` for syscall / sysenter /
 * int 0x80 / int 0x2e, `onHook(cpu, address)` when execution reaches a hooked address (the hook
 * emulates the call and sets `cpu.ip` to the return address, or leaves `ip` alone to run the code
 * there; the address need not be mapped), `onInterrupt(cpu, vector)` for other `int n` and int3,
 * `onException(cpu, fault)` for guest faults (return true after pointing `cpu.ip` at a handler —
 * the Windows process dispatches to the fs:[0] SEH chain — and the run goes on), and
 * `onPrivileged(cpu, name)` for cli/sti/rdmsr/wrmsr/swapgs (a kernel environment emulates them and
 * returns true; otherwise #GP), and
 * `onFirstExecuteOfWritten(cpu, address)` when bytes the guest wrote first run (set
 * `memory.trackWrites`; the finder reports where decoded code started from it).
 * Callbacks read and write `cpu.lo` / `cpu.hi` (or getRegister / setRegisterBig), `cpu.memory`,
 * read `cpu.instructionCount` (live: the index of the instruction being handled), and end the run
 * with `cpu.stop(reason, detail?, exitCode?)`. A run can be resumed by calling `run()` again
 * (after a `blocked` stop, say). `cpu.recentInstructions()` (with `traceSize`) and a `Disassembler`
 * (behaviour/disassembly.ts) give a listing of what ran.
 *
 * Upper-half (kernel) addresses are the negative numbers they are as signed 64-bit values, so
 * 0xfffff800_02a5c000 is exact as `ip`, a stack pointer or a memory address (memory.ts).
 *
 * Guest code never makes `run()` throw: memory faults (unmapped, permission, fetch from a page
 * without x), divide errors, breakpoints and privileged instructions end the run with reason
 * `fault` and `result.fault = { kind, address }` unless `onException` takes them; undecodable bytes end it with `invalid_opcode`
 * at `result.address`.
 */
export { Cpu, REG, type CpuOptions } from './cpu.ts';
export { Memory, MemoryFault, PAGE_SIZE, PERM_READ, PERM_WRITE, PERM_EXEC, PERM_RWX, type FaultKind, type MemoryOptions, type MemoryRegion } from './memory.ts';
export { decodeInstruction } from './decoder.ts';
export { Instruction } from './instruction.ts';
export { CF, PF, AF, ZF, SF, DF, OF, ARITH_FLAGS } from './flags.ts';
export { PRIVILEGED_INSTRUCTIONS } from './types.ts';
export type { PrivilegedInstruction, CpuEnvironment, CpuFault, CpuFaultKind, CpuMode, RunLimits, RunResult, StopReason, StopReasons, SyscallKind } from './types.ts';
