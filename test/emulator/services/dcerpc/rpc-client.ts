/**
 * The client side of DCE/RPC for tests: bind and request PDUs built from scratch (little- or
 * big-endian), NDR stub pieces, and a parser for what the dummy answers.
 */
import { NdrWriter, uuidBytes } from '../../../../src/emulator/services/dcerpc/ndr-writer.ts';

export const NDR = '8a885d04-1ceb-11c9-9fe8-08002b104860';

export interface Abstract {
  uuid: string;
  major: number;
  minor?: number;
}

function header(type: number, flags: number, callId: number, bodyLength: number, littleEndian: boolean, authLength = 0): Buffer {
  const pdu = Buffer.alloc(16);
  pdu[0] = 5;
  pdu[2] = type;
  pdu[3] = flags;
  pdu[4] = littleEndian ? 0x10 : 0x00;
  const total = 16 + bodyLength;
  if (littleEndian) {
    pdu.writeUInt16LE(total, 8);
    pdu.writeUInt16LE(authLength, 10);
    pdu.writeUInt32LE(callId, 12);
  } else {
    pdu.writeUInt16BE(total, 8);
    pdu.writeUInt16BE(authLength, 10);
    pdu.writeUInt32BE(callId, 12);
  }
  return pdu;
}

function uuidIn(text: string, littleEndian: boolean): Buffer {
  const bytes = Buffer.from(uuidBytes(text));
  if (!littleEndian) {
    bytes.subarray(0, 4).reverse();
    bytes.subarray(4, 6).reverse();
    bytes.subarray(6, 8).reverse();
  }
  return bytes;
}

export function bindPdu(abstracts: Abstract[], options: { callId?: number; littleEndian?: boolean; type?: number; transfer?: string; auth?: Buffer } = {}): Buffer {
  const littleEndian = options.littleEndian ?? true;
  const u16 = (value: number) => {
    const bytes = Buffer.alloc(2);
    if (littleEndian) bytes.writeUInt16LE(value);
    else bytes.writeUInt16BE(value);
    return bytes;
  };
  const u32 = (value: number) => {
    const bytes = Buffer.alloc(4);
    if (littleEndian) bytes.writeUInt32LE(value);
    else bytes.writeUInt32BE(value);
    return bytes;
  };
  const parts: Buffer[] = [u16(4280), u16(4280), u32(0), Buffer.from([abstracts.length, 0, 0, 0])];
  abstracts.forEach((abstract, index) => {
    parts.push(u16(index), Buffer.from([1, 0]), uuidIn(abstract.uuid, littleEndian), u16(abstract.major), u16(abstract.minor ?? 0));
    parts.push(uuidIn(options.transfer ?? NDR, littleEndian), u32(2));
  });
  let body = Buffer.concat(parts);
  let authLength = 0;
  if (options.auth) {
    const trailer = Buffer.alloc(8);
    trailer[0] = 10;
    trailer[1] = 2;
    body = Buffer.concat([body, trailer, options.auth]);
    authLength = options.auth.length;
  }
  return Buffer.concat([header(options.type ?? 11, 0x03, options.callId ?? 1, body.length, littleEndian, authLength), body]);
}

export function requestPdu(opnum: number, stub: Uint8Array, options: { callId?: number; contextId?: number; flags?: number; littleEndian?: boolean } = {}): Buffer {
  const littleEndian = options.littleEndian ?? true;
  const fields = Buffer.alloc(8);
  if (littleEndian) {
    fields.writeUInt32LE(stub.length, 0);
    fields.writeUInt16LE(options.contextId ?? 0, 4);
    fields.writeUInt16LE(opnum, 6);
  } else {
    fields.writeUInt32BE(stub.length, 0);
    fields.writeUInt16BE(options.contextId ?? 0, 4);
    fields.writeUInt16BE(opnum, 6);
  }
  const body = Buffer.concat([fields, stub]);
  return Buffer.concat([header(0, options.flags ?? 0x03, options.callId ?? 2, body.length, littleEndian), body]);
}

/** a request cut into fragments of at most `piece` stub bytes */
export function fragmentedRequest(opnum: number, stub: Uint8Array, piece: number, callId = 2): Buffer {
  const fragments: Buffer[] = [];
  for (let offset = 0; offset < stub.length; offset += piece) {
    const flags = (offset === 0 ? 1 : 0) | (offset + piece >= stub.length ? 2 : 0);
    fragments.push(requestPdu(opnum, stub.subarray(offset, offset + piece), { callId, flags }));
  }
  return Buffer.concat(fragments);
}

