/**
 * The x87 subset shellcode uses: constants, loads and stores, the register-stack moves and simple
 * arithmetic that encoders sprinkle in front of a GetPC, and the environment stores (fnstenv,
 * fnsave, fxsave) whose instruction-pointer field hands the code its own address.
 *
 * Values are doubles, not 80-bit extended; stores of the 80-bit format (fsave, fxsave, fstp m80)
 * convert. The FPU instruction pointer is the address of the last non-control x87 instruction.
 */
import type { Cpu } from './cpu.ts';
import type { Handler, Instruction } from './instruction.ts';

const TAG_VALID = 0;
const TAG_ZERO = 1;
const TAG_SPECIAL = 2;
const TAG_EMPTY = 3;

const C0 = 0x100;
const C1 = 0x200;
const C2 = 0x400;
const C3 = 0x4000;

const CONSTANTS = [1, Math.log2(10), Math.LOG2E, Math.PI, Math.log10(2), Math.LN2, 0];

const scratch = new DataView(new ArrayBuffer(16));

export class FpuState {
  /** physical registers R0..R7 */
  readonly registers = new Float64Array(8);
  readonly tags = new Uint8Array(8).fill(TAG_EMPTY);
  top = 0;
  control = 0x037f;
  /** status word without TOP (bits 11-13 are filled in on store) */
  status = 0;
  /** last non-control instruction: address, opcode (11 bits), memory operand address */
  instructionPointer = 0;
  opcode = 0;
  dataPointer = 0;

  reset(): void {
    this.tags.fill(TAG_EMPTY);
    this.top = 0;
    this.control = 0x037f;
    this.status = 0;
    this.instructionPointer = 0;
    this.opcode = 0;
    this.dataPointer = 0;
  }

  st(index: number): number {
    return this.registers[(this.top + index) & 7]!;
  }

  /** Writes ST(i); like Unicorn, only push/pop/ffree/fninit change whether a register is empty. */
  setSt(index: number, value: number): void {
    this.registers[(this.top + index) & 7] = value;
  }

  push(value: number): void {
    this.top = (this.top - 1) & 7;
    if (this.tags[this.top] !== TAG_EMPTY) this.status |= 0x41 | C1; // stack overflow (IE|SF), masked
    this.registers[this.top] = value;
    this.tags[this.top] = TAG_VALID;
  }

  pop(): void {
    this.tags[this.top] = TAG_EMPTY;
    this.top = (this.top + 1) & 7;
  }

  statusWord(): number {
    return ((this.status & ~0x3800) | (this.top << 11)) & 0xffff;
  }

  /** the full tag word, the kind of each non-empty register derived from its value */
  tagWord(): number {
    let word = 0;
    for (let k = 0; k < 8; k++) word |= (this.tags[k] === TAG_EMPTY ? TAG_EMPTY : tagFor(this.registers[k]!)) << (2 * k);
    return word;
  }

  /** fxsave's abridged tag byte: bit k set when R_k is not empty */
  abridgedTags(): number {
    let byte = 0;
    for (let k = 0; k < 8; k++) if (this.tags[k] !== TAG_EMPTY) byte |= 1 << k;
    return byte;
  }
}

function tagFor(value: number): number {
  if (value === 0) return TAG_ZERO;
  return Number.isFinite(value) ? TAG_VALID : TAG_SPECIAL;
}

/** Writes a double as 80-bit extended precision (10 bytes). */
export function writeExtended(cpu: Cpu, address: number, value: number): void {
  scratch.setFloat64(0, value, true);
  const high = scratch.getUint32(4, true);
  const low = scratch.getUint32(0, true);
  const sign = high >>> 31;
  const exponent = (high >>> 20) & 0x7ff;
  const fractionHigh = high & 0xfffff;
  let exponent80: number;
  let mantissaHigh: number;
  let mantissaLow: number;
  if (exponent === 0 && fractionHigh === 0 && low === 0) {
    exponent80 = 0;
    mantissaHigh = 0;
    mantissaLow = 0;
  } else if (exponent === 0x7ff) {
    exponent80 = 0x7fff;
    mantissaHigh = fractionHigh === 0 && low === 0 ? 0x80000000 : 0xc0000000 | (fractionHigh << 11) | (low >>> 21);
    mantissaLow = fractionHigh === 0 && low === 0 ? 0 : (low << 11) >>> 0;
  } else {
    // denormal doubles are normal in 80-bit: shift the fraction up until the integer bit is set
    let e = exponent === 0 ? 1 : exponent;
    let mHigh = (exponent === 0 ? 0 : 0x80000000) | (fractionHigh << 11) | (low >>> 21);
    let mLow = (low << 11) >>> 0;
    while ((mHigh & 0x80000000) === 0) {
      mHigh = ((mHigh << 1) | (mLow >>> 31)) >>> 0;
      mLow = (mLow << 1) >>> 0;
      e--;
    }
    exponent80 = e - 1023 + 16383;
    mantissaHigh = mHigh >>> 0;
    mantissaLow = mLow;
  }
  cpu.writeMemory(address, 4, mantissaLow);
  cpu.writeMemory(address + 4, 4, mantissaHigh >>> 0);
  cpu.writeMemory(address + 8, 2, (sign << 15) | exponent80);
}

