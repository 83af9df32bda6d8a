/**
 * Integer arithmetic and logic: the eight ALU operations, inc/dec/neg/not, multiply and divide,
 * shifts and rotates, double shifts, bit tests and scans. Operands of 1/2/4 bytes are plain uint32
 * numbers with lazy flags; 8-byte operands are (lo, hi) pairs with eager flags, BigInt only for
 * multiply, divide and shifts.
 */
import type { Cpu } from './cpu.ts';
import { AF, CF, LAZY_ADC, LAZY_ADD, LAZY_DEC, LAZY_INC, LAZY_LOGIC, LAZY_SBB, LAZY_SUB, OF, PARITY, SF, SIZE_MASK, ZF } from './flags.ts';
import type { Handler, Instruction } from './instruction.ts';

const TWO_32 = 4294967296;
const MASK64 = 0xffffffffffffffffn;

export const ALU_ADD = 0;
export const ALU_OR = 1;
export const ALU_ADC = 2;
export const ALU_SBB = 3;
export const ALU_AND = 4;
export const ALU_SUB = 5;
export const ALU_XOR = 6;
export const ALU_CMP = 7;

/** One ALU operation on 1/2/4-byte operands (already masked); returns the masked result. */
export function alu(cpu: Cpu, op: number, size: number, a: number, b: number): number {
  const mask = SIZE_MASK[size]!;
  let result: number;
  switch (op) {
    case ALU_ADD:
      result = ((a + b) & mask) >>> 0;
      cpu.setLazy(LAZY_ADD, size, a, b, result);
      return result;
    case ALU_OR:
      result = (a | b) >>> 0;
      cpu.setLazy(LAZY_LOGIC, size, a, b, result);
      return result;
    case ALU_ADC: {
      const carry = cpu.getCF();
      result = ((a + b + carry) & mask) >>> 0;
      cpu.flagCarry = carry;
      cpu.setLazy(LAZY_ADC, size, a, b, result);
      return result;
    }
    case ALU_SBB: {
      const carry = cpu.getCF();
      result = ((a - b - carry) & mask) >>> 0;
      cpu.flagCarry = carry;
      cpu.setLazy(LAZY_SBB, size, a, b, result);
      return result;
    }
    case ALU_AND:
      result = (a & b) >>> 0;
      cpu.setLazy(LAZY_LOGIC, size, a, b, result);
      return result;
    case ALU_XOR:
      result = (a ^ b) >>> 0;
      cpu.setLazy(LAZY_LOGIC, size, a, b, result);
      return result;
    default:
      result = ((a - b) & mask) >>> 0;
      cpu.setLazy(LAZY_SUB, size, a, b, result);
      return result;
  }
}

function resultFlags64(low: number, high: number): number {
  return ((low | high) === 0 ? ZF : 0) | (high & 0x80000000 ? SF : 0) | PARITY[low & 0xff]!;
}

/** One ALU operation on 64-bit pairs; returns the low half, the high half in `cpu.high`. */
export function alu64(cpu: Cpu, op: number, aLow: number, aHigh: number, bLow: number, bHigh: number): number {
  let low: number;
  let high: number;
  let flags = 0;
  switch (op) {
    case ALU_ADD:
    case ALU_ADC: {
      const carryIn = op === ALU_ADC ? cpu.getCF() : 0;
      low = aLow + bLow + carryIn;
      const carry = low >= TWO_32 ? 1 : 0;
      low >>>= 0;
      high = aHigh + bHigh + carry;
      if (high >= TWO_32) flags |= CF;
      high >>>= 0;
      if (((aHigh ^ high) & (bHigh ^ high)) >>> 31) flags |= OF;
      if ((aLow ^ bLow ^ low) & 0x10) flags |= AF;
      break;
    }
    case ALU_SUB:
    case ALU_SBB:
    case ALU_CMP: {
      const borrowIn = op === ALU_SBB ? cpu.getCF() : 0;
      low = aLow - bLow - borrowIn;
      const borrow = low < 0 ? 1 : 0;
      low >>>= 0;
      high = aHigh - bHigh - borrow;
      if (high < 0) flags |= CF;
      high >>>= 0;
      if (((aHigh ^ bHigh) & (aHigh ^ high)) >>> 31) flags |= OF;
      if ((aLow ^ bLow ^ low) & 0x10) flags |= AF;
      break;
    }
    case ALU_OR:
      low = (aLow | bLow) >>> 0;
      high = (aHigh | bHigh) >>> 0;
      break;
    case ALU_AND:
      low = (aLow & bLow) >>> 0;
      high = (aHigh & bHigh) >>> 0;
      break;
    default:
      low = (aLow ^ bLow) >>> 0;
      high = (aHigh ^ bHigh) >>> 0;
  }
  cpu.setEager(flags | resultFlags64(low, high));
  cpu.high = high;
  return low;
}

