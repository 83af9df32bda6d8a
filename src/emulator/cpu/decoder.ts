/**
 * x86 / x86-64 instruction decoder: prefixes, REX, ModRM/SIB/displacement, RIP-relative operands and
 * immediates, into an {@link Instruction} with its handler chosen. Anything not supported becomes an
 * instruction whose handler ends the run with `invalid_opcode`.
 */
import * as arithmetic from './arithmetic.ts';
import * as control from './control.ts';
import { Instruction, type Handler } from './instruction.ts';
import { type Memory, MemoryFault, PERM_EXEC } from './memory.ts';
import * as sse from './sse.ts';
import { stringOperation } from './string.ts';
import * as transfer from './transfer.ts';
import type { CpuMode } from './types.ts';
import { fwait, fxsaveHandler, x87 } from './x87.ts';

const MAX_LENGTH = 15;
const TWO_32 = 4294967296;
const TWO_64 = 18446744073709551616;
const MIN_CANONICAL = -(2 ** 47);

// decoder state: one decode at a time, no allocation besides the Instruction itself
const bytes = new Uint8Array(MAX_LENGTH);
let available = 0;
let position = 0;
let start = 0;
let mode: CpuMode = 32;
let rex = 0;

class Invalid {}
const INVALID = new Invalid();

function fill(memory: Memory, address: number): void {
  available = 0;
  for (let k = 0; k < MAX_LENGTH; k++) {
    const at = address + k;
    if (at >= TWO_64) break;
    const page = memory.pages.get(Math.floor(at / 4096));
    if (!page || (page.perm & PERM_EXEC) === 0) break;
    bytes[k] = page.data[at & 0xfff]!;
    available = k + 1;
  }
}

function nextByte(): number {
  if (position >= available) {
    if (position >= MAX_LENGTH) throw INVALID;
    throw new MemoryFault(start + position, 'unmapped_fetch');
  }
  return bytes[position++]!;
}

function signedByte(): number {
  return (nextByte() << 24) >> 24;
}

function word(): number {
  return nextByte() | (nextByte() << 8);
}

function dword(): number {
  return (nextByte() | (nextByte() << 8) | (nextByte() << 16) | (nextByte() << 24)) >>> 0;
}

function signedDword(): number {
  return dword() | 0;
}

/** Stores a signed immediate, extended to the operand size. */
function setImmediate(insn: Instruction, value: number): void {
  const size = insn.size;
  if (size === 1) insn.imm = value & 0xff;
  else if (size === 2) insn.imm = value & 0xffff;
  else insn.imm = value >>> 0;
  insn.immHigh = size === 8 && value < 0 ? 0xffffffff : 0;
}

/** imm8 sign-extended (the 83/6B/6A forms) */
function immediateByte(insn: Instruction): void {
  setImmediate(insn, signedByte());
}

/** imm of the operand size (imm32 sign-extended for 64-bit operands) */
function immediateSized(insn: Instruction): void {
  if (insn.size === 1) setImmediate(insn, signedByte());
  else if (insn.size === 2) setImmediate(insn, word());
  else setImmediate(insn, signedDword());
}

let ripRelative = false;

function modrm(insn: Instruction): number {
  const byte = nextByte();
  const mod = byte >> 6;
  insn.reg = ((byte >> 3) & 7) | ((rex & 4) << 1);
  const rm = byte & 7;
  if (mod === 3) {
    insn.mem = false;
    insn.rm = rm | ((rex & 1) << 3);
    return byte;
  }
  insn.mem = true;
  if (insn.addressSize === 2) throw INVALID; // 16-bit addressing is not supported
  if (rm === 4) {
    const sib = nextByte();
    insn.scale = 1 << (sib >> 6);
    const index = ((sib >> 3) & 7) | ((rex & 2) << 2);
    insn.index = index === 4 ? -1 : index;
    const base = sib & 7;
    if (base === 5 && mod === 0) {
      insn.base = -1;
      insn.disp = signedDword();
    } else insn.base = base | ((rex & 1) << 3);
  } else if (rm === 5 && mod === 0) {
    insn.base = -1;
    insn.disp = signedDword();
    if (mode === 64) ripRelative = true;
    else insn.disp >>>= 0;
  } else insn.base = rm | ((rex & 1) << 3);
  if (mod === 1) insn.disp = signedByte();
  else if (mod === 2) insn.disp = signedDword();
  return byte;
}

