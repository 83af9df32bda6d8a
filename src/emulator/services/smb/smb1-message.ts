import { ByteReader, ByteWriter, fromAscii, fromUtf16 } from './byte-reader.ts';

/** SMB1 ([MS-CIFS] 2.2.3): the 32-byte header, and the blocks (words + bytes) that follow it. */

export const SMB1_HEADER_LENGTH = 32;
export const FLAGS_REPLY = 0x80;
export const FLAGS2_UNICODE = 0x8000;
export const FLAGS2_NT_STATUS = 0x4000;
export const FLAGS2_EXTENDED_SECURITY = 0x0800;
export const ANDX_NONE = 0xff;

export const Smb1Command = {
  close: 0x04,
  transaction: 0x25,
  transactionSecondary: 0x26,
  echo: 0x2b,
  readAndx: 0x2e,
  writeAndx: 0x2f,
  transaction2: 0x32,
  transaction2Secondary: 0x33,
  treeDisconnect: 0x71,
  negotiate: 0x72,
  sessionSetupAndx: 0x73,
  logoffAndx: 0x74,
  treeConnectAndx: 0x75,
  ntTransact: 0xa0,
  ntTransactSecondary: 0xa1,
  ntCreateAndx: 0xa2,
} as const;

/** commands whose parameter words begin with AndXCommand, AndXReserved, AndXOffset */
export const ANDX_COMMANDS = new Set<number>([
  Smb1Command.readAndx,
  Smb1Command.writeAndx,
  Smb1Command.sessionSetupAndx,
  Smb1Command.logoffAndx,
  Smb1Command.treeConnectAndx,
  Smb1Command.ntCreateAndx,
]);

export interface Smb1Header {
  command: number;
  status: number;
  flags: number;
  flags2: number;
  pidHigh: number;
  signature: Uint8Array;
  tid: number;
  pid: number;
  uid: number;
  mid: number;
}

/** One command's block inside a message. Offsets are from the SMB header, as the protocol counts them. */
export interface Smb1Block {
  command: number;
  /** the block's parameter words, as bytes */
  words: ByteReader;
  /** the block's data bytes */
  data: ByteReader;
  /** offset of `data` from the header start, for fields that point into the message */
  dataOffset: number;
}

export function parseSmb1Header(message: Uint8Array): Smb1Header | null {
  const reader = new ByteReader(message);
  if (message.length < SMB1_HEADER_LENGTH || message[0] !== 0xff || message[1] !== 0x53 || message[2] !== 0x4d || message[3] !== 0x42) return null;
  return {
    command: message[4],
    status: reader.u32(5)!,
    flags: message[9],
    flags2: reader.u16(10)!,
    pidHigh: reader.u16(12)!,
    signature: message.slice(14, 22),
    tid: reader.u16(24)!,
    pid: reader.u16(26)!,
    uid: reader.u16(28)!,
    mid: reader.u16(30)!,
  };
}

/** The block at `offset`: null when its word count or byte count run past the message. */
export function parseSmb1Block(message: Uint8Array, offset: number, command: number): Smb1Block | null {
  const reader = new ByteReader(message);
  const wordCount = reader.u8(offset);
  if (wordCount === undefined) return null;
  const wordsStart = offset + 1;
  const byteCount = reader.u16(wordsStart + wordCount * 2);
  if (byteCount === undefined) return null;
  const dataOffset = wordsStart + wordCount * 2 + 2;
  // a byte count past the end is cut to what arrived: Windows reads what the transport delivered
  return {
    command,
    words: new ByteReader(message.subarray(wordsStart, wordsStart + wordCount * 2)),
    data: new ByteReader(message.subarray(dataOffset, Math.min(message.length, dataOffset + byteCount))),
    dataOffset,
  };
}

