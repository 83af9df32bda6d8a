/**
 * Data movement: mov and its extending forms, lea, xchg, the stack (push/pop, pusha/popa,
 * pushf/popf, enter/leave), accumulator conversions, setcc/cmovcc and the flag instructions.
 */
import type { Cpu } from './cpu.ts';
import { AF, CF, PF, SF, ZF } from './flags.ts';
import type { Handler } from './instruction.ts';

const TWO_32 = 4294967296;

/** mov E, G */
export const moveEG: Handler = (cpu, insn) => {
  const size = insn.size;
  const value = cpu.readReg(insn.reg, size);
  if (insn.mem) cpu.writeMemory(cpu.effectiveAddress(insn), size, value, size === 8 ? cpu.hi[insn.reg]! : 0);
  else cpu.writeReg(insn.rm, size, value, cpu.high);
};

/** mov G, E */
export const moveGE: Handler = (cpu, insn) => {
  const size = insn.size;
  const value = insn.mem ? cpu.readMemory(cpu.effectiveAddress(insn), size) : cpu.readReg(insn.rm, size);
  cpu.writeReg(insn.reg, size, value, cpu.high);
};

/** mov E, imm (also mov r, imm) */
export const moveEI: Handler = (cpu, insn) => {
  if (insn.mem) cpu.writeMemory(cpu.effectiveAddress(insn), insn.size, insn.imm, insn.immHigh);
  else cpu.writeReg(insn.rm, insn.size, insn.imm, insn.immHigh);
};

function readSource(cpu: Cpu, rm: number, mem: boolean, address: number, size: number): number {
  return mem ? cpu.readMemory(address, size) : cpu.readReg(rm, size);
}

/** movzx G, E (source size in imm2) */
export const moveZeroExtend: Handler = (cpu, insn) => {
  const value = readSource(cpu, insn.rm, insn.mem, insn.mem ? cpu.effectiveAddress(insn) : 0, insn.imm2);
  cpu.writeReg(insn.reg, insn.size, value, 0);
};

/** movsx / movsxd G, E (source size in imm2) */
export const moveSignExtend: Handler = (cpu, insn) => {
  const from = insn.imm2;
  const raw = readSource(cpu, insn.rm, insn.mem, insn.mem ? cpu.effectiveAddress(insn) : 0, from);
  const value = from === 1 ? (raw << 24) >> 24 : from === 2 ? (raw << 16) >> 16 : raw | 0;
  cpu.writeReg(insn.reg, insn.size, (value & (insn.size === 2 ? 0xffff : 0xffffffff)) >>> 0, value < 0 ? 0xffffffff : 0);
};

/** lea G, M */
export const loadEffectiveAddress: Handler = (cpu, insn) => {
  if (insn.addressSize === 4) {
    cpu.writeReg(insn.reg, insn.size, cpu.effectiveAddress(insn) >>> 0);
    return;
  }
  // lea is arithmetic: exact 64-bit sum on (lo, hi) halves, not the double address
  let low = insn.disp >>> 0;
  // a RIP-relative disp is the absolute target, negative for a kernel address: floor splits it exactly
  let high = Math.floor(insn.disp / TWO_32);
  if (insn.base >= 0) {
    low += cpu.lo[insn.base]!;
    high += cpu.hi[insn.base]!;
  }
  if (insn.index >= 0) {
    low += cpu.lo[insn.index]! * insn.scale;
    high += cpu.hi[insn.index]! * insn.scale;
  }
  const carry = Math.floor(low / TWO_32);
  cpu.writeReg(insn.reg, insn.size, low >>> 0, (high + carry) >>> 0);
};

