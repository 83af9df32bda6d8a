/**
 * Just enough NTLMSSP (MS-NLMP) for a dummy to take part in an authenticated bind: it answers a
 * NEGOTIATE with a CHALLENGE naming itself, and reads an AUTHENTICATE far enough to tell an
 * anonymous logon from a credentialed one. A dummy knows no passwords, so a credentialed logon is
 * never verified: calls that need rights are refused for it.
 */
import { randomBytes } from 'node:crypto';

const SIGNATURE = [0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00]; // "NTLMSSP\0"

export const NtlmMessageType = { Negotiate: 1, Challenge: 2, Authenticate: 3 } as const;

const NEGOTIATE_UNICODE = 0x00000001;
const REQUEST_TARGET = 0x00000004;
const NEGOTIATE_NTLM = 0x00000200;
const NEGOTIATE_ANONYMOUS = 0x00000800;
const NEGOTIATE_ALWAYS_SIGN = 0x00008000;
const TARGET_TYPE_DOMAIN = 0x00010000;
const NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;
const NEGOTIATE_TARGET_INFO = 0x00800000;
const NEGOTIATE_VERSION = 0x02000000;
const NEGOTIATE_128 = 0x20000000;
const NEGOTIATE_KEY_EXCH = 0x40000000;
const NEGOTIATE_56 = 0x80000000;

/** where an NTLMSSP message starts in `token` (raw, or wrapped in SPNEGO), or -1 */
export function findNtlmMessage(token: Uint8Array): number {
  outer: for (let start = 0; start + SIGNATURE.length + 4 <= token.length; start++) {
    for (let index = 0; index < SIGNATURE.length; index++) if (token[start + index] !== SIGNATURE[index]) continue outer;
    return start;
  }
  return -1;
}

export function ntlmMessageType(message: Uint8Array): number {
  if (message.length < 12) return 0;
  return new DataView(message.buffer, message.byteOffset, message.byteLength).getUint32(8, true);
}

export type NtlmIdentity = 'anonymous' | 'credentialed';

/** An AUTHENTICATE message's logon kind: anonymous when it carries no user and no NT response. */
export function readNtlmAuthenticate(message: Uint8Array): NtlmIdentity | 'invalid' {
  if (message.length < 64 || ntlmMessageType(message) !== NtlmMessageType.Authenticate) return 'invalid';
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const ntResponseLength = view.getUint16(20, true);
  const userLength = view.getUint16(36, true);
  const flags = view.getUint32(60, true);
  if ((flags & NEGOTIATE_ANONYMOUS) !== 0) return 'anonymous';
  return ntResponseLength === 0 && userLength === 0 ? 'anonymous' : 'credentialed';
}

export interface ChallengeNames {
  /** NetBIOS name of the dummy */
  computer: string;
  /** NetBIOS name of its domain or workgroup */
  domain: string;
}

/** A CHALLENGE message (type 2) with a fresh server challenge and the target info Windows sends. */
export function buildNtlmChallenge(names: ChallengeNames, nowMs: number): Uint8Array {
  const domain = utf16(names.domain);
  const info = targetInfo(names, nowMs);
  const headerLength = 56;
  const message = new Uint8Array(headerLength + domain.length + info.length);
  const view = new DataView(message.buffer);
  message.set(SIGNATURE, 0);
  view.setUint32(8, NtlmMessageType.Challenge, true);
  view.setUint16(12, domain.length, true);
  view.setUint16(14, domain.length, true);
  view.setUint32(16, headerLength, true);
  const flags =
    NEGOTIATE_UNICODE | REQUEST_TARGET | NEGOTIATE_NTLM | NEGOTIATE_ALWAYS_SIGN | TARGET_TYPE_DOMAIN |
    NEGOTIATE_EXTENDED_SESSIONSECURITY | NEGOTIATE_TARGET_INFO | NEGOTIATE_VERSION | NEGOTIATE_128 | NEGOTIATE_KEY_EXCH | NEGOTIATE_56;
  view.setUint32(20, flags >>> 0, true);
  message.set(randomBytes(8), 24);
  view.setUint16(40, info.length, true);
  view.setUint16(42, info.length, true);
  view.setUint32(44, headerLength + domain.length, true);
  // version: 6.1 build 7601, NTLM revision 15 (what the NT6 profiles answer; older clients ignore it)
  message.set([6, 1, 0xb1, 0x1d, 0, 0, 0, 15], 48);
  message.set(domain, headerLength);
  message.set(info, headerLength + domain.length);
  return message;
}

function targetInfo(names: ChallengeNames, nowMs: number): Uint8Array {
  const pairs: [number, Uint8Array][] = [
    [2, utf16(names.domain)],
    [1, utf16(names.computer)],
    [4, utf16(names.domain.toLowerCase())],
    [3, utf16(names.computer.toLowerCase())],
    [7, fileTime(nowMs)],
  ];
  const length = pairs.reduce((sum, [, value]) => sum + 4 + value.length, 4);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const [id, value] of pairs) {
    view.setUint16(offset, id, true);
    view.setUint16(offset + 2, value.length, true);
    bytes.set(value, offset + 4);
    offset += 4 + value.length;
  }
  return bytes; // the final 4 zero bytes are MsvAvEOL
}

function fileTime(nowMs: number): Uint8Array {
  // 100 ns ticks since 1601; the dummy's virtual clock is added to a fixed epoch so answers are stable
  const ticks = (BigInt(1_600_000_000_000 + Math.floor(nowMs)) + 11_644_473_600_000n) * 10_000n;
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, ticks, true);
  return bytes;
}

export function utf16(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2);
  for (let index = 0; index < text.length; index++) {
    bytes[index * 2] = text.charCodeAt(index) & 0xff;
    bytes[index * 2 + 1] = text.charCodeAt(index) >>> 8;
  }
  return bytes;
}
