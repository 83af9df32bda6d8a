/**
 * CPU throughput: emulated instructions per second on a decoder-loop workload (the shape of a
 * shellcode XOR decoder: xor a byte, advance, loop over 4 KiB, repeated), for our pure-TypeScript
 * CPU and — in the same run, on the same bytes — for Unicorn through koffi when libunicorn2 is
 * installed; then the time to profile each piece of attacker code in the corpus (finder and runs),
 * when the corpus and tshark are there. Run alone with `npx tsx bench/cpu.ts`; the bench runner
 * calls `main()`.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cpu, Memory, PERM_READ, PERM_RWX, PERM_WRITE } from '../src/emulator/cpu/index.ts';
import { findShellcode, profileShellcode } from '../src/emulator/finder/index.ts';
import { corpusShellcodes, skipWithoutCorpusShellcode } from '../test/helpers/corpus-shellcode.ts';

const CODE = 0x401000;
const DATA = 0x500000;
const BUFFER_BYTES = 4096;

export interface CpuBenchWorkload {
  name: string;
  mode: 32 | 64;
  code: number[];
  /** instructions the code executes before its final hlt */
  instructions: number;
}

export interface CpuBenchResult {
  workload: string;
  instructions: number;
  oursSeconds: number;
  oursInstructionsPerSecond: number;
  unicornSeconds: number | null;
  unicornInstructionsPerSecond: number | null;
  /** why Unicorn was not measured, when it was not */
  unicornSkipped?: string;
}

function le32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}

/** `passes` × (xor byte [esi], al; inc esi; loop) over 4 KiB, then hlt */
export function byteXorDecoder(passes: number): CpuBenchWorkload {
  const code = [
    0xb0, 0x5a, // mov al, 0x5a
    0xba, ...le32(passes), // mov edx, passes
    // outer:
    0xbe, ...le32(DATA), // mov esi, DATA
    0xb9, ...le32(BUFFER_BYTES), // mov ecx, 4096
    // inner:
    0x30, 0x06, // xor [esi], al
    0x46, // inc esi
    0xe2, 0xfb, // loop inner
    0x4a, // dec edx
    0x75, 0xee, // jnz outer
    0xf4, // hlt
  ];
  return { name: 'xor-byte-decoder-32', mode: 32, code, instructions: 2 + passes * (2 + BUFFER_BYTES * 3 + 2) };
}

/** `passes` × (xor dword [esi], ebx; add esi, 4; dec ecx; jnz) over 4 KiB, then hlt */
export function dwordXorDecoder(passes: number): CpuBenchWorkload {
  const words = BUFFER_BYTES / 4;
  const code = [
    0xbb, ...le32(0x1badb002), // mov ebx, key
    0xba, ...le32(passes), // mov edx, passes
    0xbe, ...le32(DATA), // outer: mov esi, DATA
    0xb9, ...le32(words), // mov ecx, 1024
    0x31, 0x1e, // inner: xor [esi], ebx
    0x83, 0xc6, 0x04, // add esi, 4
    0x49, // dec ecx
    0x75, 0xf8, // jnz inner
    0x4a, // dec edx
    0x75, 0xeb, // jnz outer
    0xf4,
  ];
  return { name: 'xor-dword-decoder-32', mode: 32, code, instructions: 2 + passes * (2 + words * 4 + 2) };
}

/**
 * CPU time of this process since `started`, not wall time: the bench machine is shared (2 cores),
 * and both engines run on this thread, so CPU time compares them fairly under load.
 */
function cpuSeconds(started: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1e6;
}

/**
 * The byte decoder unpacking the bytes right after itself, in its own page — what real shellcode
 * does, and what makes every write hit a page holding decoded instructions.
 */
export function byteXorDecoderSamePage(passes: number): CpuBenchWorkload {
  const workload = byteXorDecoder(passes);
  const code = [...workload.code];
  const target = CODE + 0x100;
  code.splice(8, 4, ...le32(target)); // mov esi, CODE + 0x100
  return { ...workload, name: 'xor-byte-decoder-32-same-page', code };
}