/** op E, G */
export const aluEG: Handler = (cpu, insn) => {
  const size = insn.size;
  const op = insn.sub;
  if (insn.mem) {
    const address = cpu.effectiveAddress(insn);
    if (size !== 8) {
      const result = alu(cpu, op, size, cpu.readMemory(address, size), cpu.readReg(insn.reg, size));
      if (op !== ALU_CMP) cpu.writeMemory(address, size, result);
      return;
    }
    const aLow = cpu.readMemory(address, 8);
    const aHigh = cpu.high;
    const result = alu64(cpu, op, aLow, aHigh, cpu.lo[insn.reg]!, cpu.hi[insn.reg]!);
    if (op !== ALU_CMP) cpu.writeMemory(address, 8, result, cpu.high);
    return;
  }
  if (size !== 8) {
    const result = alu(cpu, op, size, cpu.readReg(insn.rm, size), cpu.readReg(insn.reg, size));
    if (op !== ALU_CMP) cpu.writeReg(insn.rm, size, result);
    return;
  }
  const result = alu64(cpu, op, cpu.lo[insn.rm]!, cpu.hi[insn.rm]!, cpu.lo[insn.reg]!, cpu.hi[insn.reg]!);
  if (op !== ALU_CMP) cpu.writeReg(insn.rm, 8, result, cpu.high);
};

/** op G, E */
export const aluGE: Handler = (cpu, insn) => {
  const size = insn.size;
  const op = insn.sub;
  if (size !== 8) {
    const b = cpu.readOperand(insn);
    const result = alu(cpu, op, size, cpu.readReg(insn.reg, size), b);
    if (op !== ALU_CMP) cpu.writeReg(insn.reg, size, result);
    return;
  }
  const bLow = cpu.readOperand(insn);
  const result = alu64(cpu, op, cpu.lo[insn.reg]!, cpu.hi[insn.reg]!, bLow, cpu.high);
  if (op !== ALU_CMP) cpu.writeReg(insn.reg, 8, result, cpu.high);
};

/** op E, imm (also the accumulator forms, decoded with rm = 0) */
export const aluEI: Handler = (cpu, insn) => {
  const size = insn.size;
  const op = insn.sub;
  if (size !== 8) {
    if (!insn.mem) {
      const result = alu(cpu, op, size, cpu.readReg(insn.rm, size), insn.imm);
      if (op !== ALU_CMP) cpu.writeReg(insn.rm, size, result);
      return;
    }
    const address = cpu.effectiveAddress(insn);
    const result = alu(cpu, op, size, cpu.readMemory(address, size), insn.imm);
    if (op !== ALU_CMP) cpu.writeMemory(address, size, result);
    return;
  }
  const address = insn.mem ? cpu.effectiveAddress(insn) : 0;
  const aLow = insn.mem ? cpu.readMemory(address, 8) : cpu.lo[insn.rm]!;
  const aHigh = insn.mem ? cpu.high : cpu.hi[insn.rm]!;
  const result = alu64(cpu, op, aLow, aHigh, insn.imm, insn.immHigh);
  if (op === ALU_CMP) return;
  if (insn.mem) cpu.writeMemory(address, 8, result, cpu.high);
  else cpu.writeReg(insn.rm, 8, result, cpu.high);
};

/** test E, G / test E, imm (imm when sub = 1) */
export const test: Handler = (cpu, insn) => {
  const size = insn.size;
  const aLow = cpu.readOperand(insn);
  const aHigh = cpu.high;
  if (size !== 8) {
    alu(cpu, ALU_AND, size, aLow, insn.sub === 1 ? insn.imm : cpu.readReg(insn.reg, size));
    return;
  }
  if (insn.sub === 1) alu64(cpu, ALU_AND, aLow, aHigh, insn.imm, insn.immHigh);
  else alu64(cpu, ALU_AND, aLow, aHigh, cpu.lo[insn.reg]!, cpu.hi[insn.reg]!);
};

/** Applies a read-modify-write to operand E; `compute` returns the low result (high in cpu.high). */
function modify(cpu: Cpu, insn: Instruction, compute: (cpu: Cpu, size: number, low: number, high: number) => number): void {
  const size = insn.size;
  if (insn.mem) {
    const address = cpu.effectiveAddress(insn);
    const low = cpu.readMemory(address, size);
    const result = compute(cpu, size, low, size === 8 ? cpu.high : 0);
    cpu.writeMemory(address, size, result, cpu.high);
  } else {
    const low = cpu.readReg(insn.rm, size);
    const result = compute(cpu, size, low, size === 8 ? cpu.hi[insn.rm]! : 0);
    cpu.writeReg(insn.rm, size, result, cpu.high);
  }
}

function incDecValue(cpu: Cpu, size: number, low: number, high: number, decrement: boolean): number {
  const carry = cpu.getCF();
  if (size === 8) {
    const result = alu64(cpu, decrement ? ALU_SUB : ALU_ADD, low, high, 1, 0);
    cpu.setEager((cpu.flagBits & ~CF) | carry);
    return result;
  }
  const mask = SIZE_MASK[size]!;
  const result = ((decrement ? low - 1 : low + 1) & mask) >>> 0;
  cpu.flagCarry = carry;
  cpu.setLazy(decrement ? LAZY_DEC : LAZY_INC, size, low, 1, result);
  return result;
}

const incValue = (cpu: Cpu, size: number, low: number, high: number): number => incDecValue(cpu, size, low, high, false);
const decValue = (cpu: Cpu, size: number, low: number, high: number): number => incDecValue(cpu, size, low, high, true);

