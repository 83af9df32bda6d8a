/**
 * A TFTP server (RFC 1350) on UDP 69: reads find nothing (ERROR 1) unless something earlier wrote
 * the file, writes are accepted block by block and the file lands in the dummy's state, where a
 * later stage of an attack (a worm fetching its copy) can find it. Transfers are kept per client
 * address and port; the server answers from port 69, which the replay maps as it needs.
 */
import type { DatagramService, PeerAddress, ServiceHost } from '../service.ts';

const Opcode = { readRequest: 1, writeRequest: 2, data: 3, acknowledgement: 4, error: 5 } as const;
export const TftpError = { notDefined: 0, fileNotFound: 1, diskFull: 3, illegalOperation: 4, unknownTransfer: 5 } as const;

export const BLOCK_BYTES = 512;
/** RFC 1350 sets no limit; the servers of the period read the request into one 512-byte buffer */
const MAX_FILENAME_BYTES = 255;
/** what one written file may grow to before the server reports the disk full */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MODES = ['netascii', 'octet'];
const STATE_KEY = 'tftp';

interface WriteTransfer {
  path: string;
  /** the last block taken, so a retransmitted one is acknowledged again and not appended twice */
  lastBlock: number;
  chunks: Uint8Array[];
  bytes: number;
}

interface ReadTransfer {
  path: string;
  bytes: Uint8Array;
  lastBlock: number;
}

interface TftpState {
  writes: Map<string, WriteTransfer>;
  reads: Map<string, ReadTransfer>;
}

export function tftpService(): DatagramService {
  return {
    kind: 'datagram',
    name: 'tftp',
    receive(host: ServiceHost, peer: PeerAddress, _localPort: number, bytes: Uint8Array): Uint8Array[] {
      if (bytes.length < 2) return [refuse(host, 'tftp.packet_truncated', TftpError.illegalOperation, 'Illegal TFTP operation')];
      const opcode = (bytes[0]! << 8) | bytes[1]!;
      const client = `${peer.address}:${peer.port}`;
      switch (opcode) {
        case Opcode.readRequest:
        case Opcode.writeRequest:
          return [request(host, client, opcode, bytes.subarray(2))];
        case Opcode.data:
          return [data(host, client, bytes)];
        case Opcode.acknowledgement:
          return acknowledgement(host, client, bytes);
        case Opcode.error:
          state(host).writes.delete(client);
          state(host).reads.delete(client);
          return [];
        default:
          return [refuse(host, 'tftp.opcode_unknown', TftpError.illegalOperation, 'Illegal TFTP operation')];
      }
    },
  };
}

function request(host: ServiceHost, client: string, opcode: number, body: Uint8Array): Uint8Array {
  const fields = splitStrings(body);
  if (!fields || fields.length < 2) return refuse(host, 'tftp.request_malformed', TftpError.illegalOperation, 'Illegal TFTP operation');
  const [path, mode] = [fields[0]!, fields[1]!.toLowerCase()];
  if (path.length === 0) return refuse(host, 'tftp.filename_empty', TftpError.illegalOperation, 'Illegal TFTP operation');
  if (path.length > MAX_FILENAME_BYTES) return refuse(host, 'tftp.filename_too_long', TftpError.illegalOperation, 'Illegal TFTP operation');
  if (mode === 'mail') return errorPacket(TftpError.illegalOperation, 'Mail mode not supported');
  if (!MODES.includes(mode)) return refuse(host, 'tftp.mode_unknown', TftpError.illegalOperation, 'Illegal TFTP operation');
  if (opcode === Opcode.writeRequest) {
    state(host).writes.set(client, { path, lastBlock: 0, chunks: [], bytes: 0 });
    return acknowledgementPacket(0);
  }
  const stored = host.state.files.get(path);
  if (!stored) return errorPacket(TftpError.fileNotFound, 'File not found');
  state(host).reads.set(client, { path, bytes: stored, lastBlock: 1 });
  return dataPacket(1, stored.subarray(0, BLOCK_BYTES));
}

