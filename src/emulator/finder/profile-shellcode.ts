/**
 * Runs the candidates the finder proposes, each in a fresh emulated process, within an
 * instruction budget per candidate and in total, and keeps the run that showed the most
 * behaviour. This is how a byte stream becomes "connects to 10.0.0.5:4444" or "nothing".
 */
import { CpuGuest } from '../behaviour/cpu-adapter.ts';
import type { Bits, StopReason } from '../behaviour/guest.ts';
import { RecordingEndpoint, type NetworkEndpoint } from '../behaviour/network-endpoint.ts';
import { executedListing, formatListing, type Disassembler } from '../behaviour/disassembly.ts';
import { ACTIVE_KINDS, traceScore, type BehaviourTrace, type DecoderLoopInfo } from '../behaviour/trace.ts';
import type { RunResult } from '../cpu/index.ts';
import { LinuxProcess } from '../linux/linux-process.ts';
import { WindowsProcess, type WindowsProcessOptions } from '../windows/windows-process.ts';
import { WindowsKernel } from '../windows-kernel/windows-kernel.ts';
import { findKernelEntries } from './kernel-entries.ts';
import { findShellcode, type ShellcodeCandidate } from './shellcode-finder.ts';

/** `kernel`: a Windows 7 / 2008 R2 x64 kernel (windows-kernel/) instead of a user process */
export type ProfileTarget = { os: 'windows' | 'linux'; bits: Bits; kernel?: boolean };

export interface ProfileOptions {
  /** environments to try, in order; default: from the candidate's hints, else Windows x86 then Linux x86 */
  targets?: ProfileTarget[];
  /** run these offsets of `bytes` instead of asking the finder */
  offsets?: number[];
  maxCandidates?: number;
  instructionsPerCandidate?: number;
  totalInstructions?: number;
  /** wall-clock budget for all runs together */
  timeBudgetMs?: number;
  /** a fresh endpoint per run (runs must not see each other's sockets) */
  endpoint?: () => NetworkEndpoint;
  /** the Windows process: version, the vulnerable application's modules (from the dummy's profile) */
  windows?: Omit<WindowsProcessOptions, 'endpoint'>;
  /** keep going after a run that showed network/process/file behaviour */
  exhaustive?: boolean;
  /** where the code lies: an RWX region, or the stack with esp at the entry (a stack overflow's
   *  `jmp esp`); auto tries the region, then the stack when the region run faulted without behaviour */
  placement?: Placement | 'auto';
  /** with a disassembler, each trace carries a listing of the last instructions that ran (evidence) */
  disassembler?: Disassembler;
  /** instructions in that listing (rounded up to a power of two); default 64 */
  listingLength?: number;
  /** events a run keeps; with `stopWhenFull` the run ends there (enough behaviour is known) */
  traceLimit?: { maxEvents: number; stopWhenFull: boolean };
}

export type Placement = 'region' | 'stack';

/** What one run needs of the profile's options. */
export type RunOptions = Pick<ProfileOptions, 'endpoint' | 'windows' | 'disassembler' | 'listingLength' | 'traceLimit'> & { placement?: Placement };

export interface ProfileAttempt {
  offset: number;
  encoding: string;
  os: 'windows' | 'linux';
  bits: Bits;
  placement: Placement;
  endReason: StopReason;
  instructions: number;
  events: number;
  score: number;
}

export interface ProfileResult {
  /** the best run's trace, or null when nothing was worth running */
  trace: BehaviourTrace | null;
  candidate: ShellcodeCandidate | null;
  attempts: ProfileAttempt[];
  candidates: ShellcodeCandidate[];
  instructionsUsed: number;
}

const DEFAULTS = { instructionsPerCandidate: 2_000_000, totalInstructions: 20_000_000, timeBudgetMs: 5_000 };

