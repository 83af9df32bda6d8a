/**
 * The live sensor's capture spool: every frame one interface captured, appended as it arrives to a
 * ring of pcap files on disk, so that when a verdict comes in (seconds or minutes later) its causal
 * session's original frames can be cut out for the evidence folder, as `analyze` cuts them from its
 * capture file. A live capture has no file to read twice; this is that file, bounded.
 *
 * Write path: `append` encodes the record into the current PcapWriter's buffer (one copy of the
 * frame bytes) and returns; the writer hands full 1 MiB buffers to the disk in the background.
 * Bounds, each counted when it fires:
 * - `fileBytes` per file and `files` files: past `fileBytes` the spool moves to a new file, and
 *   past `files` files the oldest is deleted (`sensor.spool.files_deleted`). The newest capture
 *   time in a deleted file is remembered, so a cut can tell that frames were rotated away.
 * - the disk falling behind: once the writer holds its high-water mark waiting for the disk, frames
 *   are not spooled until it drains (`sensor.spool.dropped_frames`), so a slow disk costs evidence,
 *   never memory or capture.
 * - a write error: the spool stops (`sensor.spool.write_failed`, logged once) and every later frame
 *   counts as dropped; capture goes on.
 *
 * Read path: a cut flushes, then reads only the files whose time range meets the session's, and in
 * them only from the checkpoint before the session to the one after it (one per MiB written).
 *
 * Lifecycle: `close()` finishes the writes and deletes the spool's files (they serve this run only;
 * a new run first deletes what a crashed one left); `destroy()` does the same without waiting.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CaptureParser, PcapWriter } from '../capture/index.ts';
import type { Counters, Frame } from '../core/index.ts';

export interface CaptureSpoolOptions {
  dir: string;
  /** the interface: names the files (`eth1-000001.pcap`) */
  name: string;
  /** a file is finished once it holds this many bytes */
  fileBytes: number;
  /** files kept; beyond it the oldest is deleted */
  files: number;
  counters: Counters;
  log?: (line: string) => void;
}

/** frames held while the next file is being opened (a few ms); beyond it they are counted as dropped */
const MAX_OPENING_BYTES = 8 * 1024 * 1024;
const PCAP_FILE_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;
/** a (time, byte offset) checkpoint per this many bytes, so a cut reads the part of a file it needs */
const CHECKPOINT_BYTES = 1024 * 1024;
/** a cut starts this much before the session at the checkpoints (capture times are not strictly ordered) */
const CHECKPOINT_MARGIN_SECONDS = 1;
const READ_CHUNK_BYTES = 1024 * 1024;

interface SpoolFile {
  readonly path: string;
  readonly linkType: number;
  writer: PcapWriter | null;
  /** frames that arrived while the file was being opened (copies) */
  opening: Frame[];
  openingBytes: number;
  /** resolves once the writer exists (or failed) */
  ready: Promise<void>;
  /** resolves once the file is closed (set when the spool moved past it) */
  finished: Promise<void> | null;
  /** bytes in the file once every write is done, its header included */
  bytes: number;
  /** capture time of its first and last frame, seconds (fractional); NaN while empty */
  firstSeconds: number;
  lastSeconds: number;
  /** where the record of the first frame past each CHECKPOINT_BYTES boundary starts, and its time */
  checkpoints: Array<{ seconds: number; offset: number }>;
}

/** What a read of the spool saw, for the evidence note. */
export interface SpoolCoverage {
  /** newest capture time whose frames were deleted by rotation; -Infinity when nothing was */
  rotatedThroughSeconds: number;
  /** newest capture time of a frame dropped because the disk fell behind; -Infinity when none */
  droppedThroughSeconds: number;
}

export class CaptureSpool {
  private readonly files: SpoolFile[] = [];
  private current: SpoolFile | null = null;
  private sequence = 0;
  private congested = false;
  private state: 'open' | 'failed' | 'closed' = 'open';
  private rotatedThroughSeconds = -Infinity;
  private droppedThroughSeconds = -Infinity;
  private readonly prefix: string;