/** inc E (sub 0) / dec E (sub 1) */
export const incDec: Handler = (cpu, insn) => {
  if (!insn.mem && insn.size === 4) {
    // the 32-bit register form is the hot one in decoder loops
    const low = cpu.lo[insn.rm]!;
    const carry = cpu.getCF();
    const result = (insn.sub === 0 ? low + 1 : low - 1) >>> 0;
    cpu.flagCarry = carry;
    cpu.setLazy(insn.sub === 0 ? LAZY_INC : LAZY_DEC, 4, low, 1, result);
    cpu.lo[insn.rm] = result;
    cpu.hi[insn.rm] = 0;
    return;
  }
  if (!insn.mem && insn.size === 8) {
    // the 64-bit register form: pointer increments in x64 decoder loops
    const index = insn.rm;
    const low = cpu.lo[index]!;
    const high = cpu.hi[index]!;
    const carry = cpu.getCF();
    let newLow: number;
    let newHigh: number;
    let flags = carry;
    if (insn.sub === 0) {
      newLow = (low + 1) >>> 0;
      newHigh = newLow === 0 ? (high + 1) >>> 0 : high;
      if (newLow === 0 && high === 0x7fffffff) flags |= OF;
      if ((low & 0xf) === 0xf) flags |= AF;
    } else {
      newLow = (low - 1) >>> 0;
      newHigh = low === 0 ? (high - 1) >>> 0 : high;
      if (low === 0 && high === 0x80000000) flags |= OF;
      if ((low & 0xf) === 0) flags |= AF;
    }
    cpu.lo[index] = newLow;
    cpu.hi[index] = newHigh;
    cpu.setEager(flags | resultFlags64(newLow, newHigh));
    return;
  }
  modify(cpu, insn, insn.sub === 0 ? incValue : decValue);
};

const notValue = (cpu: Cpu, size: number, low: number, high: number): number => {
  cpu.high = ~high >>> 0;
  return (~low & SIZE_MASK[size]!) >>> 0;
};

const negValue = (cpu: Cpu, size: number, low: number, high: number): number => {
  if (size === 8) return alu64(cpu, ALU_SUB, 0, 0, low, high);
  return alu(cpu, ALU_SUB, size, 0, low);
};

export const not: Handler = (cpu, insn) => modify(cpu, insn, notValue);
export const neg: Handler = (cpu, insn) => modify(cpu, insn, negValue);

// ---- multiply and divide ----------------------------------------------------------------

/** Unsigned 32×32 → 64: returns the low half, the high half in cpu.high (exact, no BigInt). */
function multiply32(cpu: Cpu, a: number, b: number): number {
  const bLow = b & 0xffff;
  const bHigh = b >>> 16;
  const partLow = a * bLow;
  const partHigh = a * bHigh;
  cpu.high = (Math.floor(partHigh / 65536) + Math.floor(((partHigh % 65536) * 65536 + partLow) / TWO_32)) >>> 0;
  return Math.imul(a, b) >>> 0;
}

function signExtend(value: number, size: number): number {
  if (size === 1) return (value << 24) >> 24;
  if (size === 2) return (value << 16) >> 16;
  return value | 0;
}

function toBig(low: number, high: number): bigint {
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
}

function toSignedBig(low: number, high: number): bigint {
  return BigInt.asIntN(64, toBig(low, high));
}

function fromBig(cpu: Cpu, value: bigint): number {
  cpu.high = Number((value >> 32n) & 0xffffffffn);
  return Number(value & 0xffffffffn);
}

function multiplyFlags(cpu: Cpu, overflow: boolean, low: number, size: number): void {
  const sign = size === 8 ? cpu.high >>> 31 : (low >>> (size * 8 - 1)) & 1;
  cpu.setEager((overflow ? CF | OF : 0) | (sign ? SF : 0) | (low === 0 ? ZF : 0) | PARITY[low & 0xff]!);
}

/** mul E (sub 4) / imul E (sub 5): one-operand forms into the accumulator */
export const multiplyAccumulator: Handler = (cpu, insn) => {
  const size = insn.size;
  const signed = insn.sub === 5;
  const b = cpu.readOperand(insn);
  const bHigh = cpu.high;
  if (size === 1) {
    const a = cpu.lo[0]! & 0xff;
    const product = signed ? signExtend(a, 1) * signExtend(b, 1) : a * b;
    const result = product & 0xffff;
    cpu.writeReg(0, 2, result);
    multiplyFlags(cpu, signed ? product !== signExtend(result & 0xff, 1) : result > 0xff, result & 0xff, 1);
  } else if (size === 2) {
    const a = cpu.lo[0]! & 0xffff;
    const product = signed ? signExtend(a, 2) * signExtend(b, 2) : a * b;
    cpu.writeReg(0, 2, product & 0xffff);
    cpu.writeReg(2, 2, (product >> 16) & 0xffff);
    multiplyFlags(cpu, signed ? product !== signExtend(product & 0xffff, 2) : product > 0xffff, product & 0xffff, 2);
  } else if (size === 4) {
    const a = cpu.lo[0]!;
    const low = multiply32(cpu, a, b);
    let high = cpu.high;
    if (signed) high = (high - (a & 0x80000000 ? b : 0) - (b & 0x80000000 ? a : 0)) >>> 0;
    cpu.writeReg(0, 4, low);
    cpu.writeReg(2, 4, high);
    const overflow = signed ? high !== (low & 0x80000000 ? 0xffffffff : 0) : high !== 0;
    multiplyFlags(cpu, overflow, low, 4);
  } else {
    const a = signed ? toSignedBig(cpu.lo[0]!, cpu.hi[0]!) : toBig(cpu.lo[0]!, cpu.hi[0]!);
    const product = a * (signed ? toSignedBig(b, bHigh) : toBig(b, bHigh));
    const low = fromBig(cpu, product);
    cpu.writeReg(0, 8, low, cpu.high);
    const highPart = (product >> 64n) & MASK64;
    cpu.writeReg(2, 8, Number(highPart & 0xffffffffn), Number(highPart >> 32n));
    const overflow = signed ? BigInt.asIntN(64, product & MASK64) !== product : highPart !== 0n;
    cpu.high = cpu.hi[0]!;
    multiplyFlags(cpu, overflow, low, 8);
  }
};

