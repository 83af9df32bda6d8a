/**
 * The connection-oriented DCE/RPC common header (C706 §12.6.1, MS-RPCE §2.2.2.1): 16 bytes in the
 * sender's data representation, which its byte 4 declares.
 */

export const PDU_HEADER_BYTES = 16;

export enum PacketType {
  Request = 0,
  Response = 2,
  Fault = 3,
  Bind = 11,
  BindAck = 12,
  BindNak = 13,
  AlterContext = 14,
  AlterContextResponse = 15,
  Auth3 = 16,
  Shutdown = 17,
  CoCancel = 18,
  Orphaned = 19,
}

export const PacketFlag = {
  FirstFragment: 0x01,
  LastFragment: 0x02,
  PendingCancel: 0x04,
  SupportHeaderSign: 0x04,
  ConcurrentMultiplex: 0x10,
  DidNotExecute: 0x20,
  Maybe: 0x40,
  ObjectUuid: 0x80,
} as const;

export interface PduHeader {
  versionMajor: number;
  versionMinor: number;
  packetType: number;
  flags: number;
  /** the data representation's integer format: drep[0] high nibble 1 */
  littleEndian: boolean;
  fragmentLength: number;
  authLength: number;
  callId: number;
}

/** The header at the start of `bytes`, or null when fewer than 16 bytes are there. */
export function readPduHeader(bytes: Uint8Array): PduHeader | null {
  if (bytes.length < PDU_HEADER_BYTES) return null;
  const littleEndian = (bytes[4]! & 0xf0) === 0x10;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    versionMajor: bytes[0]!,
    versionMinor: bytes[1]!,
    packetType: bytes[2]!,
    flags: bytes[3]!,
    littleEndian,
    fragmentLength: view.getUint16(8, littleEndian),
    authLength: view.getUint16(10, littleEndian),
    callId: view.getUint32(12, littleEndian),
  };
}

/** A header for a PDU the dummy sends: little-endian, ASCII, IEEE floats. */
export function writePduHeader(target: Uint8Array, header: Omit<PduHeader, 'versionMajor' | 'versionMinor' | 'littleEndian'>): void {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  target[0] = 5;
  target[1] = 0;
  target[2] = header.packetType;
  target[3] = header.flags;
  target[4] = 0x10;
  target[5] = 0;
  target[6] = 0;
  target[7] = 0;
  view.setUint16(8, header.fragmentLength, true);
  view.setUint16(10, header.authLength, true);
  view.setUint32(12, header.callId, true);
}
