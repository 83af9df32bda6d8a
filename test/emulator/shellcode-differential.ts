/**
 * Whole shellcode runs in our CPU and in Unicorn side by side, one instruction at a time. Unicorn
 * gets the process's memory image (every mapped page, same permissions), the same registers, and
 * FS/GS bases (x86-64: the base registers; x86: a GDT whose FS descriptor has the TEB as base,
 * since Unicorn 2 ignores FS_BASE in 32-bit mode). After each ordinary instruction rip, the general
 * registers, the flags the instruction defines (iced-x86 tells which it leaves undefined) and
 * every byte our CPU wrote must agree. A step where the emulated process acted — an API hook, a
 * system call, an interrupt, an exception dispatched to the guest's handler — runs only in ours
 * (Unicorn knows no Windows); its effects (registers, written and newly mapped memory) are then
 * copied into Unicorn, after checking that Unicorn faults too where ours raised an exception.
 * At the end every mapped page is compared, which catches writes only Unicorn made.
 */
import { Decoder, DecoderOptions, RflagsBits } from 'iced-x86';
import type { Cpu, CpuEnvironment, Memory, RunResult } from '../../src/emulator/cpu/index.ts';
import { AF, CF, OF, PAGE_SIZE, PF, SF, ZF } from '../../src/emulator/cpu/index.ts';
import type { EmulatedRun } from '../../src/emulator/finder/profile-shellcode.ts';
import { UC_REG, Unicorn } from './unicorn.ts';

export interface WholeRunDisagreement {
  step: number;
  address: number;
  bytes: string;
  instruction: string;
  what: string;
}

export interface WholeRunResult {
  /** ordinary instructions compared in both */
  compared: number;
  /** steps the emulated process took (hooks, syscalls, exceptions), applied to both */
  environmentSteps: number;
  /** those steps by kind: hook, syscall, interrupt, privileged (rdmsr/wrmsr/swapgs/cli/sti), exception */
  environmentKinds: Record<string, number>;
  /** why the comparison ended: the run's own end, or the step limit */
  ended: string;
  disagreement: WholeRunDisagreement | null;
}

const ICED_TO_EFLAGS: Array<[number, number]> = [
  [RflagsBits.OF, OF],
  [RflagsBits.SF, SF],
  [RflagsBits.ZF, ZF],
  [RflagsBits.AF, AF],
  [RflagsBits.CF, CF],
  [RflagsBits.PF, PF],
];
const ARITHMETIC = OF | SF | ZF | AF | CF | PF;
/** where the 32-bit GDT goes when nothing of the process lies there */
const GDT_CANDIDATES = [0xfffe0000, 0xc0000000, 0x10000];

/** UC_ERR_FETCH_UNMAPPED, UC_ERR_FETCH_PROT */
const FETCH_ERRORS = new Set([8, 14]);

/** steps between full memory comparisons (which also catch writes only Unicorn made) */
const MEMORY_CHECK_EVERY = 50_000;

type Touch = { address: number; length: number };

/** Records every write and mapping change our memory sees, guest or environment, until `stop()`. */
function watchMemory(memory: Memory): { writes: Touch[]; mappings: Touch[]; stop: () => void } {
  const writes: Touch[] = [];
  const mappings: Touch[] = [];
  const target = memory as unknown as Record<string, (...args: never[]) => unknown>;
  const wrapped: string[] = [];
  const wrap = (name: string, length: (args: number[]) => number, into: Touch[]): void => {
    const original = target[name]!.bind(memory) as (...args: unknown[]) => unknown;
    wrapped.push(name);
    // an own property shadows the prototype's method; deleting it restores the original
    target[name] = ((...args: unknown[]) => {
      into.push({ address: args[0] as number, length: length(args as number[]) });
      return original(...args);
    }) as never;
  };
  wrap('write8', () => 1, writes);
  wrap('write16', () => 2, writes);
  wrap('write32', () => 4, writes);
  wrap('writeFrom', (args) => args[2]!, writes);
  wrap('writeBytes', (args) => (args[1] as unknown as Uint8Array).length, writes);
  wrap('map', (args) => args[1]!, mappings);
  wrap('protect', (args) => args[1]!, mappings);
  wrap('unmap', (args) => args[1]!, mappings);
  return { writes, mappings, stop: () => wrapped.forEach((name) => delete target[name]) };
}