/** imul G, E (sub 0) and imul G, E, imm (sub 1) */
export const multiplySigned: Handler = (cpu, insn) => {
  const size = insn.size;
  const aLow = cpu.readOperand(insn);
  const aHigh = cpu.high;
  const bLow = insn.sub === 1 ? insn.imm : cpu.readReg(insn.reg, size);
  const bHigh = insn.sub === 1 ? insn.immHigh : cpu.hi[insn.reg]!;
  if (size === 2) {
    const product = signExtend(aLow, 2) * signExtend(bLow, 2);
    const result = product & 0xffff;
    cpu.writeReg(insn.reg, 2, result);
    multiplyFlags(cpu, product !== signExtend(result, 2), result, 2);
  } else if (size === 4) {
    const low = multiply32(cpu, aLow, bLow);
    const high = (cpu.high - (aLow & 0x80000000 ? bLow : 0) - (bLow & 0x80000000 ? aLow : 0)) >>> 0;
    cpu.writeReg(insn.reg, 4, low);
    multiplyFlags(cpu, high !== (low & 0x80000000 ? 0xffffffff : 0), low, 4);
  } else {
    const product = toSignedBig(aLow, aHigh) * toSignedBig(bLow, bHigh);
    const low = fromBig(cpu, product);
    const high = cpu.high;
    cpu.writeReg(insn.reg, 8, low, high);
    multiplyFlags(cpu, BigInt.asIntN(64, product) !== product, low, 8);
  }
};

/** div E (sub 6) / idiv E (sub 7); a zero divisor or a quotient that does not fit is a fault */
export const divide: Handler = (cpu, insn) => {
  const size = insn.size;
  const signed = insn.sub === 7;
  const divisorLow = cpu.readOperand(insn);
  const divisorHigh = cpu.high;
  const bits = BigInt(size * 8);
  let dividend: bigint;
  let divisor: bigint;
  if (size === 1) dividend = BigInt(cpu.lo[0]! & 0xffff);
  else if (size === 2) dividend = BigInt(((cpu.lo[2]! & 0xffff) * 65536 + (cpu.lo[0]! & 0xffff)) >>> 0);
  else if (size === 4) dividend = toBig(cpu.lo[0]!, cpu.lo[2]!);
  else dividend = (toBig(cpu.lo[2]!, cpu.hi[2]!) << 64n) | toBig(cpu.lo[0]!, cpu.hi[0]!);
  divisor = size === 8 ? toBig(divisorLow, divisorHigh) : BigInt(divisorLow);
  if (signed) {
    dividend = BigInt.asIntN(Number(bits) * 2, dividend);
    divisor = BigInt.asIntN(Number(bits), divisor);
  }
  if (divisor === 0n) cpu.raiseFault('divide_error');
  const quotient = dividend / divisor; // BigInt division truncates toward zero, as idiv does
  const remainder = dividend % divisor;
  const fits = signed ? BigInt.asIntN(Number(bits), quotient) === quotient : quotient >> bits === 0n;
  if (!fits) cpu.raiseFault('divide_error');
  const mask = (1n << bits) - 1n;
  const q = quotient & mask;
  const r = remainder & mask;
  if (size === 1) cpu.writeReg(0, 2, Number(q) | (Number(r) << 8));
  else if (size === 8) {
    cpu.writeReg(0, 8, Number(q & 0xffffffffn), Number(q >> 32n));
    cpu.writeReg(2, 8, Number(r & 0xffffffffn), Number(r >> 32n));
  } else {
    cpu.writeReg(0, size, Number(q));
    cpu.writeReg(2, size, Number(r));
  }
};

// ---- shifts and rotates -----------------------------------------------------------------

const ROL = 0;
const ROR = 1;
const RCL = 2;
const RCR = 3;
const SHL = 4;
const SHR = 5;
const SAL = 6;

function withCarryOverflow(cpu: Cpu, carry: number, overflow: number): void {
  cpu.setEager((cpu.arithmeticFlags() & ~(CF | OF)) | (carry ? CF : 0) | (overflow ? OF : 0));
}

