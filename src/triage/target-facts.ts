import type { Session } from '../core/index.ts';
import type { ObservedFacts } from '../sandbox/index.ts';
import { serverTurns } from './client-payload.ts';
import { smbDialectFamily } from './service-identifier.ts';

/**
 * What the capture itself reveals about the target host: the TTL of its first packet, the SMB
 * dialect its negotiate response chose, the Server header of its HTTP responses, the greeting of a
 * server-first protocol. The session record carries no TCP window, so that (and anything else a
 * caller learned elsewhere, such as a SYN/ACK fingerprint) comes in as `extra` and wins.
 */
export function observeTargetFacts(session: Session, extra: ObservedFacts = {}): ObservedFacts {
  const facts: ObservedFacts = {};
  if (session.server.ttl > 0) facts.ttl = session.server.ttl;
  const replies = serverTurns(session);
  if (session.proto === 'tcp') {
    const dialect = chosenSmbDialect(session, replies);
    if (dialect !== undefined) facts.smbDialects = [dialect];
    const server = httpServerHeader(replies);
    if (server !== undefined) facts.httpServer = server;
    const banner = greeting(session);
    if (banner !== undefined) facts.banners = [{ proto: session.proto, port: session.server.port, text: banner }];
  }
  return { ...facts, ...extra };
}

/** The Server header of the first HTTP response that has one. */
function httpServerHeader(replies: Buffer[]): string | undefined {
  for (const reply of replies.slice(0, 16)) {
    const head = reply.subarray(0, 8192).toString('latin1');
    if (!/^HTTP\/\d\.\d \d{3}/.test(head)) continue;
    const headerEnd = head.indexOf('\r\n\r\n');
    const match = /^server[ \t]*:[ \t]*([^\r\n]*)/im.exec(headerEnd === -1 ? head : head.slice(0, headerEnd));
    const value = match?.[1]?.trim();
    if (value) return value;
  }
  return undefined;
}

/** A server-first protocol's first line (FTP/SMTP 220, SSH version string, a telnet login prompt). */
function greeting(session: Session): string | undefined {
  const first = session.turns[0];
  if (!first || first.direction !== 'to_client' || session.midstream) return undefined;
  const text = first.data.subarray(0, 512).toString('latin1');
  if (!/^(SSH-|220[ -]|[\x20-\x7e]{3,}\r?\n?)/.test(text)) return undefined;
  const line = text.split(/\r?\n/)[0]!.trim();
  return line === '' || /[^\x20-\x7e]/.test(line) ? undefined : line;
}

const SMB2_DIALECTS: Record<number, string> = {
  0x0202: '2.0.2',
  // the wildcard answer to a multi-protocol negotiate: the server speaks SMB 2.0.2 at least
  0x02ff: '2.0.2',
  0x0210: '2.1',
  0x0300: '3.0',
  0x0302: '3.0.2',
  0x0311: '3.1.1',
};

/** The dialect the server's negotiate response chose: SMB2 by revision, SMB1 by index into the client's list. */
function chosenSmbDialect(session: Session, replies: Buffer[]): string | undefined {
  const request = session.turns.find((turn) => turn.direction === 'to_server' && smbDialectFamily(turn.data) !== null);
  for (const reply of replies.slice(0, 8)) {
    const family = smbDialectFamily(reply);
    if (family === 'smb2' && reply.length >= 4 + 64 + 6 && reply.readUInt16LE(4 + 12) === 0 && (reply.readUInt32LE(4 + 16) & 1) === 1) {
      return SMB2_DIALECTS[reply.readUInt16LE(4 + 64 + 4)];
    }
    if (family === 'smb1' && reply.length >= 4 + 35 && reply[4 + 4] === 0x72 && reply[4 + 32]! >= 1) {
      const index = reply.readUInt16LE(4 + 33);
      return request ? smb1DialectList(request.data)[index] : undefined;
    }
  }
  return undefined;
}

/** The dialect strings of an SMB1 NEGOTIATE request: 0x02-prefixed, NUL-terminated, after the word block. */
function smb1DialectList(request: Buffer): string[] {
  const header = 4;
  if (request.length < header + 35 || request[header + 4] !== 0x72) return [];
  const wordCount = request[header + 32]!;
  const byteCountAt = header + 33 + wordCount * 2;
  if (byteCountAt + 2 > request.length) return [];
  const end = Math.min(request.length, byteCountAt + 2 + request.readUInt16LE(byteCountAt));
  const dialects: string[] = [];
  let at = byteCountAt + 2;
  while (at < end && request[at] === 0x02) {
    const terminator = request.indexOf(0, at + 1);
    if (terminator === -1 || terminator >= end) break;
    dialects.push(request.subarray(at + 1, terminator).toString('latin1'));
    at = terminator + 1;
  }
  return dialects;
}