export function readExtended(cpu: Cpu, address: number): number {
  const mantissaLow = cpu.readMemory(address, 4);
  const mantissaHigh = cpu.readMemory(address + 4, 4);
  const signExponent = cpu.readMemory(address + 8, 2);
  const sign = signExponent & 0x8000 ? -1 : 1;
  const exponent = signExponent & 0x7fff;
  if (exponent === 0x7fff) return (mantissaHigh & 0x7fffffff) === 0 && mantissaLow === 0 ? sign * Infinity : NaN;
  const mantissa = mantissaHigh * 4294967296 + mantissaLow;
  return sign * mantissa * 2 ** (exponent - 16383 - 63);
}

function readFloat(cpu: Cpu, address: number, size: number): number {
  if (size === 4) {
    scratch.setUint32(0, cpu.readMemory(address, 4), true);
    return scratch.getFloat32(0, true);
  }
  scratch.setUint32(0, cpu.readMemory(address, 4), true);
  scratch.setUint32(4, cpu.readMemory(address + 4, 4), true);
  return scratch.getFloat64(0, true);
}

function writeFloat(cpu: Cpu, address: number, size: number, value: number): void {
  if (size === 4) {
    scratch.setFloat32(0, value, true);
    cpu.writeMemory(address, 4, scratch.getUint32(0, true));
    return;
  }
  scratch.setFloat64(0, value, true);
  cpu.writeMemory(address, 8, scratch.getUint32(0, true), scratch.getUint32(4, true));
}

function readInteger(cpu: Cpu, address: number, size: number): number {
  const low = cpu.readMemory(address, size);
  if (size === 2) return (low << 16) >> 16;
  if (size === 4) return low | 0;
  return (cpu.high | 0) * 4294967296 + low;
}

function writeInteger(cpu: Cpu, address: number, size: number, value: number): void {
  const limit = 2 ** (size * 8 - 1);
  let rounded = roundByControl(cpu.fpu.control, value);
  if (!Number.isFinite(rounded) || rounded >= limit || rounded < -limit) rounded = -limit; // integer indefinite
  if (size === 8) {
    const unsigned = rounded < 0 ? rounded + 2 ** 64 : rounded;
    cpu.writeMemory(address, 8, unsigned % 4294967296 >>> 0, Math.floor(unsigned / 4294967296) >>> 0);
  } else cpu.writeMemory(address, size, rounded >>> 0);
}

function roundByControl(control: number, value: number): number {
  switch ((control >> 10) & 3) {
    case 0: {
      const floor = Math.floor(value);
      const fraction = value - floor;
      if (fraction > 0.5) return floor + 1;
      if (fraction < 0.5) return floor;
      return floor % 2 === 0 ? floor : floor + 1;
    }
    case 1:
      return Math.floor(value);
    case 2:
      return Math.ceil(value);
    default:
      return Math.trunc(value);
  }
}

/** fnstenv's 28-byte protected-mode layout (the 32-bit one, also used in 64-bit mode without REX.W) */
function storeEnvironment(cpu: Cpu, address: number): void {
  const fpu = cpu.fpu;
  cpu.writeMemory(address, 4, fpu.control);
  cpu.writeMemory(address + 4, 4, fpu.statusWord());
  cpu.writeMemory(address + 8, 4, fpu.tagWord());
  cpu.writeMemory(address + 12, 4, fpu.instructionPointer >>> 0);
  cpu.writeMemory(address + 16, 4, 0); // FPU CS and opcode: stored as 0, as Unicorn does
  cpu.writeMemory(address + 20, 4, fpu.dataPointer >>> 0);
  cpu.writeMemory(address + 24, 4, 0);
}

