import { ByteWriter, fromAscii } from './byte-reader.ts';
import { filetimeOf } from './security-exchange.ts';
import type { SmbConnectionState } from './smb-connection-state.ts';
import { FLAGS2_EXTENDED_SECURITY, words, type Smb1Block, type Smb1Header, type Smb1ReplyBlock } from './smb1-message.ts';
import { Smb2Dialect, profileSmb2Dialects } from './smb2-dialects.ts';
import { spnegoInitToken } from './spnego.ts';

export type Smb1NegotiateOutcome =
  | { kind: 'smb1'; block: Smb1ReplyBlock }
  /** answer with an SMB2 NEGOTIATE response for this dialect revision */
  | { kind: 'smb2'; dialect: number }
  /** the request took the server's thread: nothing answers */
  | { kind: 'close' };

const NT_LM_012 = 'NT LM 0.12';
const SMB2_002 = 'SMB 2.002';
const SMB2_WILDCARD = 'SMB 2.???';

/** Dialect strings of an SMB1 NEGOTIATE ([MS-CIFS] 2.2.4.52.1): 0x02, text, NUL, repeated. */
export function dialectNames(data: Uint8Array): string[] {
  const names: string[] = [];
  let offset = 0;
  while (offset < data.length && data[offset] === 0x02) {
    let end = offset + 1;
    while (end < data.length && data[end] !== 0) end++;
    names.push(fromAscii(data.subarray(offset + 1, end)));
    offset = end + 1;
  }
  return names;
}

/**
 * An SMB1 NEGOTIATE: NT LM 0.12 when the profile accepts it, an SMB2 answer when the client offers
 * SMB2 and the profile speaks it, and the MS09-050 check — srv2.sys uses the Process ID High field
 * of such a request as an index into a function table without a bound (CVE-2009-3103).
 */
export function negotiateSmb1(connection: SmbConnectionState, header: Smb1Header, block: Smb1Block, raw: Uint8Array): Smb1NegotiateOutcome {
  const host = connection.host;
  const names = dialectNames(block.data.bytes);
  if (names.length === 0) host.anomaly('smb.negotiate_no_dialects');
  const offersSmb2 = names.includes(SMB2_002) || names.includes(SMB2_WILDCARD);
  if (offersSmb2 && header.pidHigh !== 0) {
    const vulnerable = connection.reportOnce('MS09-050', {
      vulnerability: 'MS09-050',
      service: 'smb',
      detail: `SMB1 NEGOTIATE offering SMB2 with Process ID High 0x${header.pidHigh.toString(16)}: srv2.sys indexes its validation table with it`,
    });
    if (vulnerable) {
      host.runCode(raw, { service: 'smb', vulnerability: 'MS09-050', os: 'windows', bits: host.profile.arch === 'x64' ? 64 : 32 });
      return { kind: 'close' };
    }
  }
  const smb2 = profileSmb2Dialects(host.profile);
  if (offersSmb2 && smb2.length > 0) {
    // "SMB 2.???" asks a multi-dialect server to go on with a real SMB2 NEGOTIATE ([MS-SMB2] 3.3.5.3.1)
    const wildcard = names.includes(SMB2_WILDCARD) && smb2.some((dialect) => dialect > Smb2Dialect.smb202);
    return { kind: 'smb2', dialect: wildcard ? Smb2Dialect.wildcard : Smb2Dialect.smb202 };
  }
  const accepted = host.profile.fingerprint.smbDialects;
  const index = accepted.includes(NT_LM_012) ? names.indexOf(NT_LM_012) : -1;
  if (index < 0) {
    // an older dialect, or none the profile knows: the core-protocol answer with its index (0xFFFF: none)
    const older = names.findIndex((name) => accepted.includes(name));
    return { kind: 'smb1', block: { command: header.command, words: words(['u16', older < 0 ? 0xffff : older]), data: new Uint8Array(0) } };
  }
  return { kind: 'smb1', block: ntLm012Response(connection, header, index) };
}

function ntLm012Response(connection: SmbConnectionState, header: Smb1Header, index: number): Smb1ReplyBlock {
  const host = connection.host;
  const extended = (header.flags2 & FLAGS2_EXTENDED_SECURITY) !== 0;
  const nt6 = host.profile.os.kind === 'windows' && Number.parseInt(host.profile.os.version, 10) >= 6;
  const capabilities = (nt6 ? 0x0001f3fd : 0x0000e3fd) | (extended ? 0x80000000 : 0);
  const challenge = Uint8Array.from({ length: 8 }, (_, position) => (host.hostname.charCodeAt(position % Math.max(1, host.hostname.length)) * 31 + position) & 0xff);
  const data = new ByteWriter();
  if (extended) {
    data.bytes(serverGuid(host.hostname)).bytes(spnegoInitToken());
  } else {
    data.bytes(challenge);
    for (const name of ['WORKGROUP', host.hostname.toUpperCase().slice(0, 15)]) {
      for (const character of name) data.u16(character.charCodeAt(0));
      data.u16(0);
    }
  }
  return {
    command: header.command,
    words: words(
      ['u16', index],
      ['u8', 0x03],
      ['u16', 50],
      ['u16', 1],
      ['u32', 16644],
      ['u32', 65536],
      ['u32', 0],
      ['u32', capabilities],
      ['u64', filetimeOf(host.now())],
      ['u16', 0],
      ['u8', extended ? 0 : 8],
    ),
    data: data.finish(),
  };
}

/** A stable GUID per host name: the same dummy always looks like the same server. */
export function serverGuid(hostname: string): Uint8Array {
  const guid = new Uint8Array(16);
  for (let index = 0; index < 16; index++) guid[index] = (hostname.charCodeAt(index % Math.max(1, hostname.length)) * (index + 7) + index * 13) & 0xff;
  return guid;
}