export function profileShellcode(bytes: Uint8Array, options: ProfileOptions = {}): ProfileResult {
  const kernelOnly = options.targets !== undefined && options.targets.every((target) => target.kernel === true);
  const candidates: ShellcodeCandidate[] = options.offsets
    ? options.offsets.map((offset) => ({ offset, score: 0, reasons: [], encoding: 'raw', bytes, sourceOffset: offset, hints: {} }))
    : kernelOnly
      ? findKernelEntries(bytes) // kernel targets given: only kernel entries are worth their budget
      : [...findKernelEntries(bytes), ...findShellcode(bytes, { maxCandidates: options.maxCandidates ?? 6 })];
  const perCandidate = options.instructionsPerCandidate ?? DEFAULTS.instructionsPerCandidate;
  let remaining = options.totalInstructions ?? DEFAULTS.totalInstructions;
  const deadline = performance.now() + (options.timeBudgetMs ?? DEFAULTS.timeBudgetMs);
  const attempts: ProfileAttempt[] = [];
  let best: { trace: BehaviourTrace; candidate: ShellcodeCandidate; score: number } | null = null;

  const placements: Placement[] = options.placement === undefined || options.placement === 'auto' ? ['region', 'stack'] : [options.placement];
  const plan = candidates.flatMap((candidate) => targetsFor(candidate, options.targets).map((target) => ({ candidate, target })));
  for (const { candidate, target } of plan) {
    let done = false;
    // kernel payloads run from pool: there is no stack placement to try
    for (const placement of target.kernel ? (['region'] as const) : placements) {
      const timeLeft = deadline - performance.now();
      if (remaining <= 0 || timeLeft <= 0) break;
      const trace = runOnce(candidate, target, Math.min(perCandidate, remaining), timeLeft, { ...options, placement });
      remaining -= trace.instructionCount;
      const score = traceScore(trace);
      attempts.push({
        offset: candidate.offset,
        encoding: candidate.encoding,
        os: target.os,
        bits: target.bits,
        placement,
        endReason: trace.endReason,
        instructions: trace.instructionCount,
        events: trace.events.length,
        score,
      });
      if (best === null || score > best.score) best = { trace, candidate, score };
      const active = trace.events.some((event) => ACTIVE_KINDS.has(event.kind));
      // code that sent from an unreadable buffer refers to its own bytes through the stack pointer
      const unreadable = trace.events.some((event) => event.args.bufferReadable === false);
      done = active && !unreadable && !options.exhaustive;
      // the stack is the second try, for code that crashed in the region or sent unreadable bytes
      if ((active && !unreadable) || (!active && trace.endReason !== 'fault')) break;
    }
    if (done || remaining <= 0 || performance.now() >= deadline) break;
  }
  const used = (options.totalInstructions ?? DEFAULTS.totalInstructions) - remaining;
  return { trace: best?.trace ?? null, candidate: best?.candidate ?? null, attempts, candidates, instructionsUsed: used };
}

function targetsFor(candidate: ShellcodeCandidate, given: ProfileTarget[] | undefined): ProfileTarget[] {
  if (given) return given;
  if (candidate.hints.kernel) return [{ os: 'windows', bits: 64, kernel: true }];
  const bits = candidate.hints.bits;
  const os = candidate.hints.os;
  if (os && bits) return [{ os, bits }];
  if (os) return [{ os, bits: 32 }, { os, bits: 64 }];
  if (bits === 64) return [{ os: 'windows', bits: 64 }, { os: 'linux', bits: 64 }];
  return [{ os: 'windows', bits: 32 }, { os: 'linux', bits: 32 }];
}

function traceOptions(options: RunOptions): { maxEvents?: number; stopWhenTraceFull?: boolean } {
  return options.traceLimit ? { maxEvents: options.traceLimit.maxEvents, stopWhenTraceFull: options.traceLimit.stopWhenFull } : {};
}

/** One run of one candidate in one fresh process. */
export function runOnce(
  candidate: Pick<ShellcodeCandidate, 'bytes' | 'offset' | 'decoderLoopOffset'>,
  target: ProfileTarget,
  maxInstructions: number,
  timeBudgetMs: number,
  options: RunOptions = {},
): BehaviourTrace {
  return new EmulatedRun(candidate, target, options).resume(maxInstructions, timeBudgetMs);
}

/**
 * Attacker code loaded into a fresh process, run in steps: a run that ends `blocked` (a receive
 * with no data yet) resumes where it stopped once the endpoint has data, which is how a replayed
 * dialog feeds a stager its stage. The trace accumulates over the steps.
 */
export class EmulatedRun {
  readonly guest: CpuGuest;
  readonly process: WindowsProcess | LinuxProcess | WindowsKernel;
  readonly endpoint: NetworkEndpoint;
  private readonly base: number;
  private readonly length: number;
  /** where written bytes first ran, in order (the CPU's notices), at most MAX_WRITTEN_CODE_NOTICES */
  readonly writtenCodeRuns: Array<{ address: number; instruction: number }> = [];
  private instructions = 0;
  private readonly disassembler: Disassembler | undefined;

