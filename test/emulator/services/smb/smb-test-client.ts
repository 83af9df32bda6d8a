/**
 * Helpers the SMB service tests share: a fake PipeOpener that echoes a fixed answer, a driver that
 * feeds corpus client turns into a connection, and a splitter that checks every response is a
 * well-formed NetBIOS-framed SMB message.
 */
import assert from 'node:assert/strict';
import type { Session } from '../../../../src/core/index.ts';
import type { PipeEndpoint, PipeOpener, ServiceConnection, StreamService } from '../../../../src/emulator/services/service.ts';
import { clientTurns } from '../../../helpers/corpus-sessions.ts';
import type { TestServiceHost } from '../../../helpers/service-host.ts';

export interface FakePipes {
  opener: PipeOpener;
  opened: string[];
  written: Uint8Array[];
}

/** Opens every pipe but `missing`; each write is answered with `answer` (a bind_ack stand-in). */
export function fakePipes(answer = Uint8Array.of(5, 0, 12, 3, 16, 0, 0, 0, 24, 0, 0, 0, 1, 0, 0, 0), missing = 'nosuchpipe'): FakePipes {
  const fake: FakePipes = {
    opened: [],
    written: [],
    opener: (_host, name) => {
      if (name === missing) return null;
      fake.opened.push(name);
      const endpoint: PipeEndpoint = {
        transact: (bytes) => {
          fake.written.push(bytes.slice());
          return answer;
        },
        close: () => {},
      };
      return endpoint;
    },
  };
  return fake;
}

export interface SmbMessage {
  protocol: 'smb1' | 'smb2' | 'netbios';
  bytes: Uint8Array;
}

/** Splits a service's output into NetBIOS packets; fails the test on a length that does not add up. */
export function splitResponses(output: Uint8Array): SmbMessage[] {
  const messages: SmbMessage[] = [];
  let offset = 0;
  while (offset < output.length) {
    assert.ok(output.length - offset >= 4, 'a NetBIOS header is cut short');
    const type = output[offset];
    const length = (output[offset + 1] << 16) | (output[offset + 2] << 8) | output[offset + 3];
    assert.ok(offset + 4 + length <= output.length, 'a NetBIOS length runs past the output');
    const bytes = output.subarray(offset + 4, offset + 4 + length);
    if (type !== 0) messages.push({ protocol: 'netbios', bytes });
    else {
      assert.ok(bytes.length >= 32, 'an SMB message shorter than its header');
      assert.equal(bytes[1], 0x53);
      assert.equal(bytes[2], 0x4d);
      assert.equal(bytes[3], 0x42);
      assert.ok(bytes[0] === 0xff || bytes[0] === 0xfe, 'protocol id');
      messages.push({ protocol: bytes[0] === 0xff ? 'smb1' : 'smb2', bytes });
    }
    offset += 4 + length;
  }
  return messages;
}

