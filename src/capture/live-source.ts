/**
 * Live capture by running tcpdump and reading the pcap stream it writes to stdout.
 *
 * Why tcpdump rather than libpcap bindings: there is no native addon to build or keep matching
 * the Node ABI; tcpdump opens the interface as root and then drops privileges itself (to the
 * `tcpdump` user on Debian), so crashtest need not hold CAP_NET_RAW; it compiles BPF filters with
 * the same libpcap every operator knows; and its output is plain pcap, so live frames go through
 * the very `CaptureParser` that reads files. The price is one pipe copy per packet, well below
 * what the pipeline costs anyway.
 *
 * Command: `tcpdump -i IFACE -w - -U -n -s SNAPLEN [--immediate-mode] [-B KiB] [filter]`. `-U`
 * flushes after every packet so no frame waits in stdio buffers; without `--immediate-mode`
 * libpcap still hands packets over in TPACKET_V3 blocks (up to its timeout, about a second later),
 * which is cheaper at high rates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CrashtestError, type Frame } from '../core/index.ts';
import { CaptureParser } from './capture-parser.ts';
import { emptyTcpdumpStats, parseTcpdumpStatsLine, type TcpdumpStats } from './tcpdump-stats.ts';

export interface LiveCaptureOptions {
  /** interface name, e.g. 'eth1' (a SPAN port) */
  interface: string;
  /** called synchronously per frame; `frame.data` is valid only during the call */
  onFrame: (frame: Frame) => void;
  /**
   * Called once if tcpdump exits on its own after it started listening, or the source fails (a
   * corrupt stream, or `onFrame` threw); never for `close()` or a plain `destroy()`.
   */
  onDied?: (death: LiveCaptureDeath) => void;
  /** BPF filter expression, passed to tcpdump as one argument */
  filter?: string;
  /** bytes kept per packet, default 262144 (whole frames) */
  snaplen?: number;
  /**
   * Deliver every packet at once instead of in kernel blocks. Costs more at high rates, and
   * libpcap then uses fixed snaplen-sized ring slots (TPACKET_V2): with the default 262144-byte
   * snaplen and 2 MiB ring that is about 8 slots, and we saw the kernel drop packets at only
   * 2000 packets/s on a loaded machine. Raise `bufferKiB` or lower `snaplen` with it.
   */
  immediate?: boolean;
  /** kernel ring buffer size in KiB (tcpdump -B); libpcap's default is 2 MiB */
  bufferKiB?: number;
  /** default 'tcpdump' from PATH */
  tcpdumpPath?: string;
  /** how long tcpdump may take to start listening, default 10 s */
  startTimeoutMs?: number;
  /** aborting destroys the source */
  signal?: AbortSignal;
}

export type LiveCaptureStats = TcpdumpStats;

export interface LiveCaptureDeath {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** CT_ERR_CAPTURE_LIVE, its message quoting tcpdump's last words */
  error: CrashtestError;
}

export interface LiveCaptureSummary extends LiveCaptureStats {
  /** frames delivered to `onFrame` */
  frames: number;
  /** captured bytes delivered */
  bytes: number;
  /** the link type tcpdump reported, -1 if it never wrote a header */
  linkType: number;
  /** bytes of a record tcpdump had only half written when it stopped (after a kill); not delivered */
  partialRecordBytes: number;
  /**
   * Packets the kernel handed to tcpdump's ring (received by filter, not dropped) that never reached
   * `onFrame` because capture stopped: still in the ring at SIGINT, or in the pipe at a kill. A
   * loss, not a drop the kernel counts; from tcpdump's last report, so after a SIGKILL it may be low.
   */
  undelivered: number;
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  /** set when tcpdump exited on its own, or the source was destroyed with an error */
  died?: LiveCaptureDeath;
}

const STDERR_KEEP_CHARS = 16_384;
const STOP_TIMEOUT_MS = 5_000;
const STATS_TIMEOUT_MS = 5_000;
/** close() waits this long at most for frames already in the ring (a TPACKET_V3 block retires within ~1 s) */
const DRAIN_TIMEOUT_MS = 2_000;

/**
 * One running tcpdump. `open()` resolves once tcpdump is listening; `close()` stops it with
 * SIGINT (so it flushes and reports its counts) and resolves with the final summary; `destroy()`
 * kills it at once. Both are idempotent; `stats()` after either throws CT_ERR_INVALID_STATE.
 */