function hex(bytes: Uint8Array | null): string {
  return Array.from(bytes ?? [], (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function descriptor(base: number, limit: number, code: boolean, privilege: number): bigint {
  let granularity = 0n;
  if (limit > 0xfffff) {
    limit = Math.floor(limit / PAGE_SIZE);
    granularity = 1n;
  }
  let value = BigInt(limit & 0xffff) | (BigInt(base & 0xffff) << 16n) | (BigInt((base >>> 16) & 0xff) << 32n);
  value |= (BigInt(code ? 0xb : 0x3) << 40n) | (1n << 44n) | (BigInt(privilege) << 45n) | (1n << 47n);
  value |= (BigInt((limit >>> 16) & 0xf) << 48n) | (1n << 54n) | (granularity << 55n) | (BigInt(base >>> 24) << 56n);
  return value;
}

/**
 * Flat code and data segments with our selectors (cs 0x1b, ds/es 0x23, fs 0x3b → TEB), and a
 * ring-0 stack segment (Unicorn runs at CPL 0 and refuses a ring-3 SS).
 */
function installFlatSegments(unicorn: Unicorn, memory: Memory, fsBase: number, gsBase: number): void {
  const gdt = GDT_CANDIDATES.find((address) => !memory.isMapped(address));
  if (gdt === undefined) throw new Error('no free page for the GDT');
  const table = new DataView(new ArrayBuffer(16 * 8));
  table.setBigUint64(3 * 8, descriptor(0, 0xffffffff, true, 3), true);
  table.setBigUint64(4 * 8, descriptor(0, 0xffffffff, false, 3), true);
  table.setBigUint64(5 * 8, descriptor(0, 0xffffffff, false, 0), true);
  table.setBigUint64(7 * 8, descriptor(fsBase >>> 0, 0xfff, false, 3), true);
  table.setBigUint64(8 * 8, descriptor(gsBase >>> 0, 0xfff, false, 3), true);
  unicorn.map(gdt, PAGE_SIZE, 3);
  unicorn.write(gdt, new Uint8Array(table.buffer));
  const gdtr = new DataView(new ArrayBuffer(24));
  gdtr.setBigUint64(8, BigInt(gdt), true);
  gdtr.setUint32(16, 16 * 8 - 1, true);
  unicorn.setRegBytes(UC_REG.gdtr, new Uint8Array(gdtr.buffer));
  unicorn.setReg(UC_REG.cs, 0x1bn);
  unicorn.setReg(UC_REG.ss, 0x28n);
  unicorn.setReg(UC_REG.ds, 0x23n);
  unicorn.setReg(UC_REG.es, 0x23n);
  unicorn.setReg(UC_REG.fs, 0x3bn);
  unicorn.setReg(UC_REG.gs, 0x43n);
}

/** Runs `run` in both engines for at most `maxSteps` instructions; see the file comment. */
export function compareWholeRun(run: EmulatedRun, maxSteps: number): WholeRunResult {
  const cpu = run.guest.cpu;
  const memory = cpu.memory;
  const mode = cpu.mode;
  const registers = mode === 64 ? 16 : 8;
  const unicorn = createTwin(cpu);
  let environmentAction: 'hook' | 'syscall' | 'interrupt' | 'privileged' | 'exception' | null = null;
  const environment = cpu.environment;
  const wrapped: CpuEnvironment = { ...environment };
  if (environment.onHook) wrapped.onHook = (c, address) => void ((environmentAction = 'hook'), environment.onHook!.call(environment, c, address));
  if (environment.onSyscall) wrapped.onSyscall = (c, kind) => void ((environmentAction = 'syscall'), environment.onSyscall!.call(environment, c, kind));
  if (environment.onInterrupt) wrapped.onInterrupt = (c, vector) => void ((environmentAction = 'interrupt'), environment.onInterrupt!.call(environment, c, vector));
  if (environment.onPrivileged) {
    wrapped.onPrivileged = (c, instruction) => {
      environmentAction = 'privileged';
      return environment.onPrivileged!.call(environment, c, instruction);
    };
  }
  if (environment.onException) {
    wrapped.onException = (c, fault) => {
      environmentAction = 'exception';
      return environment.onException!.call(environment, c, fault);
    };
  }
  cpu.environment = wrapped;
  const { writes, mappings, stop } = watchMemory(memory);

  try {
    let compared = 0;
    let environmentSteps = 0;
    const environmentKinds: Record<string, number> = {};
    for (let step = 0; step < maxSteps; step++) {
      if (step > 0 && step % MEMORY_CHECK_EVERY === 0) {
        const difference = firstMemoryDifference(memory, unicorn);
        if (difference) return { compared, environmentSteps, environmentKinds, ended: 'disagreement', disagreement: { step, address: cpu.ip, bytes: '', instruction: 'memory check', what: difference } };
      }
      const ip = cpu.ip;
      const bytes = memory.readBytes(ip, 15) ?? memory.readBytes(ip, 1);
      const info = describe(bytes, ip, mode);
      const report = (what: string): WholeRunResult => ({
        compared,
        environmentSteps,
        environmentKinds,
        ended: 'disagreement',
        disagreement: { step, address: ip, bytes: hex(bytes), instruction: info.text, what },
      });
      writes.length = 0;
      mappings.length = 0;
      environmentAction = null;
      let ours: RunResult = cpu.run({ maxInstructions: 1 });
      // a REP instruction runs in chunks of 4096 iterations in ours (each one step): run it whole
      for (let chunk = 0; info.rep && environmentAction === null && ours.reason === 'instruction_limit' && cpu.ip === ip && chunk < 1 << 20; chunk++) ours = cpu.run({ maxInstructions: 1 });
      const action = environmentAction as typeof environmentAction;

      if (action === 'exception') {
        // ours faulted and the process dispatched it: Unicorn must fault on the same instruction
        const theirs = unicorn.start(ip, 0, 1);
        if (theirs === 0) return report(`ours raised an exception (dispatched to the guest's handler), unicorn ran it to ${unicorn.ip.toString(16)}`);
      }
      if (action !== null) {
        environmentSteps++;
        environmentKinds[action] = (environmentKinds[action] ?? 0) + 1;
        syncMemory(memory, unicorn, writes, mappings);
        if (ours.reason !== 'instruction_limit') {
          // the run ended in the process (a kernel payload's return): still compare every page
          const ended = `${ours.reason} in the process (${action})`;
          const difference = firstMemoryDifference(memory, unicorn);
          return { compared, environmentSteps, environmentKinds, ended, disagreement: difference ? { step, address: ip, bytes: hex(bytes), instruction: 'end of run', what: difference } : null };
        }
        copyRegisters(cpu, unicorn, registers);
        continue;
      }

      // our hlt ends the run (user-mode code has no business halting); Unicorn's just stops
      if (ours.reason === 'hlt') return { compared, environmentSteps, environmentKinds, ended: 'hlt', disagreement: null };
      let theirs = unicorn.start(ip, 0, 1);
      // Unicorn steps a REP one iteration per count; a long one runs on to the next instruction
      // (that mode costs ~0.2 s a call, so short ones go iteration by iteration)
      for (let iteration = 0; info.rep && theirs === 0 && unicorn.ip === ip && iteration < 4096; iteration++) theirs = unicorn.start(ip, 0, 1);
      if (info.rep && theirs === 0 && unicorn.ip === ip) theirs = unicorn.start(ip, ip + info.length, 0);
      // Unicorn reports a fetch fault of the *next* instruction with this one (a ret to a page
      // without execute permission): ours ran this one fine and faults, or hooks, on the next step
      if (FETCH_ERRORS.has(theirs) && ours.reason === 'instruction_limit' && unicorn.ip === cpu.ip) theirs = 0;
      const oursFailed = ours.reason !== 'instruction_limit';
      if (oursFailed || theirs !== 0) {
        if (oursFailed && theirs !== 0) return { compared, environmentSteps, environmentKinds, ended: `both stopped: ours ${ours.reason}${ours.fault ? ` ${ours.fault.kind}` : ''}, unicorn ${unicorn.errorText(theirs)}`, disagreement: null };
        return report(`ours: ${ours.reason}${ours.fault ? ` ${ours.fault.kind} at ${ours.fault.address.toString(16)}` : ''}, unicorn: ${theirs === 0 ? 'ok' : unicorn.errorText(theirs)}`);
      }
      compared++;
      if (cpu.ip !== unicorn.ip) return report(`rip ours ${cpu.ip.toString(16)} unicorn ${unicorn.ip.toString(16)}`);
      for (let reg = 0; reg < registers; reg++) {
        const a = mode === 64 ? cpu.getRegisterBig(reg) : BigInt(cpu.lo[reg]!);
        const b = unicorn.gpr(reg);
        if (a !== b) return report(`reg ${reg} ours ${a.toString(16)} unicorn ${b.toString(16)}`);
      }
      const theirFlags = Number(unicorn.getReg(UC_REG.eflags));
      const defined = ~info.undefinedFlags;
      if ((cpu.eflags & defined & (ARITHMETIC | 0x400)) !== (theirFlags & defined & (ARITHMETIC | 0x400))) {
        return report(`flags ours ${cpu.eflags.toString(16)} unicorn ${theirFlags.toString(16)} (undefined ${info.undefinedFlags.toString(16)})`);
      }
      // undefined flags may differ; take unicorn's so they cannot surface later as a false alarm
      if (info.undefinedFlags !== 0) cpu.eflags = (cpu.eflags & ~info.undefinedFlags) | (theirFlags & info.undefinedFlags);
      for (const write of writes) {
        const a = memory.readBytes(write.address, write.length);
        const b = unicorn.read(write.address, write.length);
        for (let k = 0; a && k < write.length; k++) {
          if (a[k] !== b[k]) return report(`memory ${(write.address + k).toString(16)} ours ${a[k]!.toString(16)} unicorn ${b[k]!.toString(16)}`);
        }
      }
    }
    const difference = firstMemoryDifference(memory, unicorn);
    if (difference) return { compared, environmentSteps, environmentKinds, ended: 'step limit', disagreement: { step: maxSteps, address: cpu.ip, bytes: '', instruction: 'end of run', what: difference } };
    return { compared, environmentSteps, environmentKinds, ended: 'step limit', disagreement: null };
  } finally {
    stop();
    cpu.environment = environment;
    unicorn.close();
  }
}

/** Unicorn primed with our process: every mapped page, the segment bases, the registers. */
function createTwin(cpu: Cpu): Unicorn {
  const memory = cpu.memory;
  const unicorn = new Unicorn(cpu.mode);
  try {
    for (const region of memory.regions()) unicorn.map(region.address, region.size, region.perm);
    // Unicorn's fresh pages are zero: copy only the pages with something in them
    for (const [number, page] of memory.pages) if (page.data.some((byte) => byte !== 0)) unicorn.write(number * PAGE_SIZE, page.data);
    if (cpu.mode === 64) {
      unicorn.setReg(UC_REG.fsBase, BigInt(cpu.fsBase));
      unicorn.setReg(UC_REG.gsBase, BigInt(cpu.gsBase));
    } else {
      installFlatSegments(unicorn, memory, cpu.fsBase, cpu.gsBase);
    }
    copyRegisters(cpu, unicorn, cpu.mode === 64 ? 16 : 8);
    return unicorn;
  } catch (error) {
    unicorn.close();
    throw error;
  }
}

interface StepInfo {
  text: string;
  rep: boolean;
  length: number;
  /** EFLAGS bits the instruction leaves undefined */
  undefinedFlags: number;
}

function describe(bytes: Uint8Array | null, ip: number, bitness: 32 | 64): StepInfo {
  if (!bytes || bytes.length === 0) return { text: '(unmapped)', rep: false, length: 1, undefinedFlags: 0 };
  const decoder = new Decoder(bitness, bytes, DecoderOptions.None);
  decoder.ip = BigInt(ip);
  const instruction = decoder.decode();
  try {
    let undefinedFlags = 0;
    for (const [iced, eflags] of ICED_TO_EFLAGS) if (instruction.rflagsUndefined & iced) undefinedFlags |= eflags;
    const rep = instruction.hasRepPrefix || instruction.hasRepePrefix || instruction.hasRepnePrefix;
    return { text: instruction.toString(), rep, length: instruction.length, undefinedFlags };
  } finally {
    instruction.free();
    decoder.free();
  }
}

function copyRegisters(cpu: Cpu, unicorn: Unicorn, registers: number): void {
  for (let reg = 0; reg < registers; reg++) unicorn.setGpr(reg, cpu.mode === 64 ? cpu.getRegisterBig(reg) : BigInt(cpu.lo[reg]!));
  // a kernel environment's swapgs / wrmsr IA32_GS_BASE, or its system call, moves the GS base
  if (cpu.mode === 64) {
    if (unicorn.getReg(UC_REG.gsBase) !== BigInt.asUintN(64, BigInt(cpu.gsBase))) unicorn.setReg(UC_REG.gsBase, BigInt(cpu.gsBase));
    if (unicorn.getReg(UC_REG.fsBase) !== BigInt.asUintN(64, BigInt(cpu.fsBase))) unicorn.setReg(UC_REG.fsBase, BigInt(cpu.fsBase));
  }
  unicorn.setReg(UC_REG.eflags, BigInt(cpu.eflags));
  unicorn.setReg(cpu.mode === 64 ? UC_REG.rip : UC_REG.eip, BigInt(cpu.ip));
}

/** The process changed memory in a step: the same pages, mapped and filled alike, in Unicorn. */
function syncMemory(memory: Memory, unicorn: Unicorn, writes: Touch[], mappings: Touch[]): void {
  const pages = new Set<number>();
  // only pages whose mapping may have changed get a map/protect: Unicorn splits its regions on
  // every protect and slows down for good
  const remapped = new Set<number>();
  for (const touch of mappings) {
    const first = Math.floor(touch.address / PAGE_SIZE);
    const last = Math.floor((touch.address + Math.max(touch.length, 1) - 1) / PAGE_SIZE);
    for (let page = first; page <= last; page++) remapped.add(page);
  }
  for (const touch of [...writes, ...mappings]) {
    const first = Math.floor(touch.address / PAGE_SIZE);
    const last = Math.floor((touch.address + Math.max(touch.length, 1) - 1) / PAGE_SIZE);
    for (let page = first; page <= last; page++) pages.add(page);
  }
  for (const number of pages) {
    const address = number * PAGE_SIZE;
    const page = memory.pages.get(number);
    if (!remapped.has(number)) {
      if (page) unicorn.write(address, page.data);
      continue;
    }
    let mapped = true;
    try {
      unicorn.read(address, 1);
    } catch {
      mapped = false;
    }
    if (!page) {
      if (mapped) unicorn.unmap(address, PAGE_SIZE);
      continue;
    }
    if (!mapped) unicorn.map(address, PAGE_SIZE, page.perm);
    else unicorn.protect(address, PAGE_SIZE, page.perm);
    unicorn.write(address, page.data);
  }
}

function firstMemoryDifference(memory: Memory, unicorn: Unicorn): string | null {
  for (const [number, page] of memory.pages) {
    const theirs = unicorn.read(number * PAGE_SIZE, PAGE_SIZE);
    for (let k = 0; k < PAGE_SIZE; k++) {
      if (page.data[k] !== theirs[k]) return `memory ${(number * PAGE_SIZE + k).toString(16)} ours ${page.data[k]!.toString(16)} unicorn ${theirs[k]!.toString(16)} (found at the end)`;
    }
  }
  return null;
}