/** xchg E, G (and xchg rAX, r) */
export const exchange: Handler = (cpu, insn) => {
  const size = insn.size;
  const regLow = cpu.readReg(insn.reg, size);
  const regHigh = size === 8 ? cpu.hi[insn.reg]! : 0;
  if (insn.mem) {
    const address = cpu.effectiveAddress(insn);
    const low = cpu.readMemory(address, size);
    const high = cpu.high;
    cpu.writeMemory(address, size, regLow, regHigh);
    cpu.writeReg(insn.reg, size, low, high);
  } else {
    const low = cpu.readReg(insn.rm, size);
    const high = size === 8 ? cpu.hi[insn.rm]! : 0;
    cpu.writeReg(insn.rm, size, regLow, regHigh);
    cpu.writeReg(insn.reg, size, low, high);
  }
};

/** push r / push E / push imm (sub 1 = immediate) */
export const push: Handler = (cpu, insn) => {
  const size = insn.size;
  if (insn.sub === 1) {
    cpu.push(size, insn.imm, insn.immHigh);
    return;
  }
  const low = insn.mem ? cpu.readMemory(cpu.effectiveAddress(insn), size) : cpu.readReg(insn.rm, size);
  cpu.push(size, low, size === 8 ? cpu.high : 0);
};

/** pop r / pop E */
export const pop: Handler = (cpu, insn) => {
  const size = insn.size;
  const low = cpu.pop(size);
  const high = cpu.high;
  // pop [esp+x] computes the address after esp was incremented
  if (insn.mem) cpu.writeMemory(cpu.effectiveAddress(insn), size, low, high);
  else cpu.writeReg(insn.rm, size, low, high);
};

/** pusha / pushad */
export const pushAll: Handler = (cpu, insn) => {
  const size = insn.size;
  const sp = cpu.readReg(4, size);
  for (let reg = 0; reg < 8; reg++) cpu.push(size, reg === 4 ? sp : cpu.readReg(reg, size));
};

/** popa / popad (the saved esp is skipped) */
export const popAll: Handler = (cpu, insn) => {
  const size = insn.size;
  for (let reg = 7; reg >= 0; reg--) {
    const value = cpu.pop(size);
    if (reg !== 4) cpu.writeReg(reg, size, value);
  }
};

/** pushf / pushfd / pushfq (RF and VM read as 0) */
export const pushFlags: Handler = (cpu, insn) => {
  cpu.push(insn.size, (cpu.eflags & 0xfcffff) >>> 0, 0);
};

/** popf / popfd / popfq: user mode may change the arithmetic flags, DF, TF, AC and ID */
export const popFlags: Handler = (cpu, insn) => {
  const value = cpu.pop(insn.size);
  const writable = insn.size === 2 ? 0x4dd5 : 0x244dd5;
  cpu.eflags = (cpu.eflags & ~writable) | (value & writable);
};

/** cbw / cwde / cdqe */
export const widenAccumulator: Handler = (cpu, insn) => {
  const value = cpu.lo[0]!;
  if (insn.size === 2) cpu.writeReg(0, 2, ((value << 24) >> 24) & 0xffff);
  else if (insn.size === 4) cpu.writeReg(0, 4, ((value << 16) >> 16) >>> 0);
  else cpu.writeReg(0, 8, value, value & 0x80000000 ? 0xffffffff : 0);
};

/** cwd / cdq / cqo */
export const signIntoDx: Handler = (cpu, insn) => {
  const size = insn.size;
  const negative = size === 2 ? (cpu.lo[0]! & 0x8000) !== 0 : size === 4 ? (cpu.lo[0]! & 0x80000000) !== 0 : (cpu.hi[0]! & 0x80000000) !== 0;
  const fill = negative ? 0xffffffff : 0;
  cpu.writeReg(2, size, size === 2 ? fill & 0xffff : fill, fill);
};