function shiftResultFlags(cpu: Cpu, result: number, size: number, carry: number, overflow: number): void {
  const sign = (result >>> (size * 8 - 1)) & 1;
  cpu.setEager((carry ? CF : 0) | (overflow ? OF : 0) | (sign ? SF : 0) | (result === 0 ? ZF : 0) | PARITY[result & 0xff]!);
}

/** Shift/rotate of a 1/2/4-byte value by a count already masked to 5 bits; flags follow the SDM. */
export function shiftValue(cpu: Cpu, op: number, size: number, a: number, count: number): number {
  if (count === 0) return a;
  const bits = size * 8;
  const mask = SIZE_MASK[size]!;
  const top = bits - 1;
  switch (op) {
    case ROL: {
      const rotate = count % bits;
      const result = rotate === 0 ? a : (((a << rotate) | (a >>> (bits - rotate))) & mask) >>> 0;
      const carry = result & 1;
      withCarryOverflow(cpu, carry, ((result >>> top) & 1) ^ carry);
      return result;
    }
    case ROR: {
      const rotate = count % bits;
      const result = rotate === 0 ? a : (((a >>> rotate) | (a << (bits - rotate))) & mask) >>> 0;
      const carry = (result >>> top) & 1;
      withCarryOverflow(cpu, carry, carry ^ ((result >>> (top - 1)) & 1));
      return result;
    }
    case RCL: {
      const rotate = count % (bits + 1);
      if (rotate === 0) return a;
      let carry = cpu.getCF();
      let result = a;
      for (let k = 0; k < rotate; k++) {
        const out = (result >>> top) & 1;
        result = (((result << 1) | carry) & mask) >>> 0;
        carry = out;
      }
      withCarryOverflow(cpu, carry, ((result >>> top) & 1) ^ carry);
      return result;
    }
    case RCR: {
      const rotate = count % (bits + 1);
      if (rotate === 0) return a;
      let carry = cpu.getCF();
      const overflow = ((a >>> top) & 1) ^ carry;
      let result = a;
      for (let k = 0; k < rotate; k++) {
        const out = result & 1;
        result = ((result >>> 1) | (carry << top)) >>> 0;
        carry = out;
      }
      withCarryOverflow(cpu, carry, overflow);
      return result;
    }
    case SHL:
    case SAL: {
      const result = count >= bits ? 0 : ((a << count) & mask) >>> 0;
      const carry = count <= bits ? (a >>> (bits - count)) & 1 : 0;
      shiftResultFlags(cpu, result, size, carry, ((result >>> top) & 1) ^ carry);
      return result;
    }
    case SHR: {
      const result = count >= bits ? 0 : a >>> count;
      const carry = count <= bits ? (a >>> (count - 1)) & 1 : 0;
      shiftResultFlags(cpu, result, size, carry, (a >>> top) & 1);
      return result;
    }
    default: {
      const signed = signExtend(a, size);
      const shift = Math.min(count, 31);
      const result = ((signed >> shift) & mask) >>> 0;
      const carry = (signed >> Math.min(count - 1, 31)) & 1;
      shiftResultFlags(cpu, result, size, carry, 0);
      return result;
    }
  }
}

function shiftValue64(cpu: Cpu, op: number, low: number, high: number, count: number): number {
  cpu.high = high;
  if (count === 0) return low;
  const a = toBig(low, high);
  let result: bigint;
  let carry: number;
  let overflow: number;
  const msb = (value: bigint): number => Number((value >> 63n) & 1n);
  switch (op) {
    case ROL:
      result = ((a << BigInt(count)) | (a >> BigInt(64 - count))) & MASK64;
      carry = Number(result & 1n);
      withCarryOverflow(cpu, carry, msb(result) ^ carry);
      return fromBig(cpu, result);
    case ROR:
      result = ((a >> BigInt(count)) | (a << BigInt(64 - count))) & MASK64;
      carry = msb(result);
      withCarryOverflow(cpu, carry, carry ^ Number((result >> 62n) & 1n));
      return fromBig(cpu, result);
    case RCL:
    case RCR: {
      carry = cpu.getCF();
      overflow = msb(a) ^ carry;
      result = a;
      for (let k = 0; k < count; k++) {
        if (op === RCL) {
          const out = msb(result);
          result = ((result << 1n) | BigInt(carry)) & MASK64;
          carry = out;
        } else {
          const out = Number(result & 1n);
          result = (result >> 1n) | (BigInt(carry) << 63n);
          carry = out;
        }
      }
      withCarryOverflow(cpu, carry, op === RCL ? msb(result) ^ carry : overflow);
      return fromBig(cpu, result);
    }
    case SHL:
    case SAL:
      result = (a << BigInt(count)) & MASK64;
      carry = Number((a >> BigInt(64 - count)) & 1n);
      overflow = msb(result) ^ carry;
      break;
    case SHR:
      result = a >> BigInt(count);
      carry = Number((a >> BigInt(count - 1)) & 1n);
      overflow = msb(a);
      break;
    default: {
      const signed = BigInt.asIntN(64, a);
      result = (signed >> BigInt(count)) & MASK64;
      carry = Number((signed >> BigInt(count - 1)) & 1n);
      overflow = 0;
    }
  }
  const resultLow = fromBig(cpu, result);
  const resultHigh = cpu.high;
  cpu.setEager((carry ? CF : 0) | (overflow ? OF : 0) | resultFlags64(resultLow, resultHigh));
  return resultLow;
}

