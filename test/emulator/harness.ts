/** Small helpers for CPU tests: map code and a stack, run, read registers by name. */
import { Cpu, Memory, PERM_READ, PERM_RWX, PERM_WRITE, REG, type CpuEnvironment, type CpuMode, type RunLimits, type RunResult } from '../../src/emulator/cpu/index.ts';

export const CODE_32 = 0x401000;
export const CODE_64 = 0x140001000;
export const STACK_TOP = 0x200000;
export const DATA = 0x300000;

export interface Setup {
  mode?: CpuMode;
  registers?: Partial<Record<keyof typeof REG, number | bigint>>;
  environment?: CpuEnvironment;
  memory?: Memory;
  /** extra bytes to place at DATA */
  data?: Uint8Array;
  traceSize?: number;
  fsBase?: number;
  gsBase?: number;
}

export function makeCpu(code: Uint8Array | number[], setup: Setup = {}): Cpu {
  const mode = setup.mode ?? 32;
  const memory = setup.memory ?? new Memory();
  const cpu = new Cpu({ mode, memory, environment: setup.environment ?? {}, traceSize: setup.traceSize ?? 0 });
  const base = mode === 64 ? CODE_64 : CODE_32;
  const bytes = Uint8Array.from(code);
  memory.map(base, Math.max(bytes.length, 1) + 16, PERM_RWX);
  memory.writeBytes(base, bytes);
  memory.map(STACK_TOP - 0x10000, 0x10000, PERM_READ | PERM_WRITE);
  memory.map(DATA, 0x2000, PERM_READ | PERM_WRITE);
  if (setup.data) memory.writeBytes(DATA, setup.data);
  cpu.ip = base;
  cpu.fsBase = setup.fsBase ?? 0;
  cpu.gsBase = setup.gsBase ?? 0;
  cpu.setRegister(REG.rsp, STACK_TOP - 0x100);
  for (const [name, value] of Object.entries(setup.registers ?? {})) {
    const index = REG[name as keyof typeof REG];
    if (typeof value === 'bigint') cpu.setRegisterBig(index, value);
    else cpu.setRegister(index, value);
  }
  return cpu;
}

/** Runs code that ends with hlt (appended) and returns the CPU and result. */
export function run(code: number[], setup: Setup = {}, limits: RunLimits = {}): { cpu: Cpu; result: RunResult } {
  const cpu = makeCpu([...code, 0xf4], setup);
  const result = cpu.run({ maxInstructions: 100_000, ...limits });
  return { cpu, result };
}

export function reg(cpu: Cpu, name: keyof typeof REG): number {
  return cpu.getRegister(REG[name]);
}

export function regBig(cpu: Cpu, name: keyof typeof REG): bigint {
  return cpu.getRegisterBig(REG[name]);
}
