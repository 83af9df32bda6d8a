import { smbDialectFamily } from './service-identifier.ts';

/**
 * Fields longer than the protocol needs: the shape of most memory-corruption attacks (a 3 KB
 * Authorization header, a 376-byte SQL Server instance name, a TLS heartbeat claiming more than it
 * carries, an SMB transaction announcing more data than any buffer holds). Each finding names the
 * field, so a job says why it ranked high.
 */
export interface OversizeField {
  field: string;
  length: number;
  limit: number;
}

/** Limits are generous: real clients stay far below them, overflows far above. */
const LIMITS = {
  httpRequestLine: 4096,
  httpHeaderLine: 2048,
  textCommandLine: 512,
  ssrpInstanceName: 32,
  smbTransactionData: 0xffff,
  smbCompressedOriginal: 16 * 1024 * 1024,
  fillerRun: 256,
} as const;
/** bytes examined per session: the fields live near the start of their messages */
const EXAMINED_BYTES = 256 * 1024;
const MAX_FINDINGS = 16;

export function findOversizeFields(payload: Buffer, protocol: string): OversizeField[] {
  const bytes = payload.subarray(0, EXAMINED_BYTES);
  const findings: OversizeField[] = [];
  switch (protocol) {
    case 'http':
    case 'rtsp':
      httpFields(bytes, findings);
      break;
    case 'tls':
      tlsHeartbeats(bytes, findings);
      break;
    case 'ssrp':
      if (bytes[0] === 0x04 && bytes.length - 1 > LIMITS.ssrpInstanceName) findings.push({ field: 'ssrp.instance_name', length: bytes.length - 1, limit: LIMITS.ssrpInstanceName });
      break;
    case 'ftp':
    case 'smtp':
      textCommands(bytes, protocol, findings);
      break;
    default:
      if (protocol.startsWith('smb')) smbFields(bytes, findings);
  }
  fillerRuns(bytes, findings);
  return findings.slice(0, MAX_FINDINGS);
}

function httpFields(bytes: Buffer, findings: OversizeField[]): void {
  const lines = bytes.toString('latin1').split('\n');
  let inHeaders = false;
  for (const line of lines) {
    if (/^[A-Z_]{3,16} \S+ (HTTP|RTSP)\/\d\.\d/.test(line)) {
      inHeaders = true;
      if (line.length > LIMITS.httpRequestLine) findings.push({ field: 'http.request_line', length: line.length, limit: LIMITS.httpRequestLine });
      continue;
    }
    if (!inHeaders) continue;
    if (line === '\r' || line === '') {
      inHeaders = false;
      continue;
    }
    if (line.length > LIMITS.httpHeaderLine) {
      const name = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}):/.exec(line)?.[1]?.toLowerCase() ?? 'unnamed';
      findings.push({ field: `http.header.${name}`, length: line.length, limit: LIMITS.httpHeaderLine });
    }
  }
}

/** Heartbeat requests whose payload_length exceeds the record: Heartbleed's over-read (CVE-2014-0160). */
function tlsHeartbeats(bytes: Buffer, findings: OversizeField[]): void {
  let at = 0;
  for (let records = 0; at + 5 <= bytes.length && records < 1024; records++) {
    const type = bytes[at]!;
    if (type < 20 || type > 24 || bytes[at + 1] !== 0x03) return;
    const length = bytes.readUInt16BE(at + 3);
    if (type === 24 && length >= 3 && at + 8 <= bytes.length) {
      const claimed = bytes.readUInt16BE(at + 6);
      // type(1) + payload_length(2) + payload + at least 16 bytes of padding must fit the record
      if (claimed + 3 + 16 > length) findings.push({ field: 'tls.heartbeat.payload_length', length: claimed, limit: Math.max(0, length - 19) });
    }
    at += 5 + length;
  }
}

function textCommands(bytes: Buffer, protocol: string, findings: OversizeField[]): void {
  for (const line of bytes.toString('latin1').split('\n')) {
    if (line.length > LIMITS.textCommandLine) {
      const verb = /^([A-Za-z]{3,8})/.exec(line)?.[1]?.toLowerCase() ?? 'line';
      findings.push({ field: `${protocol}.${verb}`, length: line.length, limit: LIMITS.textCommandLine });
    }
  }
}

/** SMB1 NT_TRANSACT announcing more data than fits in 64 KB (EternalBlue); SMB3 compression sizes (SMBGhost). */
function smbFields(bytes: Buffer, findings: OversizeField[]): void {
  let at = 0;
  for (let frames = 0; at + 8 <= bytes.length && frames < 4096; frames++) {
    if (bytes[at] !== 0x00) return;
    const length = ((bytes[at + 1]! & 0x01) << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const header = at + 4;
    const family = smbDialectFamily(bytes.subarray(at, at + 8));
    if (family === 'smb1' && bytes[header + 4] === 0xa0 && header + 48 <= bytes.length) {
      const totalData = bytes.readUInt32LE(header + 33 + 7);
      if (totalData > LIMITS.smbTransactionData) findings.push({ field: 'smb1.nt_transact.total_data_count', length: totalData, limit: LIMITS.smbTransactionData });
    }
    if (family === 'smb-compressed' && header + 8 <= bytes.length) {
      const original = bytes.readUInt32LE(header + 4);
      if (original > LIMITS.smbCompressedOriginal) findings.push({ field: 'smb3.compression.original_size', length: original, limit: LIMITS.smbCompressedOriginal });
    }
    at = header + length;
  }
}

/**
 * A long run of one byte other than zero, space or 0xff: the padding that walks an overflow up to
 * a return address ("AAAA…", 0x90 sleds). Zero and space runs are common in honest files.
 */
function fillerRuns(bytes: Buffer, findings: OversizeField[]): void {
  let longest = 0;
  let longestByte = 0;
  for (let at = 0; at < bytes.length; ) {
    const byte = bytes[at]!;
    let end = at + 1;
    while (end < bytes.length && bytes[end] === byte) end++;
    if (end - at > longest && byte !== 0x00 && byte !== 0x20 && byte !== 0xff) {
      longest = end - at;
      longestByte = byte;
    }
    at = end;
  }
  if (longest >= LIMITS.fillerRun) findings.push({ field: `filler_run_0x${longestByte.toString(16).padStart(2, '0')}`, length: longest, limit: LIMITS.fillerRun });
}