/** enter imm16, imm8 */
export const enter: Handler = (cpu, insn) => {
  const size = insn.size;
  const level = insn.imm2 & 31;
  const bpLow = cpu.readReg(5, size);
  cpu.push(size, bpLow, size === 8 ? cpu.hi[5]! : 0);
  const frame = cpu.stackPointer;
  let bp = cpu.mode === 64 ? cpu.addressPart(5) : cpu.lo[5]!;
  for (let k = 1; k < level; k++) {
    bp = cpu.wrapAddress(bp - size);
    const low = cpu.readMemory(bp, size);
    cpu.push(size, low, cpu.high);
  }
  if (level > 0) cpu.push(size, frame >>> 0, Math.floor(frame / TWO_32) >>> 0);
  cpu.writeReg(5, size, frame >>> 0, Math.floor(frame / TWO_32) >>> 0);
  cpu.stackPointer = cpu.wrapAddress(cpu.stackPointer - insn.imm);
};

/** leave */
export const leave: Handler = (cpu, insn) => {
  const size = insn.size;
  cpu.stackPointer = cpu.mode === 64 ? cpu.addressPart(5) : cpu.lo[5]!;
  const low = cpu.pop(size);
  cpu.writeReg(5, size, low, cpu.high);
};

/** setcc E8 (condition in sub) */
export const setCondition: Handler = (cpu, insn) => {
  const value = cpu.condition(insn.sub) ? 1 : 0;
  if (insn.mem) cpu.writeMemory(cpu.effectiveAddress(insn), 1, value);
  else cpu.writeReg(insn.rm, 1, value);
};

/** cmovcc G, E: the source is read (and may fault) either way; a 32-bit destination is zero-extended either way */
export const moveIf: Handler = (cpu, insn) => {
  const size = insn.size;
  const value = insn.mem ? cpu.readMemory(cpu.effectiveAddress(insn), size) : cpu.readReg(insn.rm, size);
  const high = cpu.high;
  if (cpu.condition(insn.sub)) cpu.writeReg(insn.reg, size, value, high);
  else if (size === 4) cpu.hi[insn.reg] = 0;
};

/** lahf */
export const loadFlagsIntoAh: Handler = (cpu) => {
  cpu.writeReg(16, 1, (cpu.arithmeticFlags() & (SF | ZF | AF | PF | CF)) | 0x2);
};

/** sahf */
export const storeAhIntoFlags: Handler = (cpu) => {
  const ah = (cpu.lo[0]! >>> 8) & 0xff;
  cpu.setEager((cpu.arithmeticFlags() & ~(SF | ZF | AF | PF | CF)) | (ah & (SF | ZF | AF | PF | CF)));
};

/** clc (0) stc (1) cmc (2) cld (3) std (4) */
export const flagInstruction: Handler = (cpu, insn) => {
  switch (insn.sub) {
    case 0:
      cpu.setEager(cpu.arithmeticFlags() & ~CF);
      break;
    case 1:
      cpu.setEager(cpu.arithmeticFlags() | CF);
      break;
    case 2:
      cpu.setEager(cpu.arithmeticFlags() ^ CF);
      break;
    case 3:
      cpu.df = 1;
      break;
    default:
      cpu.df = -1;
  }
};

/** xlat: al = [rbx + al] */
export const translate: Handler = (cpu, insn) => {
  let address = (insn.addressSize === 8 ? cpu.addressPart(3) : cpu.lo[3]!) + (cpu.lo[0]! & 0xff);
  if (insn.segment !== 0) address += insn.segment === 4 ? cpu.fsBase : cpu.gsBase;
  cpu.writeReg(0, 1, cpu.readMemory(cpu.wrapAddress(insn.addressSize === 4 ? address >>> 0 : address), 1));
};

export const nop: Handler = () => {};

/** push es/cs/ss/ds/fs/gs (segment number in sub): the selector from `cpu.selectors` */
export const pushSegment: Handler = (cpu, insn) => {
  cpu.push(insn.size, cpu.selectors[insn.sub]!);
};

/** pop into a segment register: the value is consumed; user-mode segment bases do not change */
export const popSegment: Handler = (cpu, insn) => {
  cpu.pop(insn.size);
};

/** mov r/m, sreg */
export const moveFromSegment: Handler = (cpu, insn) => {
  cpu.writeOperand(insn, cpu.selectors[insn.sub]!, 0);
};