export class LiveCaptureSource {
  private readonly parser: CaptureParser;
  private readonly description: string;
  private readonly latestStats = emptyTcpdumpStats();
  private statsWaiters: Array<(stats: LiveCaptureStats) => void> = [];
  private stderrTail = '';
  private stderrLine = '';
  private frameCount = 0;
  private byteCount = 0;
  private exited = false;
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private stopping = false;
  /** set by destroy(): whatever is still in the pipe is dropped */
  private discarding = false;
  private death: LiveCaptureDeath | undefined;
  private readonly exitPromise: Promise<void>;
  private closing: Promise<LiveCaptureSummary> | null = null;
  private onListening: (() => void) | null = null;

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: LiveCaptureOptions,
  ) {
    this.description = `tcpdump -i ${options.interface}`;
    this.parser = new CaptureParser(
      (frame) => {
        this.frameCount += 1;
        this.byteCount += frame.data.length;
        options.onFrame(frame);
      },
      { source: this.description, live: true },
    );
    this.exitPromise = new Promise((resolve) => {
      // A spawn that failed (no such program) emits 'error' and may never emit 'close'.
      child.on('error', () => {
        if (child.pid !== undefined) return;
        this.exited = true;
        resolve();
      });
      child.on('close', (code, signal) => {
        if (this.exited) return;
        this.exited = true;
        this.exitCode = code;
        this.exitSignal = signal;
        this.flushStderrLine();
        if (!this.stopping) this.reportDeath(null);
        for (const waiter of this.statsWaiters) waiter({ ...this.latestStats });
        this.statsWaiters = [];
        resolve();
      });
    });
    child.stdout!.on('data', (chunk: Buffer) => this.consume(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => this.readStderr(text));
  }

  /** Starts tcpdump and resolves once it is listening; rejects with CT_ERR_CAPTURE_LIVE. */
  static open(options: LiveCaptureOptions): Promise<LiveCaptureSource> {
    const args = ['-i', options.interface, '-w', '-', '-U', '-n', '-s', String(options.snaplen ?? 262_144)];
    if (options.immediate) args.push('--immediate-mode');
    if (options.bufferKiB !== undefined) args.push('-B', String(options.bufferKiB));
    if (options.filter !== undefined && options.filter.trim() !== '') args.push('--', options.filter);
    const program = options.tcpdumpPath ?? 'tcpdump';
    options.signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const source = new LiveCaptureSource(child, options);
      const timer = setTimeout(() => {
        source.destroy();
        reject(liveError(`${source.description} did not start listening within ${options.startTimeoutMs ?? 10_000} ms${source.lastWords()}`));
      }, options.startTimeoutMs ?? 10_000);
      const settle = (error: CrashtestError | null) => {
        clearTimeout(timer);
        source.onListening = null;
        if (error === null) {
          options.signal?.addEventListener('abort', () => source.destroy(), { once: true });
          resolve(source);
        } else {
          reject(error);
        }
      };
      source.onListening = () => settle(null);
      child.on('error', (error: NodeJS.ErrnoException) => {
        const reason = error.code === 'ENOENT' ? `${program} not found; install tcpdump or set tcpdumpPath` : error.message;
        source.stopping = true;
        settle(liveError(`cannot start live capture on ${options.interface}: ${reason}`, error));
      });
      void source.exitPromise.then(() => {
        if (source.onListening !== null) settle(source.startFailure());
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get closed(): boolean {
    return this.stopping || this.exited;
  }

  get frames(): number {
    return this.frameCount;
  }

  /** Asks tcpdump for its current counts (SIGUSR1). */
  stats(): Promise<LiveCaptureStats> {
    if (this.closed) return Promise.reject(new CrashtestError('CT_ERR_INVALID_STATE', `${this.description}: stats() after close`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(liveError(`${this.description} did not report its counts within ${STATS_TIMEOUT_MS} ms`)), STATS_TIMEOUT_MS);
      this.statsWaiters.push((stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      this.child.kill('SIGUSR1');
    });
  }

  /**
   * Stops tcpdump (SIGINT, SIGKILL after 5 s), waits for its last frames and counts. Packets tcpdump
   * has not read from the kernel ring by then are lost on SIGINT, so it first waits (up to 2 s) for
   * the frames the ring held when close() was called; what is still lost is `undelivered`.
   */
  close(): Promise<LiveCaptureSummary> {
    this.closing ??= (async () => {
      if (!this.exited) {
        await this.drain();
        this.stopping = true;
        this.child.kill('SIGINT');
        const killer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await this.exitPromise;
        clearTimeout(killer);
      }
      // No parser.end(): after SIGINT tcpdump has written whole records, and after a kill a
      // half-written last record is expected and worth no error, only a count (partialRecordBytes).
      return this.summary();
    })();
    return this.closing;
  }

  /** Waits until the frames the kernel had accepted when called are delivered, or DRAIN_TIMEOUT_MS. */
  private async drain(): Promise<void> {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    let target: number;
    try {
      const stats = await this.stats();
      target = stats.receivedByFilter - stats.droppedByKernel;
    } catch {
      return; // tcpdump did not answer: close() goes on, and the summary says what was lost
    }
    while (this.frameCount < target && !this.exited && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Kills tcpdump now; frames still in the pipe are dropped. */
  destroy(error?: Error): void {
    if (this.closed) return;
    this.stopping = true;
    this.discarding = true;
    if (error !== undefined) this.reportDeath(error);
    this.child.kill('SIGKILL');
  }

  private summary(): LiveCaptureSummary {
    const parsed = this.parser.summary();
    const summary: LiveCaptureSummary = {
      ...this.latestStats,
      frames: this.frameCount,
      bytes: this.byteCount,
      linkType: parsed?.linkTypes[0] ?? -1,
      partialRecordBytes: this.parser.pendingBytes,
      undelivered: Math.max(0, this.latestStats.receivedByFilter - this.latestStats.droppedByKernel - this.frameCount),
      exitCode: this.exitCode,
      exitSignal: this.exitSignal,
    };
    if (this.death !== undefined) summary.died = this.death;
    return summary;
  }

  private consume(chunk: Buffer): void {
    if (this.discarding || this.death !== undefined) return;
    try {
      this.parser.push(chunk);
    } catch (error) {
      // A bad stream from tcpdump, or a consumer's bug in onFrame: either way this source is done.
      this.destroy(error as Error);
    }
  }

  private readStderr(text: string): void {
    this.stderrTail = (this.stderrTail + text).slice(-STDERR_KEEP_CHARS);
    const lines = (this.stderrLine + text).split('\n');
    this.stderrLine = lines.pop() ?? '';
    for (const line of lines) this.readStderrLine(line);
  }

  private flushStderrLine(): void {
    if (this.stderrLine !== '') this.readStderrLine(this.stderrLine);
    this.stderrLine = '';
  }

  private readStderrLine(line: string): void {
    if (this.onListening !== null && line.includes('listening on')) this.onListening();
    if (parseTcpdumpStatsLine(line, this.latestStats)) {
      for (const waiter of this.statsWaiters) waiter({ ...this.latestStats });
      this.statsWaiters = [];
    }
  }

  /** tcpdump exited (or the source failed) without being asked to. */
  private reportDeath(cause: Error | null): void {
    if (this.death !== undefined) return;
    const how = this.exitSignal !== null ? `signal ${this.exitSignal}` : `code ${this.exitCode}`;
    const error =
      cause !== null
        ? liveError(`live capture on ${this.options.interface} stopped: ${cause.message}`, cause)
        : liveError(`${this.description} exited on its own (${how})${this.lastWords()}`);
    this.death = { pid: this.pid, code: this.exitCode, signal: this.exitSignal, error };
    if (this.onListening === null) this.options.onDied?.(this.death);
  }

  /** Why tcpdump failed to start, in words an operator can act on. */
  private startFailure(): CrashtestError {
    const said = this.stderrTail;
    const name = this.options.interface;
    let reason = `tcpdump exited with code ${this.exitCode}`;
    if (/No such device|doesn't exist|no such device/i.test(said)) reason = `no such interface ${name}`;
    else if (/permission|not permitted/i.test(said)) reason = `no permission to capture on ${name} (run as root or grant tcpdump CAP_NET_RAW)`;
    else if (/syntax error|can't parse filter|illegal|unknown (port|host|protocol|network)/i.test(said)) reason = `tcpdump rejected the filter ${JSON.stringify(this.options.filter ?? '')}`;
    return liveError(`cannot start live capture on ${name}: ${reason}${this.lastWords()}`);
  }

  private lastWords(): string {
    const words = this.stderrTail.trim().split('\n').slice(-2).join(' / ');
    return words === '' ? '' : ` (tcpdump said: ${words})`;
  }
}

function liveError(message: string, cause?: unknown): CrashtestError {
  return new CrashtestError('CT_ERR_CAPTURE_LIVE', message, {}, cause === undefined ? undefined : { cause });
}