function loadEnvironment(cpu: Cpu, address: number): void {
  const fpu = cpu.fpu;
  fpu.control = cpu.readMemory(address, 2);
  const status = cpu.readMemory(address + 4, 2);
  fpu.status = status & ~0x3800;
  fpu.top = (status >> 11) & 7;
  const tags = cpu.readMemory(address + 8, 2);
  for (let k = 0; k < 8; k++) fpu.tags[k] = ((tags >> (2 * k)) & 3) === TAG_EMPTY ? TAG_EMPTY : TAG_VALID;
  fpu.instructionPointer = cpu.readMemory(address + 12, 4);
  fpu.opcode = (cpu.readMemory(address + 16, 4) >>> 16) & 0x7ff;
  fpu.dataPointer = cpu.readMemory(address + 20, 4);
}

export function fxsave(cpu: Cpu, address: number, wide: boolean): void {
  const fpu = cpu.fpu;
  cpu.writeMemory(address, 2, fpu.control);
  cpu.writeMemory(address + 2, 2, fpu.statusWord());
  cpu.writeMemory(address + 4, 1, fpu.abridgedTags());
  cpu.writeMemory(address + 5, 1, 0);
  cpu.writeMemory(address + 6, 2, fpu.opcode);
  const ip = fpu.instructionPointer;
  cpu.writeMemory(address + 8, 4, ip >>> 0);
  cpu.writeMemory(address + 12, 4, wide ? Math.floor(ip / 4294967296) >>> 0 : 0);
  const dp = fpu.dataPointer;
  cpu.writeMemory(address + 16, 4, dp >>> 0);
  cpu.writeMemory(address + 20, 4, wide ? Math.floor(dp / 4294967296) >>> 0 : 0);
  cpu.writeMemory(address + 24, 4, cpu.mxcsr);
  cpu.writeMemory(address + 28, 4, 0xffff);
  for (let k = 0; k < 8; k++) {
    const slot = address + 32 + k * 16;
    writeExtended(cpu, slot, fpu.st(k));
    cpu.writeMemory(slot + 10, 2, 0);
    cpu.writeMemory(slot + 12, 4, 0);
  }
  const registers = cpu.mode === 64 ? 16 : 8;
  for (let k = 0; k < registers * 4; k++) cpu.writeMemory(address + 160 + k * 4, 4, cpu.xmm[k]!);
}

function compareFlags(fpu: FpuState, a: number, b: number): void {
  let bits = 0;
  if (Number.isNaN(a) || Number.isNaN(b)) bits = C0 | C2 | C3;
  else if (a < b) bits = C0;
  else if (a === b) bits = C3;
  fpu.status = (fpu.status & ~(C0 | C1 | C2 | C3)) | bits;
}

function arithmetic(op: number, a: number, b: number): number {
  switch (op) {
    case 0:
      return a + b;
    case 1:
      return a * b;
    case 4:
      return a - b;
    case 5:
      return b - a;
    case 6:
      return a / b;
    default:
      return b / a;
  }
}

/** FCMOVcc condition from the low bits of the opcode byte (DA: b e be u, DB: nb ne nbe nu) */
function fcmovCondition(cpu: Cpu, group: number, reg: number): boolean {
  let value: boolean;
  switch (reg & 3) {
    case 0:
      value = cpu.getCF() !== 0;
      break;
    case 1:
      value = cpu.getZF();
      break;
    case 2:
      value = cpu.getCF() !== 0 || cpu.getZF();
      break;
    default:
      value = cpu.getPF();
  }
  return group === 2 ? value : !value;
}