function data(host: ServiceHost, client: string, packet: Uint8Array): Uint8Array {
  const transfer = state(host).writes.get(client);
  if (!transfer) return refuse(host, 'tftp.data_without_transfer', TftpError.unknownTransfer, 'Unknown transfer ID');
  if (packet.length < 4) return refuse(host, 'tftp.packet_truncated', TftpError.illegalOperation, 'Illegal TFTP operation');
  const block = (packet[2]! << 8) | packet[3]!;
  const payload = packet.subarray(4);
  if (block === transfer.lastBlock) return acknowledgementPacket(block);
  if (block !== ((transfer.lastBlock + 1) & 0xffff)) return refuse(host, 'tftp.block_out_of_order', TftpError.illegalOperation, 'Illegal TFTP operation');
  if (payload.length > BLOCK_BYTES) return refuse(host, 'tftp.block_too_long', TftpError.illegalOperation, 'Illegal TFTP operation');
  if (transfer.bytes + payload.length > MAX_FILE_BYTES) {
    state(host).writes.delete(client);
    return refuse(host, 'tftp.file_too_large', TftpError.diskFull, 'Disk full or allocation exceeded');
  }
  transfer.lastBlock = block;
  transfer.chunks.push(payload.slice());
  transfer.bytes += payload.length;
  // a short block ends the transfer: the file is complete and lands in the dummy's state
  if (payload.length < BLOCK_BYTES) {
    host.state.files.set(transfer.path, joined(transfer.chunks, transfer.bytes));
    state(host).writes.delete(client);
  }
  return acknowledgementPacket(block);
}

function acknowledgement(host: ServiceHost, client: string, packet: Uint8Array): Uint8Array[] {
  const transfer = state(host).reads.get(client);
  if (!transfer) return [];
  if (packet.length < 4) return [refuse(host, 'tftp.packet_truncated', TftpError.illegalOperation, 'Illegal TFTP operation')];
  const block = (packet[2]! << 8) | packet[3]!;
  if (block !== transfer.lastBlock) return [];
  const start = transfer.lastBlock * BLOCK_BYTES;
  // the previous block was short: the transfer is over
  if (start > transfer.bytes.length) {
    state(host).reads.delete(client);
    return [];
  }
  transfer.lastBlock += 1;
  return [dataPacket(transfer.lastBlock & 0xffff, transfer.bytes.subarray(start, start + BLOCK_BYTES))];
}

function state(host: ServiceHost): TftpState {
  const existing = host.state.services.get(STATE_KEY) as TftpState | undefined;
  if (existing) return existing;
  const created: TftpState = { writes: new Map(), reads: new Map() };
  host.state.services.set(STATE_KEY, created);
  return created;
}

/** NUL-terminated strings; null when the last one is not terminated */
function splitStrings(body: Uint8Array): string[] | null {
  if (body.length === 0 || body[body.length - 1] !== 0) return null;
  return new TextDecoder('latin1').decode(body.subarray(0, body.length - 1)).split('\0');
}

function refuse(host: ServiceHost, anomaly: string, code: number, message: string): Uint8Array {
  host.anomaly(anomaly);
  return errorPacket(code, message);
}

function errorPacket(code: number, message: string): Uint8Array {
  const text = Buffer.from(message, 'latin1');
  const packet = Buffer.alloc(4 + text.length + 1);
  packet.writeUInt16BE(Opcode.error, 0);
  packet.writeUInt16BE(code, 2);
  text.copy(packet, 4);
  return packet;
}

function acknowledgementPacket(block: number): Uint8Array {
  return Uint8Array.of(0, Opcode.acknowledgement, block >> 8, block & 0xff);
}

function dataPacket(block: number, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(4 + payload.length);
  packet.set([0, Opcode.data, block >> 8, block & 0xff]);
  packet.set(payload, 4);
  return packet;
}

function joined(chunks: Uint8Array[], total: number): Uint8Array {
  const file = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    file.set(chunk, offset);
    offset += chunk.length;
  }
  return file;
}