  constructor(private readonly options: CaptureSpoolOptions) {
    this.prefix = `${options.name.replace(/[^A-Za-z0-9._-]/g, '_')}-`;
    mkdirSync(options.dir, { recursive: true });
    // a run that crashed left its spool behind: those frames belong to no session of this run
    for (const name of readdirSync(options.dir)) if (this.owns(name)) rmSync(join(options.dir, name), { force: true });
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Spools one frame (its bytes may be reused after the call). Never throws: capture must go on. */
  append(frame: Frame): void {
    if (this.state === 'closed') return;
    const seconds = frame.seconds + frame.nanoseconds / 1e9;
    if (this.congested || this.state === 'failed') return this.drop(seconds);
    let file = this.current;
    if (file === null || file.linkType !== frame.linkType || file.bytes >= this.options.fileBytes) file = this.next(frame.linkType);
    if (file.bytes >= (file.checkpoints.length + 1) * CHECKPOINT_BYTES) file.checkpoints.push({ seconds, offset: file.bytes });
    try {
      if (file.writer === null) {
        if (file.openingBytes + frame.data.length > MAX_OPENING_BYTES) return this.drop(seconds);
        file.opening.push({ ...frame, data: Buffer.from(frame.data) });
        file.openingBytes += frame.data.length;
      } else if (!file.writer.write(frame)) {
        this.congest(file.writer);
      }
    } catch (error) {
      return this.fail(error);
    }
    file.bytes += PCAP_RECORD_HEADER_BYTES + frame.data.length;
    if (Number.isNaN(file.firstSeconds)) file.firstSeconds = seconds;
    file.lastSeconds = seconds;
  }

  /**
   * Reads back every spooled frame captured in [fromSeconds, toSeconds] (with the files around it),
   * after what was appended so far has reached the disk. Frames outside the range may be offered too.
   */
  async read(fromSeconds: number, toSeconds: number, onFrame: (frame: Frame) => void): Promise<SpoolCoverage> {
    await this.flush();
    for (const file of [...this.files]) {
      if (Number.isNaN(file.firstSeconds) || file.lastSeconds < fromSeconds || file.firstSeconds > toSeconds) continue;
      const start = file.checkpoints.findLast((checkpoint) => checkpoint.seconds < fromSeconds - CHECKPOINT_MARGIN_SECONDS)?.offset ?? PCAP_FILE_HEADER_BYTES;
      const end = file.checkpoints.find((checkpoint) => checkpoint.seconds > toSeconds + CHECKPOINT_MARGIN_SECONDS)?.offset ?? file.bytes;
      await readRecords(file.path, start, end, onFrame);
    }
    return { rotatedThroughSeconds: this.rotatedThroughSeconds, droppedThroughSeconds: this.droppedThroughSeconds };
  }

  /** Resolves when everything appended so far is in the files. */
  async flush(): Promise<void> {
    await Promise.all(this.files.map((file) => file.finished ?? file.ready));
    const writer = this.current?.writer;
    if (this.state === 'open' && writer && !writer.closed) await writer.flush().catch((error: unknown) => this.fail(error));
  }

  /** Finishes the writes and deletes the spool's files. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.current = null;
    const files = this.files.splice(0);
    await Promise.all(files.map((file) => this.finish(file).then(() => rm(file.path, { force: true }))));
  }

  destroy(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.current = null;
    for (const file of this.files.splice(0)) {
      file.writer?.destroy();
      void file.ready.then(() => {
        file.writer?.destroy();
        return rm(file.path, { force: true });
      });
    }
  }

  /** Moves on to a new file: the current one is finished, the oldest beyond `files` deleted. */
  private next(linkType: number): SpoolFile {
    if (this.current !== null) this.current.finished = this.finish(this.current);
    this.sequence++;
    const file: SpoolFile = {
      path: join(this.options.dir, `${this.prefix}${String(this.sequence).padStart(6, '0')}.pcap`),
      linkType,
      writer: null,
      opening: [],
      openingBytes: 0,
      ready: Promise.resolve(),
      finished: null,
      bytes: PCAP_FILE_HEADER_BYTES,
      firstSeconds: Number.NaN,
      lastSeconds: Number.NaN,
      checkpoints: [],
    };
    file.ready = PcapWriter.open(file.path, { linkType, precision: 'nano' }).then(
      (writer) => {
        file.writer = writer;
        const held = file.opening;
        file.opening = [];
        file.openingBytes = 0;
        if (this.state === 'closed') return;
        try {
          for (const frame of held) if (!writer.write(frame)) this.congest(writer);
        } catch (error) {
          this.fail(error);
        }
      },
      (error: unknown) => this.fail(error),
    );
    this.files.push(file);
    this.current = file;
    while (this.files.length > this.options.files) void this.delete(this.files.shift()!);
    return file;
  }

  private async delete(file: SpoolFile): Promise<void> {
    if (!Number.isNaN(file.lastSeconds)) this.rotatedThroughSeconds = Math.max(this.rotatedThroughSeconds, file.lastSeconds);
    this.options.counters.add('sensor.spool.files_deleted');
    await this.finish(file);
    await rm(file.path, { force: true });
  }

  /** Closes a file's writer once it exists; errors are the spool's failure, not the caller's. */
  private finish(file: SpoolFile): Promise<void> {
    return file.ready.then(async () => {
      try {
        await file.writer?.close();
      } catch (error) {
        this.fail(error);
      }
    });
  }

  /** The writer has its high-water mark waiting for the disk: frames are dropped until it drains. */
  private congest(writer: PcapWriter): void {
    if (this.congested) return;
    this.congested = true;
    this.options.counters.add('sensor.spool.congested');
    writer.flush().then(
      () => (this.congested = false),
      (error: unknown) => this.fail(error),
    );
  }

  private drop(seconds: number): void {
    this.options.counters.add('sensor.spool.dropped_frames');
    this.droppedThroughSeconds = Math.max(this.droppedThroughSeconds, seconds);
  }

  private fail(error: unknown): void {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.options.counters.add('sensor.spool.write_failed');
    this.options.log?.(`capture spool ${this.options.dir} stopped: ${(error as Error).message}; evidence folders get no session frames from now on`);
  }

  private owns(name: string): boolean {
    return name.startsWith(this.prefix) && /^\d{6}\.pcap$/.test(name.slice(this.prefix.length));
  }
}

/**
 * The records of a spool file between two record offsets, through the capture parser (its file
 * header first). A file that rotation deleted meanwhile reads as empty: the coverage says what is gone.
 */
async function readRecords(path: string, start: number, end: number, onFrame: (frame: Frame) => void): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const parser = new CaptureParser(onFrame, { source: path });
    const header = Buffer.alloc(PCAP_FILE_HEADER_BYTES);
    if ((await handle.read(header, 0, header.length, 0)).bytesRead < header.length) return;
    parser.push(header);
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    for (let position = start; position < end; ) {
      const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, end - position), position);
      if (bytesRead === 0) break;
      // the parser copies a record cut by the chunk boundary, so the chunk can be read into again
      parser.push(chunk.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
}
