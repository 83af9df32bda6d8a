/**
 * Control flow and the ways out of the CPU: jumps, calls, returns, loops, interrupts, syscalls,
 * hlt, hooks — plus cpuid and rdtsc, whose answers are fixed or virtual so runs are repeatable.
 */
import type { Cpu } from './cpu.ts';
import type { Handler, Instruction } from './instruction.ts';
import { PRIVILEGED_INSTRUCTIONS, type SyscallKind } from './types.ts';

const TWO_32 = 4294967296;

/** jmp rel / jcc rel (sub = condition, 16 = always) */
export const jumpRelative: Handler = (cpu, insn) => {
  cpu.ip = insn.target;
};

export const jumpIf: Handler = (cpu, insn) => {
  if (cpu.condition(insn.sub)) cpu.ip = insn.target;
};

/** jz / jnz fast paths: the lazy ZF is just `result === 0` */
export const jumpIfZero: Handler = (cpu, insn) => {
  if (cpu.getZF()) cpu.ip = insn.target;
};

export const jumpIfNotZero: Handler = (cpu, insn) => {
  if (!cpu.getZF()) cpu.ip = insn.target;
};

export const callRelative: Handler = (cpu, insn) => {
  cpu.pushAddress(insn.next);
  cpu.ip = insn.target;
};

function readTarget(cpu: Cpu, insn: Instruction): number {
  const low = cpu.readOperand(insn);
  if (insn.size === 8) return (cpu.high | 0) * TWO_32 + low; // signed: kernel addresses stay exact
  return insn.size === 2 ? low & 0xffff : low;
}

/** jmp E */
export const jumpIndirect: Handler = (cpu, insn) => {
  cpu.ip = readTarget(cpu, insn);
};

/** call E */
export const callIndirect: Handler = (cpu, insn) => {
  const target = readTarget(cpu, insn);
  cpu.pushAddress(insn.next);
  cpu.ip = target;
};

/** ret / ret imm16 */
export const returnNear: Handler = (cpu, insn) => {
  const target = cpu.popAddress();
  if (insn.imm !== 0) cpu.stackPointer = cpu.wrapAddress(cpu.stackPointer + insn.imm);
  cpu.ip = target;
};

/** Decrements rCX (by address size) without touching flags; returns the new value's zero-ness. */
function decrementCounter(cpu: Cpu, addressSize: number): boolean {
  if (addressSize === 8) {
    const low = cpu.lo[1]!;
    cpu.lo[1] = low - 1;
    if (low === 0) cpu.hi[1] = cpu.hi[1]! - 1;
    return cpu.lo[1] === 0 && cpu.hi[1] === 0;
  }
  cpu.lo[1] = cpu.lo[1]! - 1;
  cpu.hi[1] = 0;
  return cpu.lo[1] === 0;
}

/** loop with ecx: the decoder-loop form */
export const loopEcx: Handler = (cpu, insn) => {
  const count = (cpu.lo[1]! - 1) >>> 0;
  cpu.lo[1] = count;
  cpu.hi[1] = 0;
  if (count !== 0) cpu.ip = insn.target;
};

/** loop with rcx (64-bit code) */
export const loopRcx: Handler = (cpu, insn) => {
  const low = cpu.lo[1]!;
  cpu.lo[1] = low - 1;
  if (low === 0) cpu.hi[1] = cpu.hi[1]! - 1;
  if (cpu.lo[1] !== 0 || cpu.hi[1] !== 0) cpu.ip = insn.target;
};

/** loopnz (sub 0), loopz (1), loop (2), jecxz / jrcxz (3) */
export const loop: Handler = (cpu, insn) => {
  if (insn.sub === 3) {
    const zero = insn.addressSize === 8 ? cpu.lo[1] === 0 && cpu.hi[1] === 0 : cpu.lo[1] === 0;
    if (zero) cpu.ip = insn.target;
    return;
  }
  const zero = decrementCounter(cpu, insn.addressSize);
  if (zero) return;
  if (insn.sub === 2 || (insn.sub === 1 ? cpu.getZF() : !cpu.getZF())) cpu.ip = insn.target;
};