/** A string in a block's data at `offset` (from the header): UTF-16 aligned to 2 from the header, or OEM. */
export function readSmb1String(message: Uint8Array, offset: number, unicode: boolean, end = message.length): { text: string; next: number } {
  const limit = Math.min(end, message.length);
  if (!unicode) {
    let stop = offset;
    while (stop < limit && message[stop] !== 0) stop++;
    return { text: fromAscii(message.subarray(offset, stop)), next: stop + 1 };
  }
  let start = offset;
  if (start % 2 === 1) start++;
  let stop = start;
  while (stop + 1 < limit && (message[stop] !== 0 || message[stop + 1] !== 0)) stop += 2;
  return { text: fromUtf16(message.subarray(start, stop)), next: stop + 2 };
}

export interface Smb1ReplyBlock {
  command: number;
  /** parameter words after the AndX prefix (the prefix is written for AndX commands) */
  words: Uint8Array;
  data: Uint8Array;
  /** word fields that hold an offset into the data (from the header): written once the block's place is known */
  offsetFields?: { at: number; plus: number; size: 2 | 4 }[];
  /** the data holds UTF-16 or aligned fields: start it at an even offset from the header (one pad byte when needed) */
  padToEven?: boolean;
}

/**
 * A response message: the request's header turned into a reply, then the blocks chained with AndX
 * offsets. An error reply is a single empty block.
 */
export function buildSmb1Reply(request: Smb1Header, status: number, blocks: Smb1ReplyBlock[], overrides: Partial<Smb1Header> = {}): Uint8Array {
  const header = { ...request, ...overrides };
  const writer = new ByteWriter()
    .u8(0xff)
    .u8(0x53)
    .u8(0x4d)
    .u8(0x42)
    .u8(blocks[0]?.command ?? header.command)
    .u32(status)
    .u8((header.flags | FLAGS_REPLY) & ~0x10 | 0x08)
    .u16((header.flags2 | FLAGS2_NT_STATUS) & ~0x0010)
    .u16(header.pidHigh)
    .bytes(overrides.signature ?? new Uint8Array(8))
    .u16(0)
    .u16(header.tid)
    .u16(header.pid)
    .u16(header.uid)
    .u16(header.mid);
  if (blocks.length === 0) return writer.u8(0).u16(0).finish();
  blocks.forEach((block, index) => {
    const andx = ANDX_COMMANDS.has(block.command);
    const wordBytes = (andx ? 4 : 0) + block.words.length;
    writer.u8(wordBytes >> 1);
    const andxAt = writer.length;
    if (andx) writer.u8(ANDX_NONE).u8(0).u16(0);
    const wordsAt = writer.length;
    writer.bytes(block.words);
    const pad = block.padToEven && (writer.length + 2) % 2 === 1 ? 1 : 0;
    writer.u16(block.data.length + pad);
    writer.zeros(pad);
    const dataAt = writer.length;
    writer.bytes(block.data);
    for (const field of block.offsetFields ?? []) {
      if (field.size === 2) writer.patchU16(wordsAt + field.at, dataAt + field.plus);
      else writer.patchU32(wordsAt + field.at, dataAt + field.plus);
    }
    const next = blocks[index + 1];
    if (andx && next) {
      writer.align(4);
      writer.patchU16(andxAt, next.command | (0 << 8));
      writer.patchU16(andxAt + 2, writer.length);
    }
  });
  return writer.finish();
}

/** Words as bytes, from 16/32-bit fields: ['u16', 3], ['u32', 5], ['u8', 1], ['u64', 0n], ['bytes', …] */
export type WordField = ['u8' | 'u16' | 'u32', number] | ['u64', bigint] | ['bytes', Uint8Array];

export function words(...fields: WordField[]): Uint8Array {
  const writer = new ByteWriter();
  for (const field of fields) {
    if (field[0] === 'u64') writer.u64(field[1]);
    else if (field[0] === 'bytes') writer.bytes(field[1]);
    else writer[field[0]](field[1]);
  }
  return writer.finish();
}