/** Byte registers: without REX, 4..7 are AH, CH, DH, BH (encoded 16..19). */
function byteRegisters(insn: Instruction, regIsByte: boolean, rmIsByte: boolean): void {
  if (rex !== 0) return;
  if (regIsByte && insn.reg >= 4 && insn.reg < 8) insn.reg += 12;
  if (rmIsByte && !insn.mem && insn.rm >= 4 && insn.rm < 8) insn.rm += 12;
}

function byteRegister(index: number): number {
  return rex === 0 && index >= 4 && index < 8 ? index + 12 : index;
}

function relativeTarget(insn: Instruction, displacement: number): void {
  insn.target = displacement; // made absolute in finish()
}

/** Wraps a 32-bit or 64-bit address sum; canonical upper-half addresses stay negative (memory.ts). */
function wrap(address: number): number {
  if (mode === 32) return address >>> 0;
  if (address < 0) return address >= MIN_CANONICAL ? address : address + TWO_64;
  return address >= TWO_64 ? address - TWO_64 : address;
}

interface Prefixes {
  operandSize: boolean;
  addressSize: boolean;
  rep: number;
  segment: number;
}

const prefixes: Prefixes = { operandSize: false, addressSize: false, rep: 0, segment: 0 };

/** Decodes one instruction at `address`; fetch faults are thrown as MemoryFault. */
export function decodeInstruction(memory: Memory, address: number, cpuMode: CpuMode): Instruction {
  mode = cpuMode;
  start = address;
  position = 0;
  rex = 0;
  ripRelative = false;
  fill(memory, address);
  if (available === 0) memory.fetchPage(address); // throws the right fault kind
  const insn = new Instruction(control.invalidOpcode);
  insn.address = address;
  let relative = false;
  try {
    relative = decodeBody(insn);
  } catch (error) {
    if (error !== INVALID) throw error;
    insn.exec = control.invalidOpcode;
    relative = false;
    ripRelative = false;
    position = Math.min(Math.max(position, 1), MAX_LENGTH);
  }
  insn.length = position;
  insn.next = wrap(address + position);
  if (insn.mem && mode === 32 && insn.addressSize === 4 && insn.index < 0 && insn.segment === 0 && insn.base >= 0) insn.simpleBase = insn.base;
  if (ripRelative) {
    insn.disp = insn.disp + insn.next;
    if (insn.addressSize === 4) insn.disp >>>= 0;
  }
  if (relative) {
    let target = wrap(insn.next + insn.target);
    if (insn.size === 2) target = target % 65536;
    insn.target = target;
  }
  return insn;
}

/** Wraps `original` so the environment's onHook runs first. */
export function makeHookInstruction(original: Instruction): Instruction {
  const hook = new Instruction(control.makeHookHandler(original));
  hook.address = original.address;
  hook.length = original.length;
  hook.next = original.address;
  return hook;
}

function stackSize(): number {
  if (prefixes.operandSize) return 2;
  return mode === 64 ? 8 : 4;
}

/** Fills `insn`; returns true when `insn.target` holds a relative displacement. */
function decodeBody(insn: Instruction): boolean {
  prefixes.operandSize = false;
  prefixes.addressSize = false;
  prefixes.rep = 0;
  prefixes.segment = 0;
  let opcode: number;
  for (;;) {
    opcode = nextByte();
    if (opcode === 0x66) prefixes.operandSize = true;
    else if (opcode === 0x67) prefixes.addressSize = true;
    else if (opcode === 0xf2 || opcode === 0xf3) prefixes.rep = opcode;
    else if (opcode === 0xf0) continue;
    else if (opcode === 0x64 || opcode === 0x65) prefixes.segment = opcode - 0x60;
    else if (opcode === 0x26 || opcode === 0x2e || opcode === 0x36 || opcode === 0x3e) prefixes.segment = 0;
    else if (mode === 64 && opcode >= 0x40 && opcode <= 0x4f) {
      rex = opcode;
      opcode = nextByte();
      // a REX followed by another prefix is ignored
      if (opcode >= 0x40 && opcode <= 0x4f) {
        position--;
        continue;
      }
      if (opcode === 0x66 || opcode === 0x67 || opcode === 0xf2 || opcode === 0xf3 || opcode === 0xf0 || opcode === 0x64 || opcode === 0x65 || opcode === 0x26 || opcode === 0x2e || opcode === 0x36 || opcode === 0x3e) {
        rex = 0;
        position--;
        continue;
      }
      break;
    } else break;
  }
  insn.opcode = opcode;
  insn.rep = prefixes.rep;
  insn.segment = prefixes.segment;
  insn.addressSize = mode === 64 ? (prefixes.addressSize ? 4 : 8) : prefixes.addressSize ? 2 : 4;
  const wide = (rex & 8) !== 0;
  const operandSize = wide ? 8 : prefixes.operandSize ? 2 : 4;
  insn.size = operandSize;
  if (opcode === 0x0f) return decodeTwoByte(insn, operandSize);
  return decodeOneByte(insn, opcode, operandSize);
}

