/**
 * Runs one random instruction sequence in our CPU and in Unicorn side by side, one instruction at a
 * time, and reports the first disagreement in rip, a general-purpose register, a defined flag, or
 * the bytes of the data and stack areas.
 */
import { Cpu, Memory, PERM_RWX, type CpuMode } from '../../src/emulator/cpu/index.ts';
import { ALL_FLAGS, generateInstruction, Random, type Generated } from './instruction-generator.ts';
import { UC_REG, Unicorn } from './unicorn.ts';

const DATA = 0x300000;
const DATA_START = DATA - 0x2000;
const DATA_SIZE = 0x6000;
const STACK_TOP = 0x200000;
const STACK_START = STACK_TOP - 0x2000;
const CODE_32 = 0x401000;
const CODE_64 = 0x140001000;
const CODE_SIZE = 0x2000;

export interface Disagreement {
  seed: number;
  mode: CpuMode;
  step: number;
  instruction: string;
  bytes: string;
  what: string;
}

function hex(bytes: number[] | Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Returns null when both agree on every step of the sequence. */
export function runSequence(seed: number, mode: CpuMode, length: number): Disagreement | null {
  const rng = new Random(seed);
  const items: Generated[] = [];
  const starts = new Map<number, Generated>();
  const code: number[] = [];
  const base = mode === 64 ? CODE_64 : CODE_32;
  for (let k = 0; k < length; k++) {
    const item = generateInstruction(rng, mode);
    starts.set(base + code.length, item);
    items.push(item);
    code.push(...item.bytes);
  }
  const end = base + code.length;
  const data = Uint8Array.from({ length: DATA_SIZE }, () => rng.byte());

  const memory = new Memory();
  const cpu = new Cpu({ mode, memory });
  const unicorn = new Unicorn(mode);
  try {
    for (const [address, size] of [
      [base, CODE_SIZE],
      [DATA_START, DATA_SIZE],
      [STACK_START, 0x2000],
    ] as const) {
      memory.map(address, size, PERM_RWX);
      unicorn.map(address, size, 7);
    }
    memory.writeBytes(base, Uint8Array.from(code));
    unicorn.write(base, Uint8Array.from(code));
    memory.writeBytes(DATA_START, data);
    unicorn.write(DATA_START, data);

    for (let reg = 0; reg < (mode === 64 ? 16 : 8); reg++) {
      let value = mode === 64 ? (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()) : BigInt(rng.u32());
      if (rng.int(4) === 0) value = BigInt(rng.pick([0, 1, 0xff, 0x80, 0x7fffffff, 0x80000000, 0xffffffff]));
      if (reg === 3) value = BigInt(DATA + 0x1000);
      if (reg === 4) value = BigInt(STACK_TOP - 0x800);
      if (reg === 6) value = BigInt(DATA + 0x400);
      if (reg === 7) value = BigInt(DATA + 0x1c00);
      cpu.setRegisterBig(reg, value);
      unicorn.setGpr(reg, value);
    }
    const flags = (rng.u32() & 0x8d5) | 0x202;
    cpu.eflags = flags;
    unicorn.setReg(UC_REG.eflags, BigInt(flags));
    cpu.ip = base;

    for (let step = 0; cpu.ip !== end && step < length * 4; step++) {
      const ip = cpu.ip;
      const item = starts.get(ip);
      const defined = item ? item.defined(cpu) : ALL_FLAGS;
      const text = item ? item.text : 'follow-up';
      const ours = cpu.run({ maxInstructions: 1 });
      let theirs = unicorn.start(ip, 0, 1);
      // unicorn steps a REP one iteration at a time; we run the whole instruction (in chunks)
      for (let guard = 0; theirs === 0 && unicorn.ip === ip && guard < 100_000; guard++) theirs = unicorn.start(ip, 0, 1);
      const report = (what: string): Disagreement => ({ seed, mode, step, instruction: text, bytes: hex(memory.readBytes(ip, 8) ?? []), what });
      const oursFailed = ours.reason !== 'instruction_limit';
      if (oursFailed || theirs !== 0) {
        if (oursFailed && theirs !== 0) return null; // both refused (a divide error, say): the sequence ends here
        return report(`ours: ${ours.reason}${ours.fault ? ` ${ours.fault.kind}` : ''}, unicorn: ${theirs === 0 ? 'ok' : unicorn.errorText(theirs)}`);
      }
      if (cpu.ip !== unicorn.ip) return report(`rip ours ${cpu.ip.toString(16)} unicorn ${unicorn.ip.toString(16)}`);
      if (item?.quirk === 'cmpxchg32' && cpu.getZF() && unicorn.gpr(0) === BigInt(cpu.lo[0]!)) cpu.hi[0] = 0;
      for (let reg = 0; reg < (mode === 64 ? 16 : 8); reg++) {
        const a = mode === 64 ? cpu.getRegisterBig(reg) : BigInt(cpu.lo[reg]!);
        const b = unicorn.gpr(reg);
        if (a !== b) return report(`reg ${reg} ours ${a.toString(16)} unicorn ${b.toString(16)}`);
      }
      const flagsOurs = cpu.eflags & defined;
      const flagsTheirs = Number(unicorn.getReg(UC_REG.eflags)) & defined;
      if (flagsOurs !== flagsTheirs) return report(`flags ours ${flagsOurs.toString(16)} unicorn ${flagsTheirs.toString(16)} (defined ${defined.toString(16)})`);
      // undefined flags may differ; take unicorn's so they cannot surface later as a false alarm
      if (defined !== ALL_FLAGS) cpu.eflags = (cpu.eflags & ~(ALL_FLAGS & ~defined)) | (Number(unicorn.getReg(UC_REG.eflags)) & ALL_FLAGS & ~defined);
      for (const [address, size] of [
        [DATA_START, DATA_SIZE],
        [STACK_START, 0x2000],
      ] as const) {
        const a = memory.readBytes(address, size)!;
        const b = unicorn.read(address, size);
        for (let k = 0; k < size; k++) {
          if (a[k] !== b[k]) return report(`memory ${(address + k).toString(16)} ours ${a[k]!.toString(16)} unicorn ${b[k]!.toString(16)}`);
        }
      }
    }
    return null;
  } finally {
    unicorn.close();
  }
}
