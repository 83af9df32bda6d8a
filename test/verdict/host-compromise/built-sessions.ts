/**
 * Sessions built by hand for the host-compromise unit tests: who talked to whom, when, and the
 * bytes of each turn. Times are seconds after a fixed epoch so tests read as a timeline.
 */
import type { Direction, Session } from '../../../src/core/index.ts';
import { sessionRecord } from '../../helpers/session-record.ts';

export const EPOCH = 1_700_000_000;

let nextId = 1000;

export interface BuiltTurn {
  direction: Direction;
  /** seconds after the session's start */
  at: number;
  data: Buffer | string;
}

export function builtSession(fields: { client: string; server: string; start: number; turns?: BuiltTurn[]; proto?: 'tcp' | 'udp'; id?: number }): Session {
  const [clientIp, clientPort] = splitAddress(fields.client);
  const [serverIp, serverPort] = splitAddress(fields.server);
  const session = sessionRecord({
    id: fields.id ?? nextId++,
    client: { ip: clientIp, port: clientPort, mac: -1, ttl: 64 },
    server: { ip: serverIp, port: serverPort, mac: -1, ttl: 64 },
    startSeconds: EPOCH + Math.floor(fields.start),
  });
  session.startNanoseconds = Math.round((fields.start % 1) * 1e9);
  session.proto = fields.proto ?? 'tcp';
  session.turns = (fields.turns ?? []).map((turn) => {
    const time = fields.start + turn.at;
    return { direction: turn.direction, seconds: EPOCH + Math.floor(time), nanoseconds: Math.round((time % 1) * 1e9), data: Buffer.isBuffer(turn.data) ? turn.data : Buffer.from(turn.data, 'latin1') };
  });
  session.toServer.payloadBytes = session.turns.filter((turn) => turn.direction === 'to_server').reduce((sum, turn) => sum + turn.data.length, 0);
  session.toClient.payloadBytes = session.turns.filter((turn) => turn.direction === 'to_client').reduce((sum, turn) => sum + turn.data.length, 0);
  return session;
}

export function at(seconds: number): { seconds: number; nanoseconds: number } {
  return { seconds: EPOCH + Math.floor(seconds), nanoseconds: Math.round((seconds % 1) * 1e9) };
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}

/** An HTTP/1.1 response with a Content-Length body. */
export function httpResponse(status: number, contentType: string, body: Buffer | string, extraHeaders = ''): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1');
  return Buffer.concat([Buffer.from(`HTTP/1.1 ${status} OK\r\nContent-Type: ${contentType}\r\nContent-Length: ${bytes.length}\r\n${extraHeaders}\r\n`, 'latin1'), bytes]);
}

export function httpRequest(method: string, host: string, target: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  if (body !== '') lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** A minimal PE image: MZ header whose e_lfanew points at "PE\0\0", then filler. */
export function peImage(size = 8192): Buffer {
  const image = Buffer.alloc(size, 0x90);
  image.write('MZ', 0, 'latin1');
  image.writeUInt32LE(0x80, 0x3c);
  image.write('PE\0\0', 0x80, 'latin1');
  return image;
}
