/** Sessions with payload for the triage tests: plain Session objects built from turns. */
import type { Session, Turn } from '../../src/core/index.ts';

export interface TestSessionFields {
  id?: number;
  proto?: 'tcp' | 'udp';
  client?: string;
  clientPort?: number;
  server?: string;
  serverPort: number;
  serverTtl?: number;
  seconds?: number;
  midstream?: boolean;
  /** [direction, bytes] in order */
  turns: Array<['to_server' | 'to_client', Buffer | string]>;
}

let nextId = 1;

export function testSession(fields: TestSessionFields): Session {
  const seconds = fields.seconds ?? 1_600_000_000;
  const turns: Turn[] = fields.turns.map(([direction, data]) => ({
    direction,
    seconds,
    nanoseconds: 0,
    data: typeof data === 'string' ? Buffer.from(data, 'latin1') : data,
  }));
  const bytes = (direction: Turn['direction']) => turns.filter((turn) => turn.direction === direction).reduce((sum, turn) => sum + turn.data.length, 0);
  return {
    id: fields.id ?? nextId++,
    proto: fields.proto ?? 'tcp',
    client: { ip: fields.client ?? '10.0.0.5', port: fields.clientPort ?? 40_000, mac: 0x0200_0000_0005, ttl: 64 },
    server: { ip: fields.server ?? '10.0.0.10', port: fields.serverPort, mac: 0x0200_0000_0010, ttl: fields.serverTtl ?? 128 },
    vlan: -1,
    innerVlan: -1,
    startSeconds: seconds,
    startNanoseconds: 0,
    endSeconds: seconds + 1,
    endNanoseconds: 0,
    toServer: { frames: 3, bytes: bytes('to_server') + 120, payloadBytes: bytes('to_server'), missingBytes: 0 },
    toClient: { frames: 3, bytes: bytes('to_client') + 120, payloadBytes: bytes('to_client'), missingBytes: 0 },
    midstream: fields.midstream ?? false,
    truncated: false,
    endReason: 'fin',
    turns,
    anomalies: [],
  };
}

/** A NetBIOS session message around an SMB1 header with the given command and ids. */
export function smb1Message(command: number, ids: { pid: number; uid: number; mid: number; tid: number }, body = Buffer.alloc(3)): Buffer {
  const header = Buffer.alloc(32);
  Buffer.from([0xff, 0x53, 0x4d, 0x42]).copy(header, 0);
  header[4] = command;
  header.writeUInt16LE(ids.tid, 24);
  header.writeUInt16LE(ids.pid, 26);
  header.writeUInt16LE(ids.uid, 28);
  header.writeUInt16LE(ids.mid, 30);
  const smb = Buffer.concat([header, body]);
  const netbios = Buffer.from([0, 0, smb.length >> 8, smb.length & 0xff]);
  return Buffer.concat([netbios, smb]);
}

/** A DCE/RPC bind PDU (version 5.0, little-endian) with a call id. */
export function dcerpcBind(callId: number): Buffer {
  const pdu = Buffer.alloc(72);
  pdu[0] = 5;
  pdu[2] = 11;
  pdu[3] = 3;
  pdu[4] = 0x10;
  pdu.writeUInt16LE(72, 8);
  pdu.writeUInt32LE(callId, 12);
  pdu.writeUInt16LE(4280, 16);
  pdu.writeUInt16LE(4280, 18);
  pdu.fill(0x42, 28);
  return pdu;
}

export function httpRequest(path: string, headers: Record<string, string>): string {
  return `GET ${path} HTTP/1.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
}