export interface ParsedPdu {
  type: number;
  flags: number;
  callId: number;
  body: Buffer;
}

/** splits the dummy's answer into PDUs (it always answers little-endian) */
export function parsePdus(bytes: Uint8Array): ParsedPdu[] {
  const buffer = Buffer.from(bytes);
  const pdus: ParsedPdu[] = [];
  let offset = 0;
  while (offset + 16 <= buffer.length) {
    if (buffer[offset] !== 5 || buffer[offset + 4] !== 0x10) throw new Error(`not a little-endian v5 PDU at ${offset}`);
    const length = buffer.readUInt16LE(offset + 8);
    if (length < 16 || offset + length > buffer.length) throw new Error(`bad fragment length ${length} at ${offset}`);
    pdus.push({ type: buffer[offset + 2]!, flags: buffer[offset + 3]!, callId: buffer.readUInt32LE(offset + 12), body: buffer.subarray(offset + 16, offset + length) });
    offset += length;
  }
  if (offset !== buffer.length) throw new Error('trailing bytes');
  return pdus;
}

/** the bind_ack's context results (result, reason) */
export function bindResults(ack: ParsedPdu): { result: number; reason: number }[] {
  const addressLength = ack.body.readUInt16LE(8);
  let offset = 10 + addressLength;
  offset += (4 - ((offset + 16) % 4)) % 4;
  const count = ack.body[offset]!;
  const results: { result: number; reason: number }[] = [];
  for (let index = 0; index < count; index++) {
    const at = offset + 4 + index * 24;
    results.push({ result: ack.body.readUInt16LE(at), reason: ack.body.readUInt16LE(at + 2) });
  }
  return results;
}

/** the stub of a response (fragments joined) */
export function responseStub(pdus: ParsedPdu[]): Buffer {
  return Buffer.concat(pdus.filter((pdu) => pdu.type === 2).map((pdu) => pdu.body.subarray(8)));
}

export function faultStatus(pdu: ParsedPdu): number {
  return pdu.body.readUInt32LE(8);
}

/** NDR stub pieces for requests */
export function stub(build: (writer: NdrWriter) => void): Uint8Array {
  const writer = new NdrWriter();
  build(writer);
  return writer.finish();
}

export const INTERFACES = {
  epmapper: { uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa', major: 3 },
  srvsvc: { uuid: '4b324fc8-1670-01d3-1278-5a47bf6ee188', major: 3 },
  netlogon: { uuid: '12345678-1234-abcd-ef00-01234567cffb', major: 1 },
  remoteActivation: { uuid: '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57', major: 0 },
  systemActivator: { uuid: '000001a0-0000-0000-c000-000000000046', major: 0 },
  dssetup: { uuid: '3919286a-b10c-11d0-9ba8-00c04fd92ef5', major: 0 },
  pnp: { uuid: '8d9f4e40-a03d-11ce-8f69-08003e30051b', major: 1 },
  spoolss: { uuid: '12345678-1234-abcd-ef00-0123456789ab', major: 1 },
  svcctl: { uuid: '367abb81-9844-35f1-ad32-98f038001003', major: 2 },
  samr: { uuid: '12345778-1234-abcd-ef00-0123456789ac', major: 1 },
  lsarpc: { uuid: '12345778-1234-abcd-ef00-0123456789ab', major: 0 },
} as const;

/** ept_map for `uuid` over ncacn_ip_tcp, as rpcdump and the Zerologon tools send it */
export function eptMapStub(uuid: string, major: number): Uint8Array {
  const tower = Buffer.from([
    5, 0,
    19, 0, 0x0d, ...uuidLe(uuid), major, 0, 2, 0, 0, 0,
    19, 0, 0x0d, ...uuidLe('8a885d04-1ceb-11c9-9fe8-08002b104860'), 2, 0, 2, 0, 0, 0,
    1, 0, 0x0b, 2, 0, 0, 0,
    1, 0, 0x07, 2, 0, 0, 135,
    1, 0, 0x09, 4, 0, 0, 0, 0, 0,
  ]);
  return stub((writer) => {
    // referents 1 and 2, as impacket sends them (tshark tracks full pointers across request and response)
    writer.u32(1).bytes(new Uint8Array(16));
    writer.u32(2).u32(tower.length).u32(tower.length).bytes(tower).align(4);
    writer.bytes(new Uint8Array(20)).u32(1);
  });
}

function uuidLe(text: string): number[] {
  const hex = text.replace(/-/g, '');
  const bytes = Buffer.from(hex, 'hex');
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return [...bytes];
}
