import type { Bits, StopReason } from './guest.ts';

/** What a recorded call did, for grouping and for verdict rules. */
export type BehaviourKind =
  | 'network'
  | 'process'
  | 'download'
  | 'file'
  | 'memory'
  | 'library'
  | 'resolve'
  | 'thread'
  | 'exit'
  | 'time'
  | 'other';

export type ArgumentValue = string | number | boolean | string[];

/** One API call or system call, with its arguments decoded. */
export interface BehaviourEvent {
  /** 0-based position in the trace */
  sequence: number;
  /** index (over the CPU's life) of the instruction that made the call: instructions executed before it */
  instruction: number;
  /** `ws2_32.connect`, `kernel32.WinExec`, `linux.socketcall.connect`, `linux.execve` */
  api: string;
  kind: BehaviourKind;
  args: Record<string, ArgumentValue>;
  /** one line a person reads: `connect 127.0.0.1:4444`, `exec cmd.exe /c ...` */
  summary: string;
  returnValue?: number;
  /** the return address, where the guest called from */
  caller?: number;
}

/** Code that wrote code and then ran it (a decoder), seen while running. */
export interface DecoderLoopInfo {
  /** offset of the decoder loop's first instruction, when the finder saw one */
  offset?: number;
  /** offset in the input of the first instruction that ran from bytes the code wrote: where the decoded code starts */
  decodedEntryOffset: number;
  /** index of that instruction in the run */
  decodedEntryInstruction: number;
  /** bytes of the input's area that the code wrote while running */
  bytesWritten: number;
}

export interface BehaviourTrace {
  os: 'windows' | 'linux';
  bits: Bits;
  /** offset in the input bytes where the run started */
  entryOffset: number;
  events: BehaviourEvent[];
  decoderLoop?: DecoderLoopInfo;
  instructionCount: number;
  endReason: StopReason;
  endDetail?: string;
  /** virtual milliseconds that passed (Sleep, nanosleep): no real waiting happens */
  virtualTimeMs: number;
  /** events not kept because the trace was full */
  droppedEvents: number;
  /** the last instructions that ran, disassembled (`0x00401000  31 c0  xor eax, eax`), when the
   *  profile was given a disassembler */
  listing?: string[];
}

export type EventInput = Omit<BehaviourEvent, 'sequence' | 'instruction'> & { instruction?: number };

/** Collects events for one run, bounded: past `maxEvents` it counts instead of keeping. */
export class TraceRecorder {
  readonly events: BehaviourEvent[] = [];
  dropped = 0;
  virtualTimeMs = 0;

  constructor(
    private readonly instructionCounter: () => number = () => 0,
    private readonly maxEvents = 10_000,
    /** called once when the trace fills up: a run that has shown this much may stop */
    private readonly onFull: (() => void) | null = null,
  ) {}

  record(input: EventInput): BehaviourEvent {
    const event: BehaviourEvent = {
      ...input,
      sequence: this.events.length + this.dropped,
      instruction: input.instruction ?? this.instructionCounter(),
    };
    if (this.events.length < this.maxEvents) {
      this.events.push(event);
      if (this.events.length === this.maxEvents) this.onFull?.();
    } else this.dropped++;
    return event;
  }

  summaries(): string[] {
    return this.events.map((event) => event.summary);
  }
}

/** Kinds that show attacker code doing something to the outside (not just resolving APIs). */
export const ACTIVE_KINDS: ReadonlySet<BehaviourKind> = new Set(['network', 'process', 'download', 'file']);

/** How much a trace shows: used to pick the best of several runs. */
export function traceScore(trace: Pick<BehaviourTrace, 'events'>): number {
  let score = 0;
  // a call whose buffer could not be read happened in a wrongly placed copy of the code: it counts less
  for (const event of trace.events) score += ACTIVE_KINDS.has(event.kind) ? (event.args.bufferReadable === false ? 5 : 10) : 1;
  return score;
}
