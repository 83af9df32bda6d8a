import { ByteReader, ByteWriter, ascii, fromAscii, fromUtf16, utf16 } from './byte-reader.ts';

/** NTLM authentication messages ([MS-NLMP] 2.2.1), as far as a server that never knows a password needs them. */

const SIGNATURE = ascii('NTLMSSP\0');
export const NtlmMessageType = { negotiate: 1, challenge: 2, authenticate: 3 } as const;

const FLAG_UNICODE = 0x00000001;
const FLAG_REQUEST_TARGET = 0x00000004;
const FLAG_NTLM = 0x00000200;
const FLAG_ALWAYS_SIGN = 0x00008000;
const FLAG_TARGET_TYPE_DOMAIN = 0x00010000;
const FLAG_EXTENDED_SESSION_SECURITY = 0x00080000;
const FLAG_TARGET_INFO = 0x00800000;
const FLAG_VERSION = 0x02000000;
const FLAG_128 = 0x20000000;
const FLAG_KEY_EXCHANGE = 0x40000000;
const FLAG_56 = 0x80000000;

export interface NtlmAuthenticate {
  user: string;
  domain: string;
  workstation: string;
  lmResponseLength: number;
  ntResponseLength: number;
  /** a null session: no user and no response ([MS-NLMP] 3.2.5.1.2 anonymous) */
  anonymous: boolean;
}

/** Where an NTLMSSP message starts inside a security blob (raw, or wrapped in SPNEGO), or -1. */
export function findNtlmssp(blob: Uint8Array): number {
  outer: for (let index = 0; index + SIGNATURE.length <= blob.length; index++) {
    for (let offset = 0; offset < SIGNATURE.length; offset++) if (blob[index + offset] !== SIGNATURE[offset]) continue outer;
    return index;
  }
  return -1;
}

export function ntlmMessageType(message: Uint8Array): number | undefined {
  return new ByteReader(message).u32(8);
}

/** Parses an AUTHENTICATE message; null when its fields point outside it. */
export function parseNtlmAuthenticate(message: Uint8Array): NtlmAuthenticate | null {
  const reader = new ByteReader(message);
  const flags = reader.u32(60) ?? FLAG_UNICODE;
  const field = (at: number): Uint8Array | null => {
    const length = reader.u16(at);
    const offset = reader.u32(at + 4);
    if (length === undefined || offset === undefined) return null;
    if (length === 0) return new Uint8Array(0);
    if (!reader.has(offset, length)) return null;
    return reader.slice(offset, length);
  };
  const lm = field(12);
  const nt = field(20);
  const domain = field(28);
  const user = field(36);
  const workstation = field(44);
  if (!lm || !nt || !domain || !user || !workstation) return null;
  const text = (bytes: Uint8Array) => ((flags & FLAG_UNICODE) !== 0 ? fromUtf16(bytes) : fromAscii(bytes));
  const userName = text(user);
  // an anonymous AUTHENTICATE carries no NT response and at most one zero byte of LM response
  const emptyLm = lm.length === 0 || (lm.length === 1 && lm[0] === 0);
  return {
    user: userName,
    domain: text(domain),
    workstation: text(workstation),
    lmResponseLength: lm.length,
    ntResponseLength: nt.length,
    anonymous: userName === '' && nt.length === 0 && emptyLm,
  };
}

export interface ChallengeIdentity {
  /** NetBIOS computer name */
  computer: string;
  /** NetBIOS domain or workgroup name */
  domain: string;
  /** "6.1.7601" */
  osVersion: string;
  /** 8 bytes the client will answer to; a dummy never checks the answer */
  serverChallenge: Uint8Array;
  /** Windows FILETIME for the MsvAvTimestamp pair (NT 6 and later send one) */
  filetime?: bigint;
}

/** A CHALLENGE message a Windows server of the profile's version would send. */
export function buildNtlmChallenge(identity: ChallengeIdentity, clientFlags: number): Uint8Array {
  const targetName = utf16(identity.domain);
  const info = new ByteWriter();
  const pair = (id: number, value: Uint8Array) => info.u16(id).u16(value.length).bytes(value);
  pair(2, utf16(identity.domain));
  pair(1, utf16(identity.computer));
  pair(4, utf16(identity.domain.toLowerCase()));
  pair(3, utf16(identity.computer.toLowerCase()));
  if (identity.filetime !== undefined) info.u16(7).u16(8).u64(identity.filetime);
  info.u16(0).u16(0);
  const targetInfo = info.finish();
  const flags =
    FLAG_UNICODE |
    FLAG_REQUEST_TARGET |
    FLAG_NTLM |
    FLAG_ALWAYS_SIGN |
    FLAG_TARGET_TYPE_DOMAIN |
    FLAG_EXTENDED_SESSION_SECURITY |
    FLAG_TARGET_INFO |
    FLAG_VERSION |
    (clientFlags & (FLAG_128 | FLAG_56 | FLAG_KEY_EXCHANGE));
  const [major, minor, build] = identity.osVersion.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const headerLength = 56;
  const writer = new ByteWriter()
    .bytes(SIGNATURE)
    .u32(NtlmMessageType.challenge)
    .u16(targetName.length)
    .u16(targetName.length)
    .u32(headerLength)
    .u32(flags)
    .bytes(identity.serverChallenge.subarray(0, 8))
    .zeros(8)
    .u16(targetInfo.length)
    .u16(targetInfo.length)
    .u32(headerLength + targetName.length)
    .u8(major)
    .u8(minor)
    .u16(build)
    .zeros(3)
    .u8(15);
  return writer.bytes(targetName).bytes(targetInfo).finish();
}

export function ntlmNegotiateFlags(message: Uint8Array): number {
  return new ByteReader(message).u32(12) ?? 0;
}
