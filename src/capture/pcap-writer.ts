import { open, type FileHandle } from 'node:fs/promises';
import { CrashtestError } from '../core/index.ts';
import { PcapEncoder, type FrameLike, type PcapFormatOptions } from './pcap-encoder.ts';

export interface PcapWriterOptions extends PcapFormatOptions {
  /** records are gathered into buffers of this size before a write, default 1 MiB */
  bufferBytes?: number;
  /** `write` returns false once this many bytes wait for the disk, default 16 MiB */
  highWaterBytes?: number;
}

/**
 * Streams frames into a pcap file. `write` is synchronous: it encodes into a buffer and hands
 * full buffers to the file in order, in the background; it returns false when too much waits for
 * the disk (await `flush()` then). A write error is kept and thrown (CT_ERR_CAPTURE_WRITE) by the
 * next `write`, `flush` or `close`. `close()` drains and is idempotent; `destroy()` drops what has
 * not been written; use after either throws CT_ERR_INVALID_STATE.
 */
export class PcapWriter {
  private readonly encoder: PcapEncoder;
  private readonly bufferBytes: number;
  private readonly highWaterBytes: number;
  private buffer: Buffer;
  private used = 0;
  private waitingBytes = 0;
  /** the chain of file writes, in order */
  private writes: Promise<void> = Promise.resolve();
  private failure: CrashtestError | null = null;
  private closing: Promise<void> | null = null;
  private destroyed = false;
  private framesWritten = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    options: PcapWriterOptions,
  ) {
    this.encoder = new PcapEncoder(options);
    this.bufferBytes = Math.max(65536, options.bufferBytes ?? 1024 * 1024);
    this.highWaterBytes = options.highWaterBytes ?? 16 * 1024 * 1024;
    this.buffer = Buffer.allocUnsafe(this.bufferBytes);
    this.used = this.encoder.fileHeader().copy(this.buffer, 0);
  }

  /** Creates (or truncates) `path` and writes the file header. */
  static async open(path: string, options: PcapWriterOptions): Promise<PcapWriter> {
    new PcapEncoder(options); // throws CT_ERR_INVALID_ARGUMENT before a file is created
    try {
      return new PcapWriter(await open(path, 'w'), path, options);
    } catch (error) {
      throw new CrashtestError('CT_ERR_CAPTURE_WRITE', `cannot create pcap file ${path}: ${(error as Error).message}`, { file: path }, { cause: error });
    }
  }

  get closed(): boolean {
    return this.closing !== null || this.destroyed;
  }

  get frames(): number {
    return this.framesWritten;
  }

  /** Appends one frame (cut to the snaplen). Returns false when the caller should await `flush()`. */
  write(frame: FrameLike): boolean {
    this.assertOpen('write');
    if (this.failure !== null) throw this.failure;
    const length = this.encoder.recordLength(frame);
    if (this.used + length > this.buffer.length) {
      this.handOff();
      if (length > this.buffer.length) this.buffer = Buffer.allocUnsafe(length);
    }
    this.used += this.encoder.encodeRecord(frame, this.buffer, this.used);
    this.framesWritten += 1;
    return this.waitingBytes < this.highWaterBytes;
  }

  /** Resolves when everything written so far is in the file. */
  async flush(): Promise<void> {
    this.assertOpen('flush');
    this.handOff();
    await this.writes;
    if (this.failure !== null) throw this.failure;
  }

  close(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    this.closing ??= (async () => {
      this.handOff();
      await this.writes;
      await this.handle.close().catch((error: Error) => this.fail(error));
      if (this.failure !== null) throw this.failure;
    })();
    return this.closing;
  }

  /** Closes the file at once, dropping buffered frames. */
  destroy(): void {
    if (this.closed) return;
    this.destroyed = true;
    this.used = 0;
    void this.writes.then(() => this.handle.close()).catch(() => undefined);
  }

  /** Queues the filled part of the buffer for the file and starts a fresh buffer. */
  private handOff(): void {
    if (this.used === 0) return;
    const chunk = this.buffer.subarray(0, this.used);
    this.buffer = Buffer.allocUnsafe(this.bufferBytes);
    this.used = 0;
    this.waitingBytes += chunk.length;
    this.writes = this.writes.then(async () => {
      if (this.failure !== null || this.destroyed) return;
      try {
        let written = 0;
        while (written < chunk.length) {
          const result = await this.handle.write(chunk, written, chunk.length - written, null);
          written += result.bytesWritten;
        }
      } catch (error) {
        this.fail(error as Error);
      } finally {
        this.waitingBytes -= chunk.length;
      }
    });
  }

  private fail(error: Error): void {
    this.failure ??= new CrashtestError('CT_ERR_CAPTURE_WRITE', `cannot write pcap file ${this.path}: ${error.message}`, { file: this.path }, { cause: error });
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new CrashtestError('CT_ERR_INVALID_STATE', `PcapWriter ${this.path}: ${operation}() after close`);
  }
}
