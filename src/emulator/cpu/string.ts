/**
 * String instructions (movs, cmps, stos, lods, scas) with REP/REPE/REPNE and DF.
 *
 * A REP instruction runs at most CHUNK iterations per step and then re-executes itself, the way
 * hardware lets interrupts in: every chunk counts as one instruction, so `rep stosb` with ecx =
 * 0xffffffff meets the instruction and time limits instead of freezing the run.
 */
import type { Cpu } from './cpu.ts';
import { alu, alu64, ALU_CMP } from './arithmetic.ts';
import type { Handler, Instruction } from './instruction.ts';


const CHUNK = 4096;

export const STRING_MOVS = 0;
export const STRING_CMPS = 1;
export const STRING_STOS = 2;
export const STRING_LODS = 3;
export const STRING_SCAS = 4;

function pointer(cpu: Cpu, reg: number, addressSize: number): number {
  return addressSize === 8 ? cpu.addressPart(reg) : cpu.lo[reg]!;
}

function advance(cpu: Cpu, reg: number, addressSize: number, delta: number): void {
  if (addressSize === 8) cpu.setRegister(reg, cpu.wrapAddress(cpu.addressPart(reg) + delta));
  else {
    cpu.lo[reg] = cpu.lo[reg]! + delta;
    cpu.hi[reg] = 0;
  }
}

function sourceAddress(cpu: Cpu, insn: Instruction): number {
  let address = pointer(cpu, 6, insn.addressSize);
  if (insn.segment !== 0) address = cpu.wrapAddress(address + (insn.segment === 4 ? cpu.fsBase : cpu.gsBase));
  return address;
}

function counterIsZero(cpu: Cpu, addressSize: number): boolean {
  return addressSize === 8 ? cpu.lo[1] === 0 && cpu.hi[1] === 0 : cpu.lo[1] === 0;
}

function compare(cpu: Cpu, size: number, aLow: number, aHigh: number, bLow: number, bHigh: number): void {
  if (size === 8) alu64(cpu, ALU_CMP, aLow, aHigh, bLow, bHigh);
  else alu(cpu, ALU_CMP, size, aLow, bLow);
}

/** One iteration of the string operation; false when a REPE/REPNE condition says stop. */
function iterate(cpu: Cpu, insn: Instruction): void {
  const size = insn.size;
  const delta = cpu.df < 0 ? -size : size;
  const addressSize = insn.addressSize;
  switch (insn.sub) {
    case STRING_MOVS: {
      const low = cpu.readMemory(sourceAddress(cpu, insn), size);
      cpu.writeMemory(pointer(cpu, 7, addressSize), size, low, cpu.high);
      advance(cpu, 6, addressSize, delta);
      advance(cpu, 7, addressSize, delta);
      return;
    }
    case STRING_CMPS: {
      const aLow = cpu.readMemory(sourceAddress(cpu, insn), size);
      const aHigh = cpu.high;
      const bLow = cpu.readMemory(pointer(cpu, 7, addressSize), size);
      compare(cpu, size, aLow, aHigh, bLow, cpu.high);
      advance(cpu, 6, addressSize, delta);
      advance(cpu, 7, addressSize, delta);
      return;
    }
    case STRING_STOS:
      cpu.writeMemory(pointer(cpu, 7, addressSize), size, cpu.readReg(0, size), cpu.hi[0]!);
      advance(cpu, 7, addressSize, delta);
      return;
    case STRING_LODS: {
      const low = cpu.readMemory(sourceAddress(cpu, insn), size);
      cpu.writeReg(0, size, low, cpu.high);
      advance(cpu, 6, addressSize, delta);
      return;
    }
    default: {
      const bLow = cpu.readMemory(pointer(cpu, 7, addressSize), size);
      const bHigh = cpu.high;
      compare(cpu, size, cpu.readReg(0, size), cpu.hi[0]!, bLow, bHigh);
      advance(cpu, 7, addressSize, delta);
    }
  }
}

export const stringOperation: Handler = (cpu, insn) => {
  if (insn.rep === 0) {
    iterate(cpu, insn);
    return;
  }
  const conditional = insn.sub === STRING_CMPS || insn.sub === STRING_SCAS;
  const addressSize = insn.addressSize;
  for (let k = 0; k < CHUNK; k++) {
    if (counterIsZero(cpu, addressSize)) return;
    iterate(cpu, insn);
    if (addressSize === 8) {
      const low = cpu.lo[1]!;
      cpu.lo[1] = low - 1;
      if (low === 0) cpu.hi[1] = cpu.hi[1]! - 1;
    } else {
      cpu.lo[1] = cpu.lo[1]! - 1;
      cpu.hi[1] = 0;
    }
    if (conditional && cpu.getZF() !== (insn.rep === 0xf3)) return;
  }
  // more to do: run this instruction again as the next step
  if (!counterIsZero(cpu, addressSize)) cpu.ip = insn.address;
};


