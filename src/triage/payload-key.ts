import { createHash } from 'node:crypto';
import type { ClientPayload } from './client-payload.ts';

/**
 * The normalised payload key: a hash of the client's bytes with the fields taken out that differ
 * between copies of one attack sent by different hosts or at different times — addresses and
 * ports written into the payload, SMB process/multiplex/user/tree ids and signatures, DCE/RPC
 * call ids, TLS randoms, DNS transaction ids, HTTP Host/Date/cookies. Conservative on purpose:
 * only fields that legitimately vary per connection are masked, so two keys are equal only when
 * the attacker-controlled bytes are.
 */
export interface PayloadKey {
  /** hex SHA-256 (first 32 digits) over the service kind and the masked bytes */
  key: string;
  /** byte ranges [start, end) of the client stream that were masked, sorted and merged */
  masked: Array<[number, number]>;
}

export interface PayloadKeyContext {
  kind: string;
  protocol: string;
  clientIp: string;
  serverIp: string;
}

/** Stands in for every masked range; its length is not hashed, since Host values differ in length. */
const MASK_MARKER = Buffer.from([0x00, 0xff, 0x00, 0xff]);
/** HTTP headers whose values vary per connection or per sender, never per attack */
const VARYING_HTTP_HEADERS = /^(host|date|cookie|if-modified-since|if-none-match|x-forwarded-for|x-real-ip|x-request-id)[ \t]*:[ \t]*([^\r\n]*)/gim;
/** header text examined for HTTP: the request line and headers of large uploads lie well within it */
const HTTP_TEXT_LIMIT = 256 * 1024;

export function payloadKey(payload: ClientPayload, context: PayloadKeyContext): PayloadKey {
  const ranges: Array<[number, number]> = [];
  const { bytes } = payload;
  maskAddresses(bytes, [context.clientIp, context.serverIp], ranges);
  if (context.protocol.startsWith('smb')) maskSmb(bytes, ranges);
  if (context.protocol === 'dcerpc') maskDcerpc(bytes, 0, ranges);
  if (context.protocol === 'http' || context.protocol === 'rtsp') maskHttpHeaders(bytes, ranges);
  if (context.protocol === 'tls') maskTlsHello(bytes, ranges);
  if (context.protocol === 'dns' || context.protocol === 'nbns') {
    for (const offset of payload.turnOffsets) ranges.push([offset, offset + 2]);
  }
  const masked = mergeRanges(ranges, bytes.length);
  const hash = createHash('sha256').update(context.kind).update('\0');
  let at = 0;
  for (const [start, end] of masked) {
    hash.update(bytes.subarray(at, start)).update(MASK_MARKER);
    at = end;
  }
  hash.update(bytes.subarray(at));
  return { key: hash.digest('hex').slice(0, 32), masked };
}

export function mergeRanges(ranges: Array<[number, number]>, limit: number): Array<[number, number]> {
  const sorted = ranges
    .map(([start, end]): [number, number] => [Math.max(0, start), Math.min(limit, end)])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const range of sorted) {
    const last = out[out.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else out.push([...range]);
  }
  return out;
}

/** The peers' addresses as text (ASCII and UTF-16LE, with a ":port" after them) and IPv4 in binary. */
function maskAddresses(bytes: Buffer, addresses: string[], ranges: Array<[number, number]>): void {
  for (const address of addresses) {
    if (address === '') continue;
    const forms = [Buffer.from(address, 'latin1'), Buffer.from(address, 'utf16le')];
    const quad = address.split('.');
    if (quad.length === 4 && quad.every((part) => /^\d{1,3}$/.test(part))) forms.push(Buffer.from(quad.map(Number)));
    forms.forEach((form, formIndex) => {
      const step = formIndex === 1 ? 2 : 1;
      for (let at = bytes.indexOf(form); at !== -1; at = bytes.indexOf(form, at + 1)) {
        let end = at + form.length;
        if (formIndex < 2 && bytes[end] === 0x3a) {
          // ":8080" after a textual address is the port, which varies with the capture too
          let digits = end + step;
          while (digits < bytes.length && bytes[digits]! >= 0x30 && bytes[digits]! <= 0x39 && (step === 1 || bytes[digits + 1] === 0)) digits += step;
          if (digits > end + step) end = digits;
        }
        ranges.push([at, end]);
      }
    });
  }
}