function callSyscall(cpu: Cpu, kind: SyscallKind): void {
  const handler = cpu.environment.onSyscall;
  if (!handler) cpu.raiseStop('hook_stop', `${kind} with no syscall handler`);
  handler.call(cpu.environment, cpu, kind);
  cpu.checkStop();
}

export const syscall: Handler = (cpu) => callSyscall(cpu, 'syscall');
export const sysenter: Handler = (cpu) => callSyscall(cpu, 'sysenter');

/** int imm8 (int3 is vector 3) */
export const interrupt: Handler = (cpu, insn) => {
  const vector = insn.imm;
  if (vector === 0x80) return callSyscall(cpu, 'int80');
  if (vector === 0x2e) return callSyscall(cpu, 'int2e');
  const handler = cpu.environment.onInterrupt;
  if (!handler) return cpu.raiseFault(vector === 3 ? 'breakpoint' : 'interrupt');
  handler.call(cpu.environment, cpu, vector);
  cpu.checkStop();
};

export const halt: Handler = (cpu) => cpu.raiseStop('hlt');

export const invalidOpcode: Handler = (cpu) => {
  cpu.ip = cpu.current;
  cpu.raiseStop('invalid_opcode');
};

/**
 * A privileged instruction: #GP in user mode; a kernel environment may emulate the ones named in
 * {@link PRIVILEGED_INSTRUCTIONS} (by `insn.sub`; 0, port I/O, is never emulated).
 */
export const privileged: Handler = (cpu, insn) => {
  const handler = cpu.environment.onPrivileged;
  const name = PRIVILEGED_INSTRUCTIONS[insn.sub];
  if (handler && name !== undefined && handler.call(cpu.environment, cpu, name)) return cpu.checkStop();
  cpu.raiseFault('general_protection');
};

/**
 * cpuid with fixed answers: a GenuineIntel family 6 part with x87, cmov, MMX, SSE, SSE2 and (in
 * 64-bit mode) long mode, so feature checks in payloads take the common path.
 */
export const cpuid: Handler = (cpu) => {
  const leaf = cpu.lo[0]!;
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  if (leaf === 0) {
    a = 1;
    b = 0x756e6547; // "Genu"
    d = 0x49656e69; // "ineI"
    c = 0x6c65746e; // "ntel"
  } else if (leaf === 1) {
    a = 0x000306a9;
    b = 0x00010800;
    c = 0x00000201; // SSE3, SSSE3
    d = 0x0783fbff; // fpu … cmov, mmx, fxsr, sse, sse2
  } else if (leaf === 0x80000000) {
    a = 0x80000001;
  } else if (leaf === 0x80000001) {
    d = cpu.mode === 64 ? 0x20100800 : 0; // syscall, nx, long mode
  }
  cpu.writeReg(0, 4, a);
  cpu.writeReg(3, 4, b);
  cpu.writeReg(1, 4, c);
  cpu.writeReg(2, 4, d);
};

/**
 * rdtsc: virtual time — a fixed base, 3 cycles per instruction of earlier runs, and 40 cycles per
 * read, so it is deterministic, always moves forward, and deltas look like real hardware.
 */
export const readTimeStamp: Handler = (cpu) => {
  cpu.timeStampReads++;
  const tsc = cpu.tscBase + cpu.totalInstructions * 3 + cpu.timeStampReads * 40;
  cpu.writeReg(0, 4, tsc >>> 0);
  cpu.writeReg(2, 4, Math.floor(tsc / TWO_32) >>> 0);
};

/**
 * A hooked address: the environment emulates the function; when it leaves `ip` at the hooked
 * address the original instruction (kept in `insn.original`) runs.
 */
export function makeHookHandler(original: Instruction): Handler {
  return (cpu, insn) => {
    const handler = cpu.environment.onHook;
    cpu.ip = insn.address;
    if (handler) {
      handler.call(cpu.environment, cpu, insn.address);
      cpu.checkStop();
    }
    if (cpu.ip !== insn.address) return;
    cpu.ip = original.next;
    original.exec(cpu, original);
  };
}