/** NT status of an SMB1 or SMB2 message */
export function statusOf(message: SmbMessage): number {
  const view = new DataView(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
  return message.protocol === 'smb1' ? view.getUint32(5, true) : view.getUint32(8, true);
}

/** Plays every client turn of the sessions to TCP 445 into fresh connections, in start order; returns all responses. */
export function replaySessions(service: StreamService, host: TestServiceHost, sessions: Session[], port = 445): SmbMessage[] {
  const responses: SmbMessage[] = [];
  for (const session of sessions) {
    if (session.proto !== 'tcp' || session.server.port !== port) continue;
    const connection: ServiceConnection = service.open(host, { address: session.client.ip, port: session.client.port }, port);
    for (const turn of clientTurns(session)) {
      if (connection.closed) break;
      responses.push(...splitResponses(connection.receive(turn)));
    }
    connection.end();
  }
  return responses;
}

/** An SMB1 request: header fields, parameter words and data, NetBIOS-framed. */
export function smb1Request(
  command: number,
  words: Uint8Array,
  data: Uint8Array,
  header: { mid?: number; uid?: number; tid?: number; pid?: number; pidHigh?: number; flags2?: number } = {},
): Uint8Array {
  const message = Buffer.alloc(32 + 1 + words.length + 2 + data.length);
  message.write('\xffSMB', 0, 'latin1');
  message[4] = command;
  message[9] = 0x18;
  message.writeUInt16LE(header.flags2 ?? 0xc807, 10);
  message.writeUInt16LE(header.pidHigh ?? 0, 12);
  message.writeUInt16LE(header.tid ?? 0, 24);
  message.writeUInt16LE(header.pid ?? 0xfeff, 26);
  message.writeUInt16LE(header.uid ?? 0, 28);
  message.writeUInt16LE(header.mid ?? 1, 30);
  message[32] = words.length / 2;
  Buffer.from(words).copy(message, 33);
  message.writeUInt16LE(data.length, 33 + words.length);
  Buffer.from(data).copy(message, 35 + words.length);
  return frameNetbios(message);
}

export function frameNetbios(message: Uint8Array): Uint8Array {
  const framed = Buffer.alloc(4 + message.length);
  framed.writeUInt32BE(message.length, 0);
  Buffer.from(message).copy(framed, 4);
  return framed;
}

/** An SMB2 request (header + body), NetBIOS-framed. */
export function smb2Request(command: number, body: Uint8Array, header: { messageId?: bigint; sessionId?: bigint; treeId?: number } = {}): Uint8Array {
  const message = Buffer.alloc(64 + body.length);
  message.write('\xfeSMB', 0, 'latin1');
  message.writeUInt16LE(64, 4);
  message.writeUInt16LE(command, 12);
  message.writeUInt16LE(1, 14);
  message.writeBigUInt64LE(header.messageId ?? 0n, 24);
  message.writeUInt32LE(header.treeId ?? 0, 36);
  message.writeBigUInt64LE(header.sessionId ?? 0n, 40);
  Buffer.from(body).copy(message, 64);
  return frameNetbios(message);
}

/** Little-endian fields to bytes: [2, value] is a u16, [4, value] a u32, [1, value] a byte. */
export function le(...fields: [1 | 2 | 4, number][]): Uint8Array {
  const out = Buffer.alloc(fields.reduce((sum, [size]) => sum + size, 0));
  let offset = 0;
  for (const [size, value] of fields) {
    if (size === 1) out.writeUInt8(value & 0xff, offset);
    else if (size === 2) out.writeUInt16LE(value & 0xffff, offset);
    else out.writeUInt32LE(value >>> 0, offset);
    offset += size;
  }
  return out;
}

export function dialects(...names: string[]): Uint8Array {
  return Buffer.concat(names.map((name) => Buffer.from(`\x02${name}\0`, 'latin1')));
}

/** An NTLMSSP message: NEGOTIATE, or AUTHENTICATE with a user and an NT response of `ntLength` bytes. */
export function ntlmssp(kind: 'negotiate' | { user: string; ntLength: number }): Uint8Array {
  if (kind === 'negotiate') return Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), le([4, 1], [4, 0xe2088297]), Buffer.alloc(16)]);
  const user = Buffer.from(kind.user, 'utf16le');
  const nt = Buffer.alloc(kind.ntLength, 0x41);
  const base = 72;
  const fields = Buffer.concat([
    Buffer.from('NTLMSSP\0', 'latin1'),
    le([4, 3]),
    le([2, 0], [2, 0], [4, base]), // LM
    le([2, nt.length], [2, nt.length], [4, base]), // NT
    le([2, 0], [2, 0], [4, base + nt.length]), // domain
    le([2, user.length], [2, user.length], [4, base + nt.length]), // user
    le([2, 0], [2, 0], [4, base + nt.length + user.length]), // workstation
    le([2, 0], [2, 0], [4, base + nt.length + user.length]), // session key
    le([4, 0xe2088215]),
    Buffer.alloc(8),
  ]);
  return Buffer.concat([fields, nt, user]);
}

/** SESSION_SETUP_ANDX with extended security carrying `blob` */
export function sessionSetup(blob: Uint8Array, header: { uid?: number; mid?: number } = {}): Uint8Array {
  const words = le([1, 0xff], [1, 0], [2, 0], [2, 16644], [2, 50], [2, 0], [4, 0], [2, blob.length], [4, 0], [4, 0x8000e3fd]);
  return smb1Request(0x73, words, Buffer.concat([Buffer.from(blob), Buffer.alloc(1), Buffer.from('Unix\0', 'latin1')]), header);
}

export function negotiate(names: string[], header: { pidHigh?: number } = {}): Uint8Array {
  return smb1Request(0x72, new Uint8Array(0), dialects(...names), header);
}
