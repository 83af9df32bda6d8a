/**
 * Which sink a TCP connection gets: the first bytes the dummy sends win when they name a protocol
 * (so HTTP to port 4444 still meets the HTTP sink), the destination port decides otherwise, and
 * anything left meets the raw sink.
 */
import type { SinkName } from './egress-event.ts';

export type Detection = { kind: 'sink'; sink: SinkName } | { kind: 'need_more' };

/** bytes after which an undecided stream goes to the port's sink or the raw sink */
export const SNIFF_BYTES = 16;

const HTTP_METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PROPFIND', 'MKCOL', 'SEARCH'];
const FTP_COMMANDS = ['USER', 'PASS', 'TYPE', 'PASV', 'PORT', 'RETR', 'STOR', 'QUIT', 'SYST', 'FEAT', 'AUTH'];

/** What the first bytes say; null when they say nothing (yet) */
export function sniffTcp(bytes: Uint8Array): SinkName | 'need_more' | null {
  if (bytes.length === 0) return 'need_more';
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, SNIFF_BYTES)).toString('latin1');
  const http = prefixMatch(text, HTTP_METHODS.map((method) => `${method} `));
  if (http !== null) return http ? 'http' : 'need_more';
  if (bytes[0] === 0x16) {
    if (bytes.length < 3) return 'need_more';
    if (bytes[1] === 0x03 && bytes[2]! <= 0x04) return 'tls';
  }
  if (bytes[0] === 0x80 && bytes.length >= 3 && bytes[2] === 0x01) return 'tls'; // SSLv2-framed ClientHello
  const jrmi = prefixMatch(text, ['JRMI']);
  if (jrmi !== null) return jrmi ? 'rmi' : 'need_more';
  if (bytes[0] === 0x30) return looksLikeLdap(bytes);
  const ftp = prefixMatch(text.toUpperCase(), FTP_COMMANDS.map((command) => `${command} `).concat(['PASV\r', 'QUIT\r', 'SYST\r']));
  if (ftp !== null) return ftp ? 'ftp' : 'need_more';
  return null;
}

export function detectTcp(bytes: Uint8Array, port: number, ports: Readonly<Record<number, SinkName>>, final: boolean): Detection {
  const sniffed = sniffTcp(bytes);
  if (sniffed !== null && sniffed !== 'need_more') return { kind: 'sink', sink: sniffed };
  if (sniffed === 'need_more' && !final && bytes.length < SNIFF_BYTES) return { kind: 'need_more' };
  return { kind: 'sink', sink: ports[port] ?? 'raw' };
}

/** true: a candidate matches whole; false: the text is a proper prefix of one; null: no match */
function prefixMatch(text: string, candidates: string[]): boolean | null {
  let partial = false;
  for (const candidate of candidates) {
    if (text.startsWith(candidate)) return true;
    if (candidate.startsWith(text)) partial = true;
  }
  return partial ? false : null;
}

/** LDAPMessage: SEQUENCE, a BER length, then the INTEGER messageID */
function looksLikeLdap(bytes: Uint8Array): SinkName | 'need_more' | null {
  if (bytes.length < 2) return 'need_more';
  let offset = 2;
  const first = bytes[1]!;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) return null;
    offset += count;
  }
  if (bytes.length <= offset + 1) return 'need_more';
  const length = bytes[offset + 1]!;
  return bytes[offset] === 0x02 && length >= 1 && length <= 4 ? 'ldap' : null;
}