function use(insn: Instruction, exec: Handler): boolean {
  insn.exec = exec;
  return false;
}

function decodeOneByte(insn: Instruction, opcode: number, operandSize: number): boolean {
  if (opcode < 0x40 && (opcode & 7) < 6) {
    insn.sub = opcode >> 3;
    const form = opcode & 7;
    insn.size = form & 1 ? operandSize : 1;
    if (form < 4) {
      modrm(insn);
      if (insn.size === 1) byteRegisters(insn, true, true);
      return use(insn, form < 2 ? arithmetic.specialiseAlu(insn, arithmetic.aluEG) : arithmetic.aluGE);
    }
    insn.mem = false;
    insn.rm = 0;
    immediateSized(insn);
    return use(insn, arithmetic.specialiseAlu(insn, arithmetic.aluEI));
  }
  if (opcode >= 0x40 && opcode <= 0x4f) {
    // only reached in 32-bit mode (REX in 64-bit)
    insn.rm = opcode & 7;
    insn.sub = opcode < 0x48 ? 0 : 1;
    return use(insn, arithmetic.incDec);
  }
  if (opcode >= 0x50 && opcode <= 0x5f) {
    insn.size = stackSize();
    insn.rm = (opcode & 7) | ((rex & 1) << 3);
    return use(insn, opcode < 0x58 ? transfer.push : transfer.pop);
  }
  if (opcode >= 0x70 && opcode <= 0x7f) {
    insn.sub = opcode & 0xf;
    relativeTarget(insn, signedByte());
    insn.exec = opcode === 0x74 ? control.jumpIfZero : opcode === 0x75 ? control.jumpIfNotZero : control.jumpIf;
    insn.size = 4;
    return true;
  }
  if (opcode >= 0x91 && opcode <= 0x97) {
    insn.reg = 0;
    insn.rm = (opcode & 7) | ((rex & 1) << 3);
    return use(insn, transfer.exchange);
  }
  if (opcode >= 0xb0 && opcode <= 0xbf) {
    insn.mem = false;
    if (opcode < 0xb8) {
      insn.size = 1;
      insn.rm = byteRegister((opcode & 7) | ((rex & 1) << 3));
      setImmediate(insn, nextByte());
    } else {
      insn.rm = (opcode & 7) | ((rex & 1) << 3);
      if (operandSize === 8) {
        insn.imm = dword();
        insn.immHigh = dword();
      } else if (operandSize === 2) insn.imm = word();
      else insn.imm = dword();
    }
    return use(insn, transfer.moveEI);
  }
  if (opcode >= 0xd8 && opcode <= 0xdf) {
    const byte = modrm(insn);
    insn.fpuOpcode = ((opcode & 7) << 8) | byte;
    return use(insn, x87);
  }
  switch (opcode) {
    case 0x27:
    case 0x2f:
      if (mode === 64) throw INVALID;
      insn.sub = opcode === 0x27 ? 0 : 1;
      return use(insn, arithmetic.decimalAdjust);
    case 0x37:
    case 0x3f:
      if (mode === 64) throw INVALID;
      insn.sub = opcode === 0x37 ? 0 : 1;
      return use(insn, arithmetic.asciiAdjust);
    case 0xd4:
    case 0xd5:
      if (mode === 64) throw INVALID;
      insn.sub = opcode - 0xd4;
      insn.imm = nextByte();
      return use(insn, arithmetic.asciiAdjustMultiply);
    case 0xd6:
      if (mode === 64) throw INVALID;
      return use(insn, arithmetic.setAlFromCarry);
    case 0x06:
    case 0x0e:
    case 0x16:
    case 0x1e:
    case 0x07:
    case 0x17:
    case 0x1f:
      if (mode === 64) throw INVALID;
      insn.size = stackSize();
      insn.sub = (opcode >> 3) & 3; // es cs ss ds
      return use(insn, opcode & 1 ? transfer.popSegment : transfer.pushSegment);
    case 0x8c:
    case 0x8e: {
      const byte = modrm(insn);
      insn.sub = (byte >> 3) & 7;
      if (insn.sub > 5 || (opcode === 0x8e && insn.sub === 1)) throw INVALID;
      if (!insn.mem && opcode === 0x8c && insn.size === 8) insn.size = 4;
      if (insn.mem) insn.size = 2;
      return use(insn, opcode === 0x8c ? transfer.moveFromSegment : transfer.nop);
    }
    case 0x60:
    case 0x61:
      if (mode === 64) throw INVALID;
      return use(insn, opcode === 0x60 ? transfer.pushAll : transfer.popAll);
    case 0x63:
      if (mode !== 64) throw INVALID;
      modrm(insn);
      insn.imm2 = 4;
      return use(insn, operandSize === 8 ? transfer.moveSignExtend : transfer.moveGE);
    case 0x68:
    case 0x6a:
      insn.size = stackSize();
      if (opcode === 0x6a) immediateByte(insn);
      else setImmediate(insn, insn.size === 2 ? (word() << 16) >> 16 : signedDword());
      insn.sub = 1;
      return use(insn, transfer.push);
    case 0x69:
    case 0x6b:
      modrm(insn);
      if (opcode === 0x6b) immediateByte(insn);
      else immediateSized(insn);
      insn.sub = 1;
      return use(insn, arithmetic.multiplySigned);
    case 0x80:
    case 0x81:
    case 0x82:
    case 0x83: {
      if (opcode === 0x82 && mode === 64) throw INVALID;
      insn.size = opcode === 0x81 || opcode === 0x83 ? operandSize : 1;
      const byte = modrm(insn);
      insn.sub = (byte >> 3) & 7;
      if (insn.size === 1) byteRegisters(insn, false, true);
      if (opcode === 0x83) immediateByte(insn);
      else immediateSized(insn);
      return use(insn, arithmetic.specialiseAlu(insn, arithmetic.aluEI));
    }
    case 0x84:
    case 0x85:
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89:
    case 0x8a:
    case 0x8b:
      insn.size = opcode & 1 ? operandSize : 1;
      modrm(insn);
      if (insn.size === 1) byteRegisters(insn, true, true);
      if (opcode <= 0x85) return use(insn, arithmetic.test);
      if (opcode <= 0x87) return use(insn, transfer.exchange);
      return use(insn, opcode <= 0x89 ? transfer.moveEG : transfer.moveGE);
    case 0x8d:
      modrm(insn);
      if (!insn.mem) throw INVALID;
      insn.segment = 0;
      return use(insn, transfer.loadEffectiveAddress);
    case 0x8f: {
      insn.size = stackSize();
      const byte = modrm(insn);
      if ((byte & 0x38) !== 0) throw INVALID;
      return use(insn, transfer.pop);
    }
    case 0x90:
      if (rex & 1) {
        insn.reg = 0;
        insn.rm = 8;
        return use(insn, transfer.exchange);
      }
      return use(insn, transfer.nop);
    case 0x98:
      return use(insn, transfer.widenAccumulator);
    case 0x99:
      return use(insn, transfer.signIntoDx);
    case 0x9b:
      return use(insn, fwait);
    case 0x9c:
      insn.size = stackSize();
      return use(insn, transfer.pushFlags);
    case 0x9d:
      insn.size = stackSize();
      return use(insn, transfer.popFlags);
    case 0x9e:
      return use(insn, transfer.storeAhIntoFlags);
    case 0x9f:
      return use(insn, transfer.loadFlagsIntoAh);
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3: {
      insn.size = opcode & 1 ? operandSize : 1;
      insn.mem = true;
      insn.base = -1;
      insn.index = -1;
      insn.reg = 0;
      if (insn.addressSize === 8) {
        const low = dword();
        insn.disp = (dword() | 0) * TWO_32 + low; // signed: a kernel address stays exact
      } else insn.disp = dword();
      return use(insn, opcode < 0xa2 ? transfer.moveGE : transfer.moveEG);
    }
    case 0xa4:
    case 0xa5:
    case 0xa6:
    case 0xa7:
    case 0xaa:
    case 0xab:
    case 0xac:
    case 0xad:
    case 0xae:
    case 0xaf:
      if (insn.addressSize === 2) throw INVALID;
      insn.size = opcode & 1 ? operandSize : 1;
      insn.sub = opcode < 0xa6 ? 0 : opcode < 0xa8 ? 1 : opcode < 0xac ? 2 : opcode < 0xae ? 3 : 4;
      return use(insn, stringOperation);
    case 0xa8:
    case 0xa9:
      insn.size = opcode & 1 ? operandSize : 1;
      insn.mem = false;
      insn.rm = 0;
      insn.sub = 1;
      immediateSized(insn);
      return use(insn, arithmetic.test);
    case 0xc0:
    case 0xc1:
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      insn.size = opcode & 1 ? operandSize : 1;
      const byte = modrm(insn);
      insn.sub = (byte >> 3) & 7;
      if (insn.size === 1) byteRegisters(insn, false, true);
      insn.imm = opcode <= 0xc1 ? nextByte() : opcode <= 0xd1 ? 1 : -1;
      return use(insn, arithmetic.shiftGroup);
    }
    case 0xc2:
      insn.imm = word();
      return use(insn, control.returnNear);
    case 0xc3:
      insn.imm = 0;
      return use(insn, control.returnNear);
    case 0xc6:
    case 0xc7: {
      insn.size = opcode & 1 ? operandSize : 1;
      const byte = modrm(insn);
      if ((byte & 0x38) !== 0) throw INVALID;
      if (insn.size === 1) byteRegisters(insn, false, true);
      immediateSized(insn);
      return use(insn, transfer.moveEI);
    }
    case 0xc8:
      insn.size = stackSize();
      insn.imm = word();
      insn.imm2 = nextByte();
      return use(insn, transfer.enter);
    case 0xc9:
      insn.size = stackSize();
      return use(insn, transfer.leave);
    case 0xcc:
      insn.imm = 3;
      return use(insn, control.interrupt);
    case 0xcd:
      insn.imm = nextByte();
      return use(insn, control.interrupt);
    case 0xd7:
      return use(insn, transfer.translate);
    case 0xe0:
    case 0xe1:
    case 0xe2:
    case 0xe3:
      insn.sub = opcode & 3;
      relativeTarget(insn, signedByte());
      insn.exec = insn.sub !== 2 ? control.loop : insn.addressSize === 4 ? control.loopEcx : control.loopRcx;
      insn.size = 4;
      return true;
    case 0xe4:
    case 0xe5:
    case 0xe6:
    case 0xe7:
    case 0xec:
    case 0xed:
    case 0xee:
    case 0xef:
    case 0xfa:
    case 0xfb:
      if (opcode <= 0xe7) nextByte();
      insn.sub = opcode === 0xfa ? 1 : opcode === 0xfb ? 2 : 0; // PRIVILEGED_INSTRUCTIONS
      return use(insn, control.privileged);
    case 0xe8:
    case 0xe9:
      relativeTarget(insn, prefixes.operandSize && mode === 32 ? (word() << 16) >> 16 : signedDword());
      insn.exec = opcode === 0xe8 ? control.callRelative : control.jumpRelative;
      insn.size = prefixes.operandSize && mode === 32 ? 2 : 4;
      return true;
    case 0xeb:
      relativeTarget(insn, signedByte());
      insn.exec = control.jumpRelative;
      insn.size = 4;
      return true;
    case 0xf4:
      return use(insn, control.halt);
    case 0xf5:
    case 0xf8:
    case 0xf9:
    case 0xfc:
    case 0xfd:
      insn.sub = opcode === 0xf8 ? 0 : opcode === 0xf9 ? 1 : opcode === 0xf5 ? 2 : opcode === 0xfc ? 3 : 4;
      return use(insn, transfer.flagInstruction);
    case 0xf6:
    case 0xf7: {
      insn.size = opcode & 1 ? operandSize : 1;
      const byte = modrm(insn);
      const group = (byte >> 3) & 7;
      if (insn.size === 1) byteRegisters(insn, false, true);
      insn.sub = group;
      if (group <= 1) {
        immediateSized(insn);
        insn.sub = 1;
        return use(insn, arithmetic.test);
      }
      if (group === 2) return use(insn, arithmetic.not);
      if (group === 3) return use(insn, arithmetic.neg);
      if (group <= 5) return use(insn, arithmetic.multiplyAccumulator);
      return use(insn, arithmetic.divide);
    }
    case 0xfe:
    case 0xff: {
      insn.size = opcode === 0xff ? operandSize : 1;
      const byte = modrm(insn);
      const group = (byte >> 3) & 7;
      if (insn.size === 1) byteRegisters(insn, false, true);
      if (group <= 1) {
        insn.sub = group;
        return use(insn, arithmetic.incDec);
      }
      if (opcode === 0xfe) throw INVALID;
      if (group === 2 || group === 4) {
        if (mode === 64) insn.size = 8;
        return use(insn, group === 2 ? control.callIndirect : control.jumpIndirect);
      }
      if (group === 6) {
        insn.size = stackSize();
        return use(insn, transfer.push);
      }
      throw INVALID;
    }
    default:
      throw INVALID;
  }
}