/** group 2: rol/ror/rcl/rcr/shl/shr/sal/sar E by 1, CL (imm = -1) or imm8 */
export const shiftGroup: Handler = (cpu, insn) => {
  const size = insn.size;
  const raw = insn.imm < 0 ? cpu.lo[1]! & 0xff : insn.imm;
  const count = raw & (size === 8 ? 0x3f : 0x1f);
  const op = insn.sub;
  if (insn.mem) {
    const address = cpu.effectiveAddress(insn);
    const low = cpu.readMemory(address, size);
    if (size === 8) {
      const result = shiftValue64(cpu, op, low, cpu.high, count);
      cpu.writeMemory(address, 8, result, cpu.high);
    } else cpu.writeMemory(address, size, shiftValue(cpu, op, size, low, count));
    return;
  }
  if (size === 8) {
    const result = shiftValue64(cpu, op, cpu.lo[insn.rm]!, cpu.hi[insn.rm]!, count);
    cpu.writeReg(insn.rm, 8, result, cpu.high);
    return;
  }
  const result = shiftValue(cpu, op, size, cpu.readReg(insn.rm, size), count);
  // a 32-bit shift by 0 still zero-extends the 64-bit register
  cpu.writeReg(insn.rm, size, result);
};

/** shld (sub 0) / shrd (sub 1) E, G, imm8 or CL (imm = -1) */
export const doubleShift: Handler = (cpu, insn) => {
  const size = insn.size;
  const raw = insn.imm < 0 ? cpu.lo[1]! & 0xff : insn.imm;
  const count = raw & (size === 8 ? 0x3f : 0x1f);
  const left = insn.sub === 0;
  const address = insn.mem ? cpu.effectiveAddress(insn) : 0;
  const aLow = insn.mem ? cpu.readMemory(address, size) : cpu.readReg(insn.rm, size);
  const aHigh = size === 8 ? (insn.mem ? cpu.high : cpu.hi[insn.rm]!) : 0;
  const bLow = cpu.readReg(insn.reg, size);
  const bHigh = size === 8 ? cpu.hi[insn.reg]! : 0;
  if (count === 0) {
    if (!insn.mem) cpu.writeReg(insn.rm, size, aLow, aHigh);
    return;
  }
  const bits = BigInt(size * 8);
  const width = Number(bits);
  const mask = (1n << bits) - 1n;
  const a = toBig(aLow, aHigh);
  const b = toBig(bLow, bHigh);
  const n = BigInt(count);
  let result: bigint;
  let carry: number;
  if (left) {
    // (16-bit counts above 16 are undefined; this shifts zeros in after b's bits)
    const combined = (a << bits) | b;
    result = ((combined << n) >> bits) & mask;
    carry = count <= width ? Number((combined >> (bits * 2n - n)) & 1n) : 0;
  } else {
    const combined = (b << bits) | a;
    result = (combined >> n) & mask;
    carry = Number((combined >> (n - 1n)) & 1n);
  }
  const top = bits - 1n;
  const overflow = Number(((result ^ a) >> top) & 1n);
  const low = Number(result & 0xffffffffn);
  const high = Number(result >> 32n);
  if (insn.mem) cpu.writeMemory(address, size, low, high);
  else cpu.writeReg(insn.rm, size, low, high);
  const sign = Number((result >> top) & 1n);
  cpu.setEager((carry ? CF : 0) | (overflow ? OF : 0) | (sign ? SF : 0) | (result === 0n ? ZF : 0) | PARITY[low & 0xff]!);
};

// ---- bit operations ---------------------------------------------------------------------

/** bt/bts/btr/btc (sub 0..3) E, G or E, imm8 (imm >= 0) */
export const bitTest: Handler = (cpu, insn) => {
  const size = insn.size;
  const bits = size * 8;
  let address = 0;
  let bit: number;
  if (insn.imm >= 0) {
    bit = insn.imm & (bits - 1);
    if (insn.mem) address = cpu.effectiveAddress(insn);
  } else {
    // the bit within the operand is exact from the low bits; only a memory operand needs the
    // signed offset (which moves the address)
    bit = cpu.lo[insn.reg]! & (bits - 1);
    if (insn.mem) {
      const offset = size === 8 ? (cpu.hi[insn.reg]! | 0) * TWO_32 + cpu.lo[insn.reg]! : signExtend(cpu.readReg(insn.reg, size), size);
      address = cpu.wrapAddress(cpu.effectiveAddress(insn) + Math.floor(offset / bits) * size);
    }
  }
  let low = insn.mem ? cpu.readMemory(address, size) : cpu.readReg(insn.rm, size);
  let high = size === 8 ? (insn.mem ? cpu.high : cpu.hi[insn.rm]!) : 0;
  const inHigh = bit >= 32;
  const shift = bit & 31;
  const word = inHigh ? high : low;
  const carry = (word >>> shift) & 1;
  cpu.setEager((cpu.arithmeticFlags() & ~CF) | carry);
  if (insn.sub === 0) return;
  let changed: number;
  if (insn.sub === 1) changed = (word | (1 << shift)) >>> 0;
  else if (insn.sub === 2) changed = (word & ~(1 << shift)) >>> 0;
  else changed = (word ^ (1 << shift)) >>> 0;
  if (inHigh) high = changed;
  else low = changed;
  if (insn.mem) cpu.writeMemory(address, size, low, high);
  else cpu.writeReg(insn.rm, size, low, high);
};

