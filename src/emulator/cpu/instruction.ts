/**
 * One decoded instruction, cached per address (in its page) until a write to that page. The decoder
 * picks the `exec` handler once, so the step loop is a cache lookup and one indirect call — no
 * opcode switch and no allocation per executed instruction.
 */
import type { Cpu } from './cpu.ts';

export type Handler = (cpu: Cpu, insn: Instruction) => void;

/**
 * Fields that can hold values past the small-integer range start as -0 (a heap number), so V8 gives
 * them a double representation from the first object on and never has to migrate the shape —
 * which would deoptimize the step loop.
 */
export class Instruction {
  exec: Handler;
  address = -0;
  length = 0;
  /** address of the next instruction (fall-through) */
  next = -0;
  /** operand size in bytes: 1, 2, 4 or 8 */
  size = 4;
  /** address size in bytes: 4 or 8 */
  addressSize = 4;
  /** sub-operation: ALU op, group /r field, condition code, string op kind … */
  sub = 0;
  /** ModRM: operand is memory */
  mem = false;
  /** ModRM reg field (with REX.R); for byte operands 16..19 are AH, CH, DH, BH */
  reg = 0;
  /** ModRM rm field (with REX.B) when not memory; same byte-register encoding as `reg` */
  rm = 0;
  /** memory operand: base register or -1 */
  base = -1;
  /** memory operand: index register or -1 */
  index = -1;
  scale = 1;
  /** 32-bit code's common `[reg + disp]` operand: that register, else -1 (set by the decoder) */
  simpleBase = -1;
  /** signed displacement; for RIP-relative operands the absolute target with base = -1 */
  disp = -0;
  /** segment override: 0 none, 4 FS, 5 GS (others have base 0 in user mode) */
  segment = 0;
  /** immediate, low 32 bits (sign- or zero-extended as the encoding says) */
  imm = -0;
  /** immediate, high 32 bits (64-bit operands) */
  immHigh = -0;
  /** second immediate (enter) */
  imm2 = 0;
  /** 0, 0xf2 (REPNE) or 0xf3 (REP/REPE) */
  rep = 0;
  /** branch target for relative branches */
  target = -0;
  /** x87 opcode (11 bits) for the FPU opcode register */
  fpuOpcode = 0;
  /** raw opcode bytes, for display */
  opcode = 0;

  constructor(exec: Handler) {
    this.exec = exec;
  }
}