/** the byte decoder in 64-bit code: `passes` × (xor byte [rsi], al; inc rsi; loop) over 4 KiB */
export function byteXorDecoder64(passes: number): CpuBenchWorkload {
  const code = [
    0xb0, 0x5a, // mov al, 0x5a
    0xba, ...le32(passes), // mov edx, passes
    0x48, 0xc7, 0xc6, ...le32(DATA), // outer: mov rsi, DATA
    0xb9, ...le32(BUFFER_BYTES), // mov ecx, 4096
    0x30, 0x06, // inner: xor [rsi], al
    0x48, 0xff, 0xc6, // inc rsi
    0xe2, 0xf9, // loop inner (rcx)
    0xff, 0xca, // dec edx
    0x75, 0xe9, // jnz outer
    0xf4,
  ];
  return { name: 'xor-byte-decoder-64', mode: 64, code, instructions: 2 + passes * (2 + BUFFER_BYTES * 3 + 2) };
}

function runOurs(workload: CpuBenchWorkload): number {
  const memory = new Memory();
  memory.map(CODE, 0x2000, PERM_RWX);
  memory.map(DATA, BUFFER_BYTES, PERM_READ | PERM_WRITE);
  memory.writeBytes(CODE, Uint8Array.from(workload.code));
  const cpu = new Cpu({ mode: workload.mode, memory });
  cpu.ip = CODE;
  const started = process.cpuUsage();
  const result = cpu.run({ maxInstructions: workload.instructions + 10, timeBudgetMs: 120_000 });
  const seconds = cpuSeconds(started);
  if (result.reason !== 'hlt' || result.instructions !== workload.instructions + 1) {
    throw new Error(`bench ${workload.name}: ended with ${result.reason} after ${result.instructions} instructions, expected hlt after ${workload.instructions}`);
  }
  return seconds;
}

interface UnicornFunctions {
  open: (arch: number, mode: number, out: unknown[]) => number;
  memMap: (uc: unknown, address: number, size: number, perms: number) => number;
  memWrite: (uc: unknown, address: number, bytes: Uint8Array, size: number) => number;
  start: (uc: unknown, begin: number, until: number, timeout: number, count: number) => number;
  close: (uc: unknown) => number;
}