function decodeTwoByte(insn: Instruction, operandSize: number): boolean {
  const opcode = nextByte();
  insn.opcode = 0x0f00 | opcode;
  if (opcode >= 0x40 && opcode <= 0x4f) {
    modrm(insn);
    insn.sub = opcode & 0xf;
    return use(insn, transfer.moveIf);
  }
  if (opcode >= 0x80 && opcode <= 0x8f) {
    insn.sub = opcode & 0xf;
    relativeTarget(insn, signedDword());
    insn.exec = opcode === 0x84 ? control.jumpIfZero : opcode === 0x85 ? control.jumpIfNotZero : control.jumpIf;
    insn.size = 4;
    return true;
  }
  if (opcode >= 0x90 && opcode <= 0x9f) {
    insn.size = 1;
    modrm(insn);
    byteRegisters(insn, false, true);
    insn.sub = opcode & 0xf;
    return use(insn, transfer.setCondition);
  }
  if (opcode >= 0xc8 && opcode <= 0xcf) {
    insn.rm = (opcode & 7) | ((rex & 1) << 3);
    insn.size = operandSize === 8 ? 8 : 4;
    return use(insn, arithmetic.byteSwap);
  }
  if (opcode >= 0x18 && opcode <= 0x1f) {
    modrm(insn);
    return use(insn, transfer.nop);
  }
  switch (opcode) {
    case 0x05:
      return use(insn, control.syscall);
    case 0x34:
      return use(insn, control.sysenter);
    case 0x32:
    case 0x30:
      insn.sub = opcode === 0x32 ? 3 : 4; // rdmsr, wrmsr (PRIVILEGED_INSTRUCTIONS)
      return use(insn, control.privileged);
    case 0x01:
      if (mode !== 64 || nextByte() !== 0xf8) throw INVALID;
      insn.sub = 5; // swapgs
      return use(insn, control.privileged);
    case 0x31:
      return use(insn, control.readTimeStamp);
    case 0xa2:
      return use(insn, control.cpuid);
    case 0x0d:
      modrm(insn);
      return use(insn, transfer.nop);
    case 0xa3:
    case 0xab:
    case 0xb3:
    case 0xbb:
      modrm(insn);
      insn.imm = -1;
      insn.sub = opcode === 0xa3 ? 0 : opcode === 0xab ? 1 : opcode === 0xb3 ? 2 : 3;
      return use(insn, arithmetic.bitTest);
    case 0xba: {
      const byte = modrm(insn);
      const group = (byte >> 3) & 7;
      if (group < 4) throw INVALID;
      insn.sub = group - 4;
      insn.imm = nextByte();
      return use(insn, arithmetic.bitTest);
    }
    case 0xa4:
    case 0xa5:
    case 0xac:
    case 0xad:
      modrm(insn);
      insn.sub = opcode < 0xac ? 0 : 1;
      insn.imm = opcode & 1 ? -1 : nextByte();
      return use(insn, arithmetic.doubleShift);
    case 0xaf:
      modrm(insn);
      insn.sub = 0;
      return use(insn, arithmetic.multiplySigned);
    case 0xb0:
    case 0xb1:
      insn.size = opcode & 1 ? operandSize : 1;
      modrm(insn);
      if (insn.size === 1) byteRegisters(insn, true, true);
      return use(insn, arithmetic.compareExchange);
    case 0xc0:
    case 0xc1:
      insn.size = opcode & 1 ? operandSize : 1;
      modrm(insn);
      if (insn.size === 1) byteRegisters(insn, true, true);
      return use(insn, arithmetic.exchangeAdd);
    case 0xb6:
    case 0xb7:
    case 0xbe:
    case 0xbf:
      modrm(insn);
      insn.imm2 = opcode & 1 ? 2 : 1;
      if (insn.imm2 === 1) byteRegisters(insn, false, true);
      return use(insn, opcode < 0xb8 ? transfer.moveZeroExtend : transfer.moveSignExtend);
    case 0xbc:
    case 0xbd:
      modrm(insn);
      insn.sub = opcode & 1;
      return use(insn, arithmetic.bitScan);
    case 0xae: {
      const byte = modrm(insn);
      if (!insn.mem && (byte & 0x38) >= 0x28) return use(insn, transfer.nop); // lfence, mfence, sfence
      if (!insn.mem || (byte & 0x38) !== 0) throw INVALID;
      return use(insn, fxsaveHandler);
    }
    case 0xa0:
    case 0xa8:
    case 0xa1:
    case 0xa9:
      insn.size = stackSize();
      insn.sub = opcode < 0xa8 ? 4 : 5; // fs gs
      return use(insn, opcode & 1 ? transfer.popSegment : transfer.pushSegment);
    case 0x0b:
      throw INVALID;
    default:
      return decodeSse(insn, opcode);
  }
}

