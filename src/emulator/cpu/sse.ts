/**
 * The SSE moves and bitwise logic that encoders use (xor/or/and on 128-bit lanes, movd/movq,
 * aligned and unaligned 128-bit moves, movss/movsd). xmm registers are four uint32 lanes each.
 */
import type { Cpu } from './cpu.ts';
import type { Handler, Instruction } from './instruction.ts';

/** sub values for `sseMove`: how many bytes move and whether the rest of the destination is cleared */
export const SSE_FULL = 0; // movups/movdqu/movupd: 16 bytes
export const SSE_ALIGNED = 1; // movaps/movdqa/movapd: 16 bytes, #GP when misaligned
export const SSE_LOW32 = 2; // movss
export const SSE_LOW64 = 3; // movsd, movq xmm/m64

function checkAlignment(cpu: Cpu, insn: Instruction, address: number): void {
  if (insn.sub === SSE_ALIGNED && address % 16 !== 0) cpu.raiseFault('general_protection');
}

function lanesFor(sub: number): number {
  return sub === SSE_LOW32 ? 1 : sub === SSE_LOW64 ? 2 : 4;
}

/** xmm(reg) ← xmm/m (load forms) */
export const sseLoad: Handler = (cpu, insn) => {
  const xmm = cpu.xmm;
  const destination = insn.reg * 4;
  const lanes = lanesFor(insn.sub);
  if (insn.mem) {
    const address = cpu.effectiveAddress(insn);
    checkAlignment(cpu, insn, address);
    const values = [0, 0, 0, 0];
    for (let k = 0; k < lanes; k++) values[k] = cpu.readMemory(cpu.wrapAddress(address + 4 * k), 4);
    // loads of 32/64 bits from memory clear the rest of the register
    for (let k = 0; k < 4; k++) xmm[destination + k] = values[k]!;
    return;
  }
  const source = insn.rm * 4;
  for (let k = 0; k < lanes; k++) xmm[destination + k] = xmm[source + k]!;
  if (insn.imm2 === 1) for (let k = lanes; k < 4; k++) xmm[destination + k] = 0;
};

/** xmm/m ← xmm(reg) (store forms) */
export const sseStore: Handler = (cpu, insn) => {
  const xmm = cpu.xmm;
  const source = insn.reg * 4;
  const lanes = lanesFor(insn.sub);
  if (insn.mem) {
    const address = cpu.effectiveAddress(insn);
    checkAlignment(cpu, insn, address);
    // check the last byte first so a faulting store writes nothing
    cpu.readMemory(cpu.wrapAddress(address + lanes * 4 - 1), 1);
    for (let k = 0; k < lanes; k++) cpu.writeMemory(cpu.wrapAddress(address + 4 * k), 4, xmm[source + k]!);
    return;
  }
  const destination = insn.rm * 4;
  for (let k = 0; k < lanes; k++) xmm[destination + k] = xmm[source + k]!;
  if (insn.imm2 === 1) for (let k = lanes; k < 4; k++) xmm[destination + k] = 0;
};

/** movd/movq xmm, r/m32|64 (66 0F 6E): the rest of xmm is cleared */
export const moveToXmm: Handler = (cpu, insn) => {
  const low = cpu.readOperand(insn);
  const high = insn.size === 8 ? cpu.high : 0;
  const destination = insn.reg * 4;
  cpu.xmm[destination] = low;
  cpu.xmm[destination + 1] = high;
  cpu.xmm[destination + 2] = 0;
  cpu.xmm[destination + 3] = 0;
};

/** movd/movq r/m32|64, xmm (66 0F 7E) */
export const moveFromXmm: Handler = (cpu, insn) => {
  const source = insn.reg * 4;
  cpu.writeOperand(insn, cpu.xmm[source]!, cpu.xmm[source + 1]!);
};

export const LOGIC_AND = 0;
export const LOGIC_ANDN = 1;
export const LOGIC_OR = 2;
export const LOGIC_XOR = 3;

/** pand/pandn/por/pxor and the ps/pd forms: xmm(reg) ← xmm(reg) op xmm/m128 (aligned) */
export const sseLogic: Handler = (cpu, insn) => {
  const xmm = cpu.xmm;
  const destination = insn.reg * 4;
  let b0: number, b1: number, b2: number, b3: number;
  if (insn.mem) {
    const address = cpu.effectiveAddress(insn);
    if (address % 16 !== 0) cpu.raiseFault('general_protection');
    b0 = cpu.readMemory(address, 4);
    b1 = cpu.readMemory(cpu.wrapAddress(address + 4), 4);
    b2 = cpu.readMemory(cpu.wrapAddress(address + 8), 4);
    b3 = cpu.readMemory(cpu.wrapAddress(address + 12), 4);
  } else {
    const source = insn.rm * 4;
    b0 = xmm[source]!;
    b1 = xmm[source + 1]!;
    b2 = xmm[source + 2]!;
    b3 = xmm[source + 3]!;
  }
  const values = [b0, b1, b2, b3];
  for (let k = 0; k < 4; k++) {
    const a = xmm[destination + k]!;
    const b = values[k]!;
    switch (insn.sub) {
      case LOGIC_AND:
        xmm[destination + k] = a & b;
        break;
      case LOGIC_ANDN:
        xmm[destination + k] = ~a & b;
        break;
      case LOGIC_OR:
        xmm[destination + k] = a | b;
        break;
      default:
        xmm[destination + k] = a ^ b;
    }
  }
};
