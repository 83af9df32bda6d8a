import { readCaptureFile } from '../capture/index.ts';
import { Counters, CrashtestError, isCrashtestError, type Packet, type Session } from '../core/index.ts';
import { defaultConfig, type FrozenConfig } from '../config/index.ts';
import { PacketDecoder } from '../decode/index.ts';
import { FlowTable } from '../flow/index.ts';

/** Where a session came from: the capture file and its position in the job's file list. */
export interface SessionSource {
  file: string;
  fileIndex: number;
}

export interface SessionsJobOptions {
  config?: FrozenConfig;
  /** called once per session as the flow table ends it (timeouts, FIN/RST, end of file) */
  onSession: (session: Session, source: SessionSource) => void;
  /** called with every decoded packet before the flow table sees it (attribution learns IP→MAC here); valid only during the call */
  onPacket?: (packet: Packet, source: SessionSource) => void;
  /** called after each file, with its result, before the next file starts */
  onFileDone?: (result: FileResult) => void;
  signal?: AbortSignal;
  /**
   * 'callback': each session's turns are valid only while `onSession` runs (a consumer that keeps
   * one copies it), which spares a copy of every payload byte into fresh memory. Default 'owned'.
   */
  turnLifetime?: 'owned' | 'callback';
}

export interface FileResult {
  file: string;
  fileIndex: number;
  frames: number;
  /** captured bytes of those frames (frame.data lengths) */
  bytes: number;
  sessions: number;
  /** why the file stopped early; sessions read before it were still emitted. null when it read to the end */
  error: CrashtestError | Error | null;
  /** this file's pipeline counters */
  counters: Record<string, number>;
}

export interface SessionsJobResult {
  files: FileResult[];
  /** files whose read stopped with an error */
  failed: number;
  /** all files' counters merged (see mergeCounters) */
  counters: Record<string, number>;
}

/**
 * Reads capture files into sessions: capture → decode → flow, one file after the other.
 *
 * Each file gets its own decoder, flow table and counters, so a session never spans two files
 * (two captures of the same 5-tuple are two sessions, each with its own timestamps and sequence
 * space; fragments never join across files), and a file's memory is released before the next one.
 * The cost is that a connection split over rotated capture files becomes two sessions, the second
 * one mid-stream; merging rotated files is a job for a caller that knows they are consecutive.
 *
 * A file that stops with an error (truncated, corrupt, unreadable) still has every session it had
 * opened flushed with `end_of_capture`; the error goes into its FileResult and the next file runs.
 * An exception out of decode or flow is a bug, but it is handled the same way (the CLI prints it as
 * an internal error with its stack) so one bad file cannot hide the others' sessions.
 * An error thrown by `onSession` or an abort stops the whole job.
 */
export async function runSessionsJob(files: readonly string[], options: SessionsJobOptions): Promise<SessionsJobResult> {
  const config = options.config ?? defaultConfig();
  const results: FileResult[] = [];
  for (let fileIndex = 0; fileIndex < files.length; fileIndex++) {
    options.signal?.throwIfAborted();
    const result = await runFile(files[fileIndex]!, fileIndex, config, options);
    results.push(result);
    options.onFileDone?.(result);
  }
  return {
    files: results,
    failed: results.filter((result) => result.error !== null).length,
    counters: mergeCounters(results.map((result) => result.counters)),
  };
}

class CallbackError extends Error {
  constructor(readonly original: unknown) {
    super('session callback failed');
  }
}

async function runFile(file: string, fileIndex: number, config: FrozenConfig, options: SessionsJobOptions): Promise<FileResult> {
  const counters = new Counters();
  const source: SessionSource = { file, fileIndex };
  let sessions = 0;
  let frames = 0;
  let bytes = 0;
  const emit = (session: Session): void => {
    sessions++;
    try {
      options.onSession(session, source);
    } catch (error) {
      // a consumer's failure is not this file's fault: it must not be reported as a read error
      throw new CallbackError(error);
    }
  };
  const decoder = new PacketDecoder(config.decode, counters);
  const table = new FlowTable(config.flow, counters, emit, { turnLifetime: options.turnLifetime ?? 'owned' });
  let error: CrashtestError | Error | null = null;
  try {
    await readCaptureFile(
      file,
      (frame) => {
        frames++;
        bytes += frame.data.length;
        const packet = decoder.decode(frame);
        if (packet === null) return;
        options.onPacket?.(packet, source);
        table.add(packet);
      },
      { signal: options.signal },
    );
  } catch (caught) {
    if (caught instanceof CallbackError) throw caught.original;
    if (options.signal?.aborted) throw caught;
    error = isCrashtestError(caught) || caught instanceof Error ? caught : new Error(String(caught));
  }
  try {
    table.flush('end_of_capture');
  } catch (caught) {
    throw caught instanceof CallbackError ? caught.original : caught;
  }
  counters.set('capture.frames', frames);
  if (error !== null) counters.add('capture.files_failed');
  return { file, fileIndex, frames, bytes, sessions, error, counters: counters.snapshot() };
}

/**
 * Sums counters over files, except the high-water marks (`*_peak`, `*.peak_*`), where the highest
 * file wins. Gauges published at the end of a file (flow.active, flow.memory_bytes) are 0 after the
 * final flush, so summing them is harmless.
 */
export function mergeCounters(all: readonly Record<string, number>[]): Record<string, number> {
  const merged = new Map<string, number>();
  for (const counters of all) {
    for (const [name, value] of Object.entries(counters)) {
      const current = merged.get(name);
      if (current === undefined) merged.set(name, value);
      else merged.set(name, isHighWaterMark(name) ? Math.max(current, value) : current + value);
    }
  }
  return Object.fromEntries([...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function isHighWaterMark(name: string): boolean {
  return name.endsWith('_peak') || name.includes('.peak_') || name.endsWith('.peak');
}
