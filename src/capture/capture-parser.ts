import { CrashtestError, type Frame } from '../core/index.ts';
import type { CaptureSummary } from './capture-summary.ts';
import { captureError } from './capture-error.ts';
import { isPcapMagic, PcapRecordDecoder } from './pcap-record-decoder.ts';
import { PcapngBlockDecoder, PcapngBlockType } from './pcapng-block-decoder.ts';
import type { RecordDecoder } from './record-decoder.ts';

export interface CaptureParserOptions {
  /** names the source in error messages and `details.file` (a path, or "tcpdump -i eth0") */
  source?: string;
  /** a live stream: frames carry `fileOffset` -1 */
  live?: boolean;
}

const MAGIC_BYTES = 4;
/** the carry-over buffer keeps at most this much capacity between records */
const CARRY_KEEP_BYTES = 4 * 1024 * 1024;

/**
 * Incremental pcap/pcapng parser: push Buffers of any size and it calls `onFrame` once per frame,
 * synchronously, in file order. Records that lie wholly inside a pushed chunk are delivered as
 * views into that chunk (no copy); only a record cut by a chunk boundary is copied, into a
 * carry-over buffer that grows with the bytes that actually arrive (never to a length a hostile
 * header claims).
 *
 * `frame.data` is a view that is valid only during the callback: the caller may reuse the chunk
 * once `push` returns, so a consumer that keeps bytes must copy them.
 *
 * Errors (CrashtestError) are thrown from `push` or `end` after every good frame before the fault
 * has been delivered; the parser then stays failed and rethrows the same error.
 */
export class CaptureParser {
  private readonly source: string;
  private readonly live: boolean;
  private decoder: RecordDecoder | null = null;
  private carry = Buffer.alloc(0);
  private carryLength = 0;
  /** file offset of carry[0] */
  private carryFileOffset = 0;
  /** file offset of the next byte to be pushed */
  private consumed = 0;
  private failure: unknown = null;
  private ended = false;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    options: CaptureParserOptions = {},
  ) {
    this.source = options.source ?? 'capture';
    this.live = options.live ?? false;
  }

  /** Bytes pushed so far. */
  get bytesPushed(): number {
    return this.consumed;
  }

  push(chunk: Buffer): void {
    if (this.failure !== null) throw this.failure;
    if (this.ended) throw new CrashtestError('CT_ERR_INVALID_STATE', `${this.source}: push() after end()`);
    try {
      this.pushChunk(chunk);
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  /**
   * Declares the end of the input. Returns the summary, or throws CT_ERR_CAPTURE_TRUNCATED when
   * the input stopped inside a record (or before a whole file header).
   */
  end(): CaptureSummary {
    if (this.failure !== null) throw this.failure;
    this.ended = true;
    if (this.decoder === null || this.carryLength > 0) {
      this.failure = this.truncation();
      throw this.failure;
    }
    return this.decoder.summary(this.consumed);
  }

  /** Bytes held back because the input so far stops inside a record (or the file header). */
  get pendingBytes(): number {
    return this.carryLength;
  }

  /** What has been read so far (also after a failure). */
  summary(): CaptureSummary | null {
    return this.decoder?.summary(this.consumed) ?? null;
  }

  private pushChunk(chunk: Buffer): void {
    const chunkFileOffset = this.consumed;
    this.consumed += chunk.length;
    let offset = 0;
    if (this.carryLength > 0 || (this.decoder === null && chunk.length < MAGIC_BYTES)) {
      offset = this.completeCarry(chunk);
      if (this.carryLength > 0) return;
    }
    if (offset === chunk.length) return;
    if (this.decoder === null) this.decoder = this.decoderFor(chunk, offset, chunkFileOffset + offset);
    const stop = this.decoder.decodeRecords(chunk, offset, chunk.length, chunkFileOffset + offset);
    if (stop < chunk.length) {
      this.carryFileOffset = chunkFileOffset + stop;
      this.appendCarry(chunk, stop, chunk.length);
    }
  }

  /**
   * Moves bytes from `chunk` into the carry-over until it holds one whole record, decodes that
   * record, and returns how much of `chunk` it used (all of it when the record is still short).
   */
  private completeCarry(chunk: Buffer): number {
    if (this.carryLength === 0) this.carryFileOffset = this.consumed - chunk.length;
    let offset = 0;
    while (true) {
      const needed = this.carryBytesNeeded();
      const take = Math.min(needed - this.carryLength, chunk.length - offset);
      this.appendCarry(chunk, offset, offset + take);
      offset += take;
      if (this.carryLength < needed) return offset;
      if (this.decoder === null) {
        this.decoder = this.decoderFor(this.carry, 0, this.carryFileOffset);
        continue;
      }
      const length = this.decoder.recordLength(this.carry, 0, this.carryLength, this.carryFileOffset);
      if (length > this.carryLength) continue;
      this.decoder.decodeRecords(this.carry, 0, length, this.carryFileOffset);
      this.carryLength = 0;
      if (this.carry.length > CARRY_KEEP_BYTES) this.carry = Buffer.alloc(0);
      return offset;
    }
  }

  private carryBytesNeeded(): number {
    if (this.decoder === null) return MAGIC_BYTES;
    return this.decoder.recordLength(this.carry, 0, this.carryLength, this.carryFileOffset);
  }

  private appendCarry(chunk: Buffer, start: number, end: number): void {
    const length = end - start;
    if (this.carryLength + length > this.carry.length) {
      // Grow with what has arrived, doubling: a claimed length never decides an allocation.
      const grown = Buffer.allocUnsafe(Math.max(this.carryLength + length, this.carry.length * 2, 65536));
      this.carry.copy(grown, 0, 0, this.carryLength);
      this.carry = grown;
    }
    chunk.copy(this.carry, this.carryLength, start, end);
    this.carryLength += length;
  }

  private decoderFor(buffer: Buffer, offset: number, fileOffset: number): RecordDecoder {
    const magic = buffer.readUInt32BE(offset);
    const target = { onFrame: this.onFrame, source: this.source, live: this.live };
    if (isPcapMagic(magic)) return new PcapRecordDecoder(magic, target);
    if (magic === PcapngBlockType.SECTION_HEADER) return new PcapngBlockDecoder(target);
    throw captureError(
      'CT_ERR_CAPTURE_FORMAT',
      this.source,
      fileOffset,
      `magic 0x${magic.toString(16).padStart(8, '0')} is neither pcap (a1b2c3d4, a1b23c4d either way round) nor pcapng (0a0d0d0a)`,
    );
  }

  private truncation(): CrashtestError {
    if (this.consumed === 0) return captureError('CT_ERR_CAPTURE_TRUNCATED', this.source, 0, 'file is empty');
    const needed = this.carryBytesNeeded();
    return captureError(
      'CT_ERR_CAPTURE_TRUNCATED',
      this.source,
      this.carryFileOffset,
      `input ends ${this.carryLength} bytes into a record that needs at least ${needed} bytes`,
    );
  }
}