function memoryForm(cpu: Cpu, insn: Instruction, group: number, reg: number): boolean {
  const fpu = cpu.fpu;
  const address = cpu.effectiveAddress(insn);
  // control instructions leave the FPU instruction and data pointers alone
  if (group === 1 && reg >= 4) {
    if (reg === 4) loadEnvironment(cpu, address);
    else if (reg === 5) fpu.control = cpu.readMemory(address, 2);
    else if (reg === 6) {
      storeEnvironment(cpu, address);
      fpu.control |= 0x3f;
    } else cpu.writeMemory(address, 2, fpu.control);
    return true;
  }
  if (group === 5 && reg >= 4) {
    if (reg === 6) {
      storeEnvironment(cpu, address);
      for (let k = 0; k < 8; k++) writeExtended(cpu, address + 28 + k * 10, fpu.st(k));
      fpu.reset();
    } else if (reg === 7) cpu.writeMemory(address, 2, fpu.statusWord());
    else if (reg === 4) {
      loadEnvironment(cpu, address);
      for (let k = 0; k < 8; k++) fpu.registers[(fpu.top + k) & 7] = readExtended(cpu, address + 28 + k * 10);
    } else return false;
    return true;
  }
  switch (group) {
    case 0: // D8: arithmetic with m32
    case 4: // DC: arithmetic with m64
    case 2: // DA: arithmetic with m32int
    case 6: {
      // DE: arithmetic with m16int
      const value = group === 0 ? readFloat(cpu, address, 4) : group === 4 ? readFloat(cpu, address, 8) : readInteger(cpu, address, group === 2 ? 4 : 2);
      if (reg === 2 || reg === 3) {
        compareFlags(fpu, fpu.st(0), value);
        if (reg === 3) fpu.pop();
      } else fpu.setSt(0, arithmetic(reg, fpu.st(0), value));
      break;
    }
    case 1: // D9: fld m32 / fst m32 / fstp m32
      if (reg === 0) fpu.push(readFloat(cpu, address, 4));
      else if (reg === 2 || reg === 3) {
        writeFloat(cpu, address, 4, fpu.st(0));
        if (reg === 3) fpu.pop();
      } else return false;
      break;
    case 3: // DB: fild m32 / fisttp / fist / fistp m32 / fld m80 / fstp m80
      if (reg === 0) fpu.push(readInteger(cpu, address, 4));
      else if (reg === 1) {
        writeInteger(cpu, address, 4, Math.trunc(fpu.st(0)));
        fpu.pop();
      } else if (reg === 2 || reg === 3) {
        writeInteger(cpu, address, 4, fpu.st(0));
        if (reg === 3) fpu.pop();
      } else if (reg === 5) fpu.push(readExtended(cpu, address));
      else if (reg === 7) {
        writeExtended(cpu, address, fpu.st(0));
        fpu.pop();
      } else return false;
      break;
    case 5: // DD: fld m64 / fisttp m64 / fst m64 / fstp m64
      if (reg === 0) fpu.push(readFloat(cpu, address, 8));
      else if (reg === 1) {
        writeInteger(cpu, address, 8, Math.trunc(fpu.st(0)));
        fpu.pop();
      } else if (reg === 2 || reg === 3) {
        writeFloat(cpu, address, 8, fpu.st(0));
        if (reg === 3) fpu.pop();
      } else return false;
      break;
    default: // DF: fild m16 / fist(p) m16 / fild m64 / fistp m64
      if (reg === 0) fpu.push(readInteger(cpu, address, 2));
      else if (reg === 2 || reg === 3) {
        writeInteger(cpu, address, 2, fpu.st(0));
        if (reg === 3) fpu.pop();
      } else if (reg === 5) fpu.push(readInteger(cpu, address, 8));
      else if (reg === 7) {
        writeInteger(cpu, address, 8, fpu.st(0));
        fpu.pop();
      } else return false;
  }
  fpu.dataPointer = address;
  return true;
}