  constructor(
    private readonly candidate: Pick<ShellcodeCandidate, 'bytes' | 'offset' | 'decoderLoopOffset'>,
    readonly target: ProfileTarget,
    options: RunOptions = {},
  ) {
    this.disassembler = options.disassembler;
    this.guest = CpuGuest.create(target.bits, undefined, options.disassembler ? (options.listingLength ?? 64) : 0);
    this.endpoint = options.endpoint?.() ?? new RecordingEndpoint();
    const cpu = this.guest.cpu;
    cpu.memory.trackWrites = true;
    const onFirstExecuteOfWritten = (_cpu: unknown, address: number): void => {
      if (this.writtenCodeRuns.length < MAX_WRITTEN_CODE_NOTICES) this.writtenCodeRuns.push({ address, instruction: cpu.instructionCount });
    };
    if (target.kernel) {
      const kernel = new WindowsKernel(cpu, { ...(options.windows?.maxEvents !== undefined ? { maxEvents: options.windows.maxEvents } : {}) });
      cpu.environment = kernel.environment({ onFirstExecuteOfWritten });
      this.process = kernel;
    } else if (target.os === 'windows') {
      const windows = new WindowsProcess(this.guest, { ...options.windows, endpoint: this.endpoint, ...traceOptions(options) });
      cpu.environment = {
        onHook: (_cpu, address) => void windows.handleHook(address),
        onSyscall: (_cpu, kind) => windows.handleSyscall(kind),
        onException: (_cpu, fault) => windows.handleException(fault),
        onFirstExecuteOfWritten,
      };
      this.process = windows;
    } else {
      const linux = new LinuxProcess(this.guest, { endpoint: this.endpoint, ...traceOptions(options) });
      cpu.environment = { onSyscall: (_cpu, kind) => linux.handleSyscall(kind), onFirstExecuteOfWritten };
      this.process = linux;
    }
    const onStack = options.placement === 'stack';
    this.base = onStack ? this.process.loadCodeOnStack(candidate.bytes) : this.process.loadCode(candidate.bytes);
    this.length = candidate.bytes.length;
    this.process.prepareThread(this.base + candidate.offset, onStack ? this.base + candidate.offset : undefined);
  }

  /** Runs on from where the last step stopped; returns the trace so far. */
  resume(maxInstructions: number, timeBudgetMs: number): BehaviourTrace {
    const result = this.guest.cpu.run({ maxInstructions, timeBudgetMs });
    this.instructions += result.instructions;
    // what a kernel payload changed (a hooked dispatch table) shows however the run ended
    if (this.process instanceof WindowsKernel) this.process.inspectImplants();
    const trace: BehaviourTrace = {
      os: this.target.os,
      bits: this.target.bits,
      entryOffset: this.candidate.offset,
      events: this.process.trace.events,
      instructionCount: this.instructions,
      endReason: result.reason,
      virtualTimeMs: this.process.trace.virtualTimeMs,
      droppedEvents: this.process.trace.dropped,
    };
    const detail = describeEnd(result);
    if (detail) trace.endDetail = detail;
    const decoder = this.decoderActivity();
    if (decoder) trace.decoderLoop = decoder;
    if (this.disassembler) {
      const lines = executedListing(this.guest.cpu, this.disassembler);
      trace.listing = formatListing(lines).split('\n');
    }
    return trace;
  }

  /**
   * A decoder shows itself by running bytes it wrote: the CPU's first notice inside the input's
   * bytes is where the decoded code started.
   */
  private decoderActivity(): DecoderLoopInfo | undefined {
    const inside = this.writtenCodeRuns.find((run) => run.address >= this.base && run.address < this.base + this.length);
    if (!inside) return undefined;
    const info: DecoderLoopInfo = {
      decodedEntryOffset: inside.address - this.base,
      decodedEntryInstruction: inside.instruction,
      bytesWritten: this.guest.cpu.memory.countWritten(this.base, this.length),
    };
    if (this.candidate.decoderLoopOffset !== undefined) info.offset = this.candidate.decoderLoopOffset;
    return info;
  }
}

/** notices of written code kept per run: the first is the decoder's output, the rest are context */
const MAX_WRITTEN_CODE_NOTICES = 64;


function describeEnd(result: RunResult): string | undefined {
  const parts: string[] = [];
  if (result.detail !== undefined) parts.push(result.detail.split('\n')[0]!);
  if (result.fault) parts.push(`${result.fault.kind} at 0x${BigInt.asUintN(64, BigInt(Math.trunc(result.fault.address))).toString(16)}`);
  // a kernel address is a negative number (cpu/memory.ts): print its 64-bit value
  parts.push(`ip 0x${BigInt.asUintN(64, BigInt(result.address)).toString(16)}`);
  return parts.join('; ');
}