/** Walks NetBIOS session messages; masks the per-connection fields of SMB1 and SMB2 headers. */
function maskSmb(bytes: Buffer, ranges: Array<[number, number]>): void {
  let at = 0;
  while (at + 4 <= bytes.length) {
    const type = bytes[at]!;
    const length = ((bytes[at + 1]! & 0x01) << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (type !== 0x00) {
      if (type === 0x81 || type === 0x85) {
        at += 4 + length; // session request / keep-alive carry no SMB
        continue;
      }
      return; // lost the framing (mid-stream pick-up): mask nothing more rather than guess
    }
    const header = at + 4;
    if (bytes[header] === 0xff && bytes[header + 1] === 0x53) {
      for (const [start, end] of [[12, 14], [14, 22], [24, 26], [26, 28], [28, 30], [30, 32]] as const) ranges.push([header + start, header + end]);
    } else if (bytes[header] === 0xfe && bytes[header + 1] === 0x53) {
      maskSmb2Chain(bytes, header, header + length, ranges);
    }
    at = header + length;
  }
}

function maskSmb2Chain(bytes: Buffer, first: number, frameEnd: number, ranges: Array<[number, number]>): void {
  const end = Math.min(frameEnd, bytes.length);
  let header = first;
  for (let guard = 0; guard < 64 && header + 64 <= end; guard++) {
    // MessageId, ProcessId, TreeId, SessionId, Signature
    ranges.push([header + 24, header + 64]);
    const command = bytes.readUInt16LE(header + 12);
    const isResponse = (bytes.readUInt32LE(header + 16) & 1) !== 0;
    if (command === 0 && !isResponse) ranges.push([header + 64 + 12, header + 64 + 28]); // NEGOTIATE ClientGuid
    const next = bytes.readUInt32LE(header + 20);
    if (next === 0) return;
    header += next;
  }
}

/** Call ids of every PDU, and the association group a bind names (the server assigned it). */
export function maskDcerpc(bytes: Buffer, start: number, ranges: Array<[number, number]>): void {
  let at = start;
  while (at + 16 <= bytes.length && bytes[at] === 5) {
    const littleEndian = (bytes[at + 4]! & 0x10) !== 0;
    const fragmentLength = littleEndian ? bytes.readUInt16LE(at + 8) : bytes.readUInt16BE(at + 8);
    if (fragmentLength < 16) return;
    ranges.push([at + 12, at + 16]);
    const type = bytes[at + 2]!;
    if (type === 11 || type === 14) ranges.push([at + 20, at + 24]);
    if (type === 0 && littleEndian) {
      const stub = at + 24 + ((bytes[at + 3]! & 0x80) !== 0 ? 16 : 0); // object UUID present
      maskReferentIds(bytes, stub, Math.min(bytes.length, at + fragmentLength), ranges);
    }
    at += fragmentLength;
  }
}

/**
 * NDR unique-pointer referent ids are chosen by the client's RPC library (some pick them at
 * random), not by the attacker. The one place they are recognisable without the interface's IDL
 * is right before a conformant varying string: max count N, offset 0, actual count N.
 */
function maskReferentIds(bytes: Buffer, stub: number, end: number, ranges: Array<[number, number]>): void {
  for (let at = stub; at + 16 <= end; at += 4) {
    const maxCount = bytes.readUInt32LE(at + 4);
    if (maxCount === 0 || maxCount > 0xffff || bytes.readUInt32LE(at + 8) !== 0 || bytes.readUInt32LE(at + 12) !== maxCount) continue;
    if (bytes.readUInt32LE(at) !== 0) ranges.push([at, at + 4]);
  }
}

function maskHttpHeaders(bytes: Buffer, ranges: Array<[number, number]>): void {
  const text = bytes.subarray(0, HTTP_TEXT_LIMIT).toString('latin1');
  for (const match of text.matchAll(VARYING_HTTP_HEADERS)) {
    const value = match[2]!;
    const end = match.index + match[0].length;
    ranges.push([end - value.length, end]);
  }
}

/** A ClientHello's random and session id are fresh per connection. */
function maskTlsHello(bytes: Buffer, ranges: Array<[number, number]>): void {
  if (bytes.length < 44 || bytes[0] !== 0x16 || bytes[5] !== 0x01) return;
  ranges.push([11, 43]);
  const sessionIdLength = bytes[43]!;
  ranges.push([43, 44 + sessionIdLength]);
}