/** bsf (sub 0) / bsr (sub 1) G, E; a zero source sets ZF and leaves G unchanged */
export const bitScan: Handler = (cpu, insn) => {
  const size = insn.size;
  const low = cpu.readOperand(insn);
  const high = size === 8 ? cpu.high : 0;
  const flags = cpu.arithmeticFlags() & ~ZF;
  if (low === 0 && high === 0) {
    cpu.setEager(flags | ZF);
    // the destination keeps its value, but a 32-bit one is still zero-extended (as Unicorn does)
    if (size === 4) cpu.hi[insn.reg] = 0;
    return;
  }
  let index: number;
  if (insn.sub === 0) index = low !== 0 ? 31 - Math.clz32(low & -low) : 63 - Math.clz32(high & -high);
  else index = high !== 0 ? 63 - Math.clz32(high) : 31 - Math.clz32(low);
  cpu.setEager(flags);
  cpu.writeReg(insn.reg, size, index, 0);
};

/** bswap r32 / r64 */
export const byteSwap: Handler = (cpu, insn) => {
  const swap = (value: number): number =>
    (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
  if (insn.size === 8) {
    const low = cpu.lo[insn.rm]!;
    cpu.writeReg(insn.rm, 8, swap(cpu.hi[insn.rm]!), swap(low));
  } else cpu.writeReg(insn.rm, 4, swap(cpu.lo[insn.rm]!));
};

/** xadd E, G */
export const exchangeAdd: Handler = (cpu, insn) => {
  const size = insn.size;
  const address = insn.mem ? cpu.effectiveAddress(insn) : 0;
  const aLow = insn.mem ? cpu.readMemory(address, size) : cpu.readReg(insn.rm, size);
  const aHigh = size === 8 ? (insn.mem ? cpu.high : cpu.hi[insn.rm]!) : 0;
  const bLow = cpu.readReg(insn.reg, size);
  const bHigh = size === 8 ? cpu.hi[insn.reg]! : 0;
  let result: number;
  let resultHigh = 0;
  if (size === 8) {
    result = alu64(cpu, ALU_ADD, aLow, aHigh, bLow, bHigh);
    resultHigh = cpu.high;
  } else result = alu(cpu, ALU_ADD, size, aLow, bLow);
  cpu.writeReg(insn.reg, size, aLow, aHigh);
  if (insn.mem) cpu.writeMemory(address, size, result, resultHigh);
  else cpu.writeReg(insn.rm, size, result, resultHigh);
};

/** cmpxchg E, G */
export const compareExchange: Handler = (cpu, insn) => {
  const size = insn.size;
  const address = insn.mem ? cpu.effectiveAddress(insn) : 0;
  const dLow = insn.mem ? cpu.readMemory(address, size) : cpu.readReg(insn.rm, size);
  const dHigh = size === 8 ? (insn.mem ? cpu.high : cpu.hi[insn.rm]!) : 0;
  const accLow = cpu.readReg(0, size);
  const accHigh = size === 8 ? cpu.hi[0]! : 0;
  if (size === 8) alu64(cpu, ALU_CMP, accLow, accHigh, dLow, dHigh);
  else alu(cpu, ALU_CMP, size, accLow, dLow);
  if (cpu.getZF()) {
    const sLow = cpu.readReg(insn.reg, size);
    const sHigh = size === 8 ? cpu.hi[insn.reg]! : 0;
    if (insn.mem) cpu.writeMemory(address, size, sLow, sHigh);
    else cpu.writeReg(insn.rm, size, sLow, sHigh);
  } else {
    // the destination is written back either way (which zero-extends a 32-bit register)
    if (insn.mem) cpu.writeMemory(address, size, dLow, dHigh);
    else cpu.writeReg(insn.rm, size, dLow, dHigh);
    cpu.writeReg(0, size, dLow, dHigh);
  }
};


// ---- BCD adjustments (alphanumeric and polymorphic encoders use them) --------------------

function byteResultFlags(value: number): number {
  return (value === 0 ? ZF : 0) | (value & 0x80 ? SF : 0) | PARITY[value]!;
}

/** daa (sub 0) / das (sub 1) */
export const decimalAdjust: Handler = (cpu, insn) => {
  const oldAl = cpu.lo[0]! & 0xff;
  const oldCarry = cpu.getCF();
  const flags = cpu.arithmeticFlags();
  const subtract = insn.sub === 1;
  let al = oldAl;
  let carry = 0;
  let auxiliary = 0;
  if ((al & 0xf) > 9 || flags & AF) {
    const adjusted = subtract ? al - 6 : al + 6;
    carry = oldCarry | (adjusted < 0 || adjusted > 0xff ? 1 : 0);
    al = adjusted & 0xff;
    auxiliary = AF;
  }
  if (oldAl > 0x99 || oldCarry) {
    al = (subtract ? al - 0x60 : al + 0x60) & 0xff;
    carry = 1;
  }
  cpu.writeReg(0, 1, al);
  cpu.setEager((flags & OF) | carry | auxiliary | byteResultFlags(al));
};

/** aaa (sub 0) / aas (sub 1) */
export const asciiAdjust: Handler = (cpu, insn) => {
  const flags = cpu.arithmeticFlags();
  let al = cpu.lo[0]! & 0xff;
  let ah = (cpu.lo[0]! >>> 8) & 0xff;
  if ((al & 0xf) > 9 || flags & AF) {
    if (insn.sub === 0) {
      ah = (ah + 1 + (al > 0xf9 ? 1 : 0)) & 0xff;
      al = (al + 6) & 0xf;
    } else {
      ah = (ah - 1 - (al < 6 ? 1 : 0)) & 0xff;
      al = (al - 6) & 0xf;
    }
    cpu.setEager(flags | CF | AF);
  } else {
    al &= 0xf;
    cpu.setEager(flags & ~(CF | AF));
  }
  cpu.writeReg(0, 2, (ah << 8) | al);
};

/** aam imm8 (sub 0) / aad imm8 (sub 1) */
export const asciiAdjustMultiply: Handler = (cpu, insn) => {
  const al = cpu.lo[0]! & 0xff;
  const ah = (cpu.lo[0]! >>> 8) & 0xff;
  let result: number;
  if (insn.sub === 0) {
    if (insn.imm === 0) cpu.raiseFault('divide_error');
    result = al % insn.imm;
    cpu.writeReg(0, 2, (Math.floor(al / insn.imm) << 8) | result);
  } else {
    result = (al + ah * insn.imm) & 0xff;
    cpu.writeReg(0, 2, result);
  }
  cpu.setEager(byteResultFlags(result));
};

/** salc (undocumented): al = CF ? 0xff : 0 */
export const setAlFromCarry: Handler = (cpu) => {
  cpu.writeReg(0, 1, cpu.getCF() ? 0xff : 0);
};

// ---- specialised forms for the instructions decoder loops are made of ------------------
// (chosen by the decoder; each skips the size and operand-kind branches of the generic handler)

/** op byte [mem], r8 */
export const aluMemoryByteRegister: Handler = (cpu, insn) => {
  const address = cpu.effectiveAddress(insn);
  const result = alu(cpu, insn.sub, 1, cpu.memory.read8(address), cpu.readReg(insn.reg, 1));
  if (insn.sub !== ALU_CMP) cpu.memory.write8(address, result);
};

/** op byte [mem], imm8 */
export const aluMemoryByteImmediate: Handler = (cpu, insn) => {
  const address = cpu.effectiveAddress(insn);
  const result = alu(cpu, insn.sub, 1, cpu.memory.read8(address), insn.imm);
  if (insn.sub !== ALU_CMP) cpu.memory.write8(address, result);
};

/** op dword [mem], r32 */
export const aluMemoryDwordRegister: Handler = (cpu, insn) => {
  const address = cpu.effectiveAddress(insn);
  const result = alu(cpu, insn.sub, 4, cpu.memory.read32(address), cpu.lo[insn.reg]!);
  if (insn.sub !== ALU_CMP) cpu.memory.write32(address, result);
};

/** op dword [mem], imm32 */
export const aluMemoryDwordImmediate: Handler = (cpu, insn) => {
  const address = cpu.effectiveAddress(insn);
  const result = alu(cpu, insn.sub, 4, cpu.memory.read32(address), insn.imm);
  if (insn.sub !== ALU_CMP) cpu.memory.write32(address, result);
};

/** op r32, imm32 */
export const aluRegisterDwordImmediate: Handler = (cpu, insn) => {
  const result = alu(cpu, insn.sub, 4, cpu.lo[insn.rm]!, insn.imm);
  if (insn.sub !== ALU_CMP) {
    cpu.lo[insn.rm] = result;
    cpu.hi[insn.rm] = 0;
  }
};

/** op r32, r32 (E, G form) */
export const aluRegisterDwordRegister: Handler = (cpu, insn) => {
  const result = alu(cpu, insn.sub, 4, cpu.lo[insn.rm]!, cpu.lo[insn.reg]!);
  if (insn.sub !== ALU_CMP) {
    cpu.lo[insn.rm] = result;
    cpu.hi[insn.rm] = 0;
  }
};

/** Picks a specialised ALU handler for the common operand shapes, or keeps the generic one. */
export function specialiseAlu(insn: Instruction, generic: Handler): Handler {
  if (generic === aluEG) {
    if (insn.mem && insn.size === 1) return aluMemoryByteRegister;
    if (insn.mem && insn.size === 4) return aluMemoryDwordRegister;
    if (!insn.mem && insn.size === 4) return aluRegisterDwordRegister;
  } else if (generic === aluEI) {
    if (insn.mem && insn.size === 1) return aluMemoryByteImmediate;
    if (insn.mem && insn.size === 4) return aluMemoryDwordImmediate;
    if (!insn.mem && insn.size === 4) return aluRegisterDwordImmediate;
  }
  return generic;
}
