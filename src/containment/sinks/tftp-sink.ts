/**
 * TFTP (RFC 1350): a read request gets the configured download in 512-byte blocks, a write request
 * is accepted block by block; both answer from a fresh transfer port, as a real server does. The
 * request and, for uploads, the received file are recorded.
 */
import { createHash, type Hash } from 'node:crypto';
import { latin1 } from '../bytes.ts';
import type { ContainmentSettings } from '../containment-options.ts';
import type { EgressFacts, EgressProtocol } from '../egress-event.ts';
import { servedFile } from '../sink.ts';

const BLOCK_BYTES = 512;
const MODES = ['netascii', 'octet', 'mail'];
const Opcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

type Record = (protocol: EgressProtocol, facts: EgressFacts) => void;
type Anomaly = (name: string) => void;

/** An RRQ/WRQ: opcode 1 or 2, a file name, NUL, a known mode, NUL. */
export function looksLikeTftpRequest(bytes: Uint8Array): boolean {
  const request = parseRequest(bytes);
  return request !== null && MODES.includes(request.mode.toLowerCase());
}

function parseRequest(bytes: Uint8Array): { opcode: 1 | 2; fileName: string; mode: string } | null {
  if (bytes.length < 4 || bytes[0] !== 0) return null;
  const opcode = bytes[1];
  if (opcode !== Opcode.RRQ && opcode !== Opcode.WRQ) return null;
  const nameEnd = bytes.indexOf(0, 2);
  if (nameEnd < 0) return null;
  const modeEnd = bytes.indexOf(0, nameEnd + 1);
  if (modeEnd < 0) return null;
  return { opcode, fileName: latin1(bytes, 2, Math.min(nameEnd, 2 + 512)), mode: latin1(bytes, nameEnd + 1, Math.min(modeEnd, nameEnd + 33)) };
}

function errorPacket(code: number, message: string): Uint8Array {
  return Uint8Array.from([0, Opcode.ERROR, 0, code, ...Buffer.from(message, 'latin1'), 0]);
}

function ack(block: number): Uint8Array {
  return Uint8Array.of(0, Opcode.ACK, (block >> 8) & 0xff, block & 0xff);
}

export class TftpTransfer {
  private direction: 'download' | 'upload' = 'download';
  private fileName = '';
  private file: Uint8Array = new Uint8Array(0);
  private block = 0;
  private uploaded: { bytes: number; hash: Hash } | null = null;
  private finished = false;

  /** `ownPort`: false when no transfer port could be had (the cap), so only the first reply goes out */
  constructor(
    private readonly settings: ContainmentSettings,
    private readonly ownPort: boolean,
  ) {}

  get done(): boolean {
    return this.finished;
  }

  /** The request datagram; returns the first reply. */
  start(bytes: Uint8Array, anomaly: Anomaly, record: Record): Uint8Array | null {
    const request = parseRequest(bytes);
    if (!request) {
      anomaly(bytes.length >= 2 && bytes[0] === 0 && bytes[1]! <= Opcode.OACK ? 'tftp_request_malformed' : 'tftp_opcode_unknown');
      this.finished = true;
      return errorPacket(4, 'Illegal TFTP operation');
    }
    if (!MODES.includes(request.mode.toLowerCase())) anomaly('tftp_mode_unknown');
    this.fileName = request.fileName;
    record('tftp', { kind: 'tftp_request', opcode: request.opcode === Opcode.RRQ ? 'RRQ' : 'WRQ', fileName: request.fileName, mode: request.mode });
    if (!this.ownPort) {
      this.finished = true;
      return errorPacket(0, 'Server busy');
    }
    if (request.opcode === Opcode.WRQ) {
      this.direction = 'upload';
      this.uploaded = { bytes: 0, hash: createHash('sha256') };
      return ack(0);
    }
    this.file = servedFile(this.settings);
    return this.dataBlock(1);
  }

  /** A datagram to this transfer's port; returns the reply, if any. */
  receive(bytes: Uint8Array, anomaly: Anomaly, record: Record): Uint8Array | null {
    if (this.finished) return null;
    if (bytes.length < 4 || bytes[0] !== 0) {
      anomaly('tftp_packet_truncated');
      return null;
    }
    const opcode = bytes[1];
    const block = (bytes[2]! << 8) | bytes[3]!;
    if (opcode === Opcode.ERROR) {
      this.end(record, false);
      return null;
    }
    if (this.direction === 'download') {
      if (opcode !== Opcode.ACK) {
        anomaly('tftp_unexpected_opcode');
        return errorPacket(4, 'Illegal TFTP operation');
      }
      if (block !== this.block) return null; // a duplicate ACK: the sorcerer's apprentice stays quiet
      if ((block - 1) * BLOCK_BYTES + BLOCK_BYTES > this.file.length) {
        this.finished = true;
        return null;
      }
      return this.dataBlock(block + 1);
    }
    if (opcode !== Opcode.DATA) {
      anomaly('tftp_unexpected_opcode');
      return errorPacket(4, 'Illegal TFTP operation');
    }
    if (block === this.block) return ack(block); // retransmission
    if (block !== ((this.block + 1) & 0xffff)) {
      anomaly('tftp_block_out_of_order');
      return null;
    }
    this.block = block;
    const data = bytes.subarray(4);
    this.uploaded!.bytes += data.length;
    this.uploaded!.hash.update(data);
    if (data.length < BLOCK_BYTES) this.end(record, true);
    return ack(block);
  }

  private dataBlock(block: number): Uint8Array {
    this.block = block & 0xffff;
    const start = (block - 1) * BLOCK_BYTES;
    const chunk = this.file.subarray(start, start + BLOCK_BYTES);
    const out = new Uint8Array(4 + chunk.length);
    out.set([0, Opcode.DATA, (block >> 8) & 0xff, block & 0xff]);
    out.set(chunk, 4);
    return out;
  }

  private end(record: Record, complete: boolean): void {
    this.finished = true;
    if (!this.uploaded) return;
    record('tftp', { kind: 'tftp_transfer', direction: 'upload', fileName: this.fileName, bytes: this.uploaded.bytes, sha256: this.uploaded.hash.digest('hex'), complete });
    this.uploaded = null;
  }
}