function decodeSse(insn: Instruction, opcode: number): boolean {
  const has66 = prefixes.operandSize;
  const rep = prefixes.rep;
  insn.rep = 0;
  switch (opcode) {
    case 0x10:
    case 0x11:
    case 0x28:
    case 0x29:
    case 0x6f:
    case 0x7f: {
      if ((opcode === 0x6f || opcode === 0x7f) && !has66 && rep !== 0xf3) throw INVALID; // MMX forms
      if ((opcode === 0x28 || opcode === 0x29) && rep !== 0) throw INVALID;
      modrm(insn);
      if (opcode === 0x10 || opcode === 0x11) insn.sub = rep === 0xf3 ? sse.SSE_LOW32 : rep === 0xf2 ? sse.SSE_LOW64 : sse.SSE_FULL;
      else if (opcode === 0x28 || opcode === 0x29) insn.sub = sse.SSE_ALIGNED;
      else insn.sub = rep === 0xf3 ? sse.SSE_FULL : sse.SSE_ALIGNED;
      const load = opcode === 0x10 || opcode === 0x28 || opcode === 0x6f;
      return use(insn, load ? sse.sseLoad : sse.sseStore);
    }
    case 0x6e:
    case 0x7e:
      if (opcode === 0x7e && rep === 0xf3) {
        // movq xmm, xmm/m64
        modrm(insn);
        insn.sub = sse.SSE_LOW64;
        insn.imm2 = 1;
        return use(insn, sse.sseLoad);
      }
      if (!has66 || rep !== 0) throw INVALID;
      insn.size = rex & 8 ? 8 : 4;
      modrm(insn);
      return use(insn, opcode === 0x6e ? sse.moveToXmm : sse.moveFromXmm);
    case 0xd6:
      if (!has66 || rep !== 0) throw INVALID;
      modrm(insn);
      insn.sub = sse.SSE_LOW64;
      insn.imm2 = 1;
      return use(insn, sse.sseStore);
    case 0xef:
    case 0xeb:
    case 0xdb:
    case 0xdf:
      if (!has66 || rep !== 0) throw INVALID;
      modrm(insn);
      insn.sub = opcode === 0xef ? sse.LOGIC_XOR : opcode === 0xeb ? sse.LOGIC_OR : opcode === 0xdb ? sse.LOGIC_AND : sse.LOGIC_ANDN;
      return use(insn, sse.sseLogic);
    case 0x54:
    case 0x55:
    case 0x56:
    case 0x57:
      if (rep !== 0) throw INVALID;
      modrm(insn);
      insn.sub = opcode === 0x57 ? sse.LOGIC_XOR : opcode === 0x56 ? sse.LOGIC_OR : opcode === 0x54 ? sse.LOGIC_AND : sse.LOGIC_ANDN;
      return use(insn, sse.sseLogic);
    default:
      throw INVALID;
  }
}