function loadUnicorn(): UnicornFunctions | string {
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi');
    const lib = koffi.load('libunicorn.so.2');
    return {
      open: lib.func('int uc_open(int arch, int mode, _Out_ void **uc)'),
      memMap: lib.func('int uc_mem_map(void *uc, uint64_t address, size_t size, uint32_t perms)'),
      memWrite: lib.func('int uc_mem_write(void *uc, uint64_t address, const void *bytes, size_t size)'),
      start: lib.func('int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)'),
      close: lib.func('int uc_close(void *uc)'),
    };
  } catch (error) {
    return `libunicorn2/koffi not available: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function runUnicorn(uc: UnicornFunctions, workload: CpuBenchWorkload): number {
  const out: unknown[] = [null];
  if (uc.open(4, workload.mode === 64 ? 8 : 4, out) !== 0) throw new Error('uc_open failed');
  const handle = out[0];
  try {
    uc.memMap(handle, CODE, 0x2000, 7);
    uc.memMap(handle, DATA, BUFFER_BYTES, 3);
    const code = Uint8Array.from(workload.code);
    uc.memWrite(handle, CODE, code, code.length);
    const started = process.cpuUsage();
    // stop at the hlt: unicorn would report hlt as an exception
    const error = uc.start(handle, CODE, CODE + code.length - 1, 0, 0);
    const seconds = cpuSeconds(started);
    if (error !== 0) throw new Error(`unicorn error ${error} in ${workload.name}`);
    return seconds;
  } finally {
    uc.close(handle);
  }
}

/** Measures every workload (best of `repeats`) for ours and Unicorn. */
export function benchCpu(options: { passes?: number; repeats?: number } = {}): CpuBenchResult[] {
  const passes = options.passes ?? 400;
  const repeats = options.repeats ?? 3;
  const unicorn = loadUnicorn();
  const results: CpuBenchResult[] = [];
  for (const workload of [byteXorDecoder(passes), byteXorDecoderSamePage(passes), dwordXorDecoder(passes), byteXorDecoder64(passes)]) {
    runOurs(byteXorDecoder(4)); // warm up the JIT
    let ours = Infinity;
    for (let k = 0; k < repeats; k++) ours = Math.min(ours, runOurs(workload));
    let theirs: number | null = null;
    if (typeof unicorn !== 'string') {
      theirs = Infinity;
      for (let k = 0; k < repeats; k++) theirs = Math.min(theirs, runUnicorn(unicorn, workload));
    }
    const result: CpuBenchResult = {
      workload: workload.name,
      instructions: workload.instructions,
      oursSeconds: ours,
      oursInstructionsPerSecond: workload.instructions / ours,
      unicornSeconds: theirs,
      unicornInstructionsPerSecond: theirs === null ? null : workload.instructions / theirs,
    };
    if (typeof unicorn === 'string') result.unicornSkipped = unicorn;
    results.push(result);
  }
  return results;
}

export function formatCpuBench(results: CpuBenchResult[]): string {
  const lines = results.map((r) => {
    const ours = `${(r.oursInstructionsPerSecond / 1e6).toFixed(1)} M instr/s`;
    const theirs = r.unicornInstructionsPerSecond === null ? `unicorn skipped (${r.unicornSkipped})` : `unicorn ${(r.unicornInstructionsPerSecond / 1e6).toFixed(1)} M instr/s`;
    return `cpu ${r.workload}: ${(r.instructions / 1e6).toFixed(1)} M instructions, ours ${ours}, ${theirs}`;
  });
  return lines.join('\n');
}

export interface ProfileBenchResult {
  payload: string;
  bytes: number;
  /** wall time of findShellcode alone, best of the repeats */
  findMs: number;
  /** wall time of profileShellcode (finder, every candidate run, the best trace), best of the repeats */
  profileMs: number;
  /** instructions the profile ran over all its candidates */
  instructions: number;
  events: number;
  endReason: string;
}

/**
 * Time to profile each piece of attacker code in the corpus: what a dummy spends between the
 * exploit arriving and knowing what it does. Wall time (the finder and the runs are all there is).
 */
export function benchCorpusProfiles(repeats = 3): ProfileBenchResult[] | string {
  const missing = skipWithoutCorpusShellcode();
  if (missing) return missing;
  const results: ProfileBenchResult[] = [];
  for (const shellcode of corpusShellcodes()) {
    let findMs = Infinity;
    let profileMs = Infinity;
    let last: ReturnType<typeof profileShellcode> | null = null;
    for (let k = 0; k < repeats; k++) {
      let started = performance.now();
      findShellcode(shellcode.bytes);
      findMs = Math.min(findMs, performance.now() - started);
      started = performance.now();
      last = profileShellcode(shellcode.bytes, shellcode.profile);
      profileMs = Math.min(profileMs, performance.now() - started);
    }
    results.push({
      payload: shellcode.name,
      bytes: shellcode.bytes.length,
      findMs,
      profileMs,
      instructions: last!.instructionsUsed,
      events: last!.trace?.events.length ?? 0,
      endReason: last!.trace?.endReason ?? 'not_run',
    });
  }
  return results;
}

export function formatProfileBench(results: ProfileBenchResult[] | string): string {
  if (typeof results === 'string') return `profile corpus shellcode: skipped (${results})`;
  return results
    .map(
      (r) =>
        `profile ${r.payload}: ${r.bytes} bytes, find ${r.findMs.toFixed(1)} ms, profile ${r.profileMs.toFixed(1)} ms, ` +
        `${(r.instructions / 1e6).toFixed(2)} M instructions (${(r.instructions / r.profileMs / 1e3).toFixed(1)} M/s), ${r.events} events, ended ${r.endReason}`,
    )
    .join('\n');
}

/** The target of issue 3 for the pure-TypeScript engine on this workload. */
export const TARGET_INSTRUCTIONS_PER_SECOND = 50e6;

/**
 * Entry point for bench/run.ts (`npm run bench -- cpu [--passes N] [--repeats N] [--no-corpus] [--json]`).
 * Returns the exit code: 0, or 1 when the engine is below the target on every 32-bit workload.
 */
export async function main(args: string[]): Promise<number> {
  const option = (name: string): number | undefined => {
    const index = args.indexOf(name);
    return index >= 0 ? Number(args[index + 1]) : undefined;
  };
  const results = benchCpu({ passes: option('--passes') ?? 2000, repeats: option('--repeats') ?? 3 });
  const profiles = args.includes('--no-corpus') ? 'skipped by --no-corpus' : benchCorpusProfiles(option('--repeats') ?? 3);
  if (args.includes('--json')) console.log(JSON.stringify({ cpu: results, profiles }, null, 2));
  else console.log(`${formatCpuBench(results)}\n${formatProfileBench(profiles)}`);
  const best = Math.max(...results.filter((r) => r.workload.endsWith('-32')).map((r) => r.oursInstructionsPerSecond));
  if (best < TARGET_INSTRUCTIONS_PER_SECOND) {
    console.log(`cpu: below the target of ${TARGET_INSTRUCTIONS_PER_SECOND / 1e6} M instructions/s (measured in CPU time; a loaded machine lowers it)`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