function registerForm(cpu: Cpu, group: number, modrm: number): boolean {
  const fpu = cpu.fpu;
  const reg = (modrm >> 3) & 7;
  const index = modrm & 7;
  switch (group) {
    case 0: // D8: op st0, st(i)
      if (reg === 2 || reg === 3) {
        compareFlags(fpu, fpu.st(0), fpu.st(index));
        if (reg === 3) fpu.pop();
      } else fpu.setSt(0, arithmetic(reg, fpu.st(0), fpu.st(index)));
      return true;
    case 1: // D9
      if (reg === 0) fpu.push(fpu.st(index));
      else if (reg === 1) {
        const a = fpu.st(0);
        fpu.setSt(0, fpu.st(index));
        fpu.setSt(index, a);
      } else if (modrm === 0xd0) {
        /* fnop */
      } else if (modrm === 0xe0) fpu.setSt(0, -fpu.st(0));
      else if (modrm === 0xe1) fpu.setSt(0, Math.abs(fpu.st(0)));
      else if (modrm === 0xe4) compareFlags(fpu, fpu.st(0), 0);
      else if (modrm === 0xe5) examine(fpu);
      else if (modrm >= 0xe8 && modrm <= 0xee) fpu.push(CONSTANTS[modrm - 0xe8]!);
      else if (modrm === 0xf6) fpu.top = (fpu.top - 1) & 7;
      else if (modrm === 0xf7) fpu.top = (fpu.top + 1) & 7;
      else if (modrm === 0xfa) fpu.setSt(0, Math.sqrt(fpu.st(0)));
      else if (modrm === 0xfe) fpu.setSt(0, Math.sin(fpu.st(0)));
      else if (modrm === 0xff) fpu.setSt(0, Math.cos(fpu.st(0)));
      else if (modrm === 0xfc) fpu.setSt(0, roundByControl(fpu.control, fpu.st(0)));
      else return false;
      return true;
    case 2: // DA: fcmovb/e/be/u
    case 3: // DB: fcmovnb/ne/nbe/nu, fnclex, fninit, fucomi, fcomi
      if (group === 3 && modrm === 0xe2) fpu.status &= 0x7f00;
      else if (group === 3 && modrm === 0xe3) fpu.reset();
      else if (reg < 4) {
        if (fcmovCondition(cpu, group, reg)) fpu.setSt(0, fpu.st(index));
      } else if (group === 3 && (reg === 5 || reg === 6)) comparisonToEflags(cpu, fpu.st(0), fpu.st(index));
      else if (group === 2 && modrm === 0xe9) {
        compareFlags(fpu, fpu.st(0), fpu.st(1));
        fpu.pop();
        fpu.pop();
      } else return false;
      return true;
    case 4: // DC: op st(i), st0
      if (reg === 2 || reg === 3) return false;
      fpu.setSt(index, arithmetic(reg, fpu.st(index), fpu.st(0)));
      return true;
    case 5: // DD: ffree, fst st(i), fstp st(i), fucom(p)
      if (reg === 0) fpu.tags[(fpu.top + index) & 7] = TAG_EMPTY;
      else if (reg === 2 || reg === 3) {
        fpu.setSt(index, fpu.st(0));
        if (reg === 3) fpu.pop();
      } else if (reg === 4 || reg === 5) {
        compareFlags(fpu, fpu.st(0), fpu.st(index));
        if (reg === 5) fpu.pop();
      } else return false;
      return true;
    case 6: // DE: op st(i), st0 and pop
      if (reg === 3 && index === 1) {
        compareFlags(fpu, fpu.st(0), fpu.st(1));
        fpu.pop();
        fpu.pop();
        return true;
      }
      if (reg === 2 || reg === 3) return false;
      fpu.setSt(index, arithmetic(reg, fpu.st(index), fpu.st(0)));
      fpu.pop();
      return true;
    default: // DF: fnstsw ax, fucomip, fcomip
      if (modrm === 0xe0) cpu.writeReg(0, 2, fpu.statusWord());
      else if (reg === 5 || reg === 6) {
        comparisonToEflags(cpu, fpu.st(0), fpu.st(index));
        fpu.pop();
      } else return false;
      return true;
  }
}

function examine(fpu: FpuState): void {
  const value = fpu.st(0);
  let bits: number;
  if (fpu.tags[fpu.top] === TAG_EMPTY) bits = C3 | C0;
  else if (Number.isNaN(value)) bits = C0;
  else if (!Number.isFinite(value)) bits = C2 | C0;
  else if (value === 0) bits = C3;
  else bits = C2;
  if (value < 0 || Object.is(value, -0)) bits |= C1;
  fpu.status = (fpu.status & ~(C0 | C1 | C2 | C3)) | bits;
}

function comparisonToEflags(cpu: Cpu, a: number, b: number): void {
  let bits = 0;
  if (Number.isNaN(a) || Number.isNaN(b)) bits = 0x45;
  else if (a < b) bits = 0x1;
  else if (a === b) bits = 0x40;
  cpu.setEager(bits);
}

/** Every D8..DF instruction; `fpuOpcode` holds (opcode & 7) << 8 | modrm. */
export const x87: Handler = (cpu, insn) => {
  const opcode = insn.fpuOpcode;
  const group = opcode >> 8;
  const modrm = opcode & 0xff;
  const fpu = cpu.fpu;
  let known: boolean;
  let control = false;
  if (insn.mem) {
    const reg = (modrm >> 3) & 7;
    control = (group === 1 && reg >= 4) || (group === 5 && reg >= 4);
    known = memoryForm(cpu, insn, group, reg);
  } else {
    control = (group === 3 && (modrm === 0xe2 || modrm === 0xe3)) || (group === 7 && modrm === 0xe0);
    known = registerForm(cpu, group, modrm);
  }
  if (!known) {
    cpu.ip = insn.address;
    cpu.raiseStop('invalid_opcode');
  }
  if (!control) {
    fpu.instructionPointer = insn.address;
    fpu.opcode = opcode & 0x7ff;
  }
};

/** fxsave / fxsave64 (0F AE /0); sub 1 = fxrstor is not supported and is invalid */
export const fxsaveHandler: Handler = (cpu, insn) => {
  const address = cpu.effectiveAddress(insn);
  if (address % 16 !== 0) cpu.raiseFault('general_protection');
  fxsave(cpu, address, insn.size === 8);
};

/** fwait: no unmasked exceptions are ever pending here */
export const fwait: Handler = () => {};
