/**
 * HTTP/1.x requests and their responses read back out of a reassembled TCP session, enough for the
 * drive-by rule: who asked which site for what, and what body came back (de-chunked and
 * decompressed, capped). Any parse failure ends the walk: the exchanges read so far are kept and
 * the rest of the session is treated as not HTTP. Never throws on hostile bytes.
 */
import { constants, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { Session, Timestamp } from '../../core/index.ts';
import { directionStream } from './direction-stream.ts';

export interface HttpRequest {
  method: string;
  target: string;
  /** Host header, lower-cased, without a port; '' when absent */
  host: string;
  headers: Map<string, string>;
  time: Timestamp;
}

export interface HttpResponse {
  status: number;
  headers: Map<string, string>;
  /** the body as the application sees it (de-chunked, decompressed), at most `bodyLimit` bytes */
  body: Buffer;
  /** true when the capture or a limit cut the body short */
  bodyCut: boolean;
  time: Timestamp;
}

export interface HttpExchange {
  request: HttpRequest;
  response: HttpResponse | null;
}

export interface HttpReadLimits {
  /** bytes of each direction read (4 MiB) */
  streamBytes: number;
  /** bytes of one body kept after decoding (2 MiB) */
  bodyBytes: number;
  exchanges: number;
}

export const DEFAULT_HTTP_LIMITS: HttpReadLimits = { streamBytes: 4 << 20, bodyBytes: 2 << 20, exchanges: 256 };

const REQUEST_LINE = /^([A-Z][A-Z-]{0,15}) (\S{1,8192}) HTTP\/\d\.\d$/;
const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})(?: .*)?$/;
const HEADER_LIMIT = 32 * 1024;

/** The HTTP exchanges of a session, in order; [] for sessions that do not start as HTTP. */
export function readHttpExchanges(session: Session, limits: HttpReadLimits = DEFAULT_HTTP_LIMITS): HttpExchange[] {
  if (session.proto !== 'tcp') return [];
  const requests = directionStream(session, 'to_server', limits.streamBytes);
  if (!REQUEST_LINE.test(firstLine(requests.bytes, 0))) return [];
  const responses = directionStream(session, 'to_client', limits.streamBytes);
  const exchanges: HttpExchange[] = [];
  let requestOffset = 0;
  let responseOffset = 0;
  while (exchanges.length < limits.exchanges) {
    const head = readHead(requests.bytes, requestOffset);
    if (!head) break;
    const match = REQUEST_LINE.exec(head.startLine);
    if (!match) break;
    const requestBody = readBody(requests.bytes, head.end, head.headers, false, limits.bodyBytes);
    const request: HttpRequest = {
      method: match[1]!,
      target: match[2]!,
      host: hostWithoutPort(head.headers.get('host') ?? ''),
      headers: head.headers,
      time: requests.timeAt(requestOffset),
    };
    requestOffset = requestBody.end;
    const response = readResponse(responses, responseOffset, request.method === 'HEAD', limits);
    exchanges.push({ request, response: response?.response ?? null });
    if (response) responseOffset = response.end;
    if (requestBody.end < 0) break;
  }
  return exchanges;
}

function readResponse(
  stream: ReturnType<typeof directionStream>,
  start: number,
  headRequest: boolean,
  limits: HttpReadLimits,
): { response: HttpResponse; end: number } | null {
  let offset = start;
  // interim 1xx responses (100 Continue) precede the real one
  for (let interim = 0; interim < 8; interim++) {
    const head = readHead(stream.bytes, offset);
    if (!head) return null;
    const match = STATUS_LINE.exec(head.startLine);
    if (!match) return null;
    const status = Number(match[1]);
    if (status >= 100 && status < 200) {
      offset = head.end;
      continue;
    }
    const noBody = headRequest || status === 204 || status === 304;
    const body = noBody ? { data: Buffer.alloc(0), cut: false, end: head.end } : readBody(stream.bytes, head.end, head.headers, true, limits.bodyBytes);
    const decoded = decodeContent(body.data, head.headers.get('content-encoding') ?? '', limits.bodyBytes);
    return {
      response: { status, headers: head.headers, body: decoded.data, bodyCut: body.cut || decoded.cut || (body.end < 0 && stream.cut), time: stream.timeAt(offset) },
      end: body.end < 0 ? stream.bytes.length : body.end,
    };
  }
  return null;
}

interface MessageHead {
  startLine: string;
  headers: Map<string, string>;
  end: number;
}

function readHead(bytes: Buffer, offset: number): MessageHead | null {
  if (offset < 0 || offset >= bytes.length) return null;
  const limit = Math.min(bytes.length, offset + HEADER_LIMIT);
  const end = bytes.indexOf('\r\n\r\n', offset, 'latin1');
  if (end < 0 || end + 4 > limit) return null;
  const lines = bytes.toString('latin1', offset, end).split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    // repeated headers are joined, as RFC 9110 allows for list-valued fields
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return { startLine: lines[0]!, headers, end: end + 4 };
}

/** The body after a head; `end` is -1 when the body runs to the end of the stream (or past it). */
function readBody(bytes: Buffer, start: number, headers: Map<string, string>, isResponse: boolean, keep: number): { data: Buffer; cut: boolean; end: number } {
  if ((headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked')) return readChunked(bytes, start, keep);
  const lengthText = headers.get('content-length');
  if (lengthText !== undefined && /^\d{1,15}$/.test(lengthText.split(',')[0]!.trim())) {
    const length = Number(lengthText.split(',')[0]!.trim());
    const available = Math.min(length, bytes.length - start);
    const data = bytes.subarray(start, start + Math.min(available, keep));
    return { data, cut: available < length || available > keep, end: start + length <= bytes.length ? start + length : -1 };
  }
  if (!isResponse) return { data: Buffer.alloc(0), cut: false, end: start };
  const data = bytes.subarray(start, start + Math.min(bytes.length - start, keep));
  return { data, cut: bytes.length - start > keep, end: -1 };
}

function readChunked(bytes: Buffer, start: number, keep: number): { data: Buffer; cut: boolean; end: number } {
  const parts: Buffer[] = [];
  let kept = 0;
  let offset = start;
  for (let chunks = 0; chunks < 100_000; chunks++) {
    const lineEnd = bytes.indexOf('\r\n', offset, 'latin1');
    if (lineEnd < 0 || lineEnd - offset > 64) break;
    const size = parseInt(bytes.toString('latin1', offset, lineEnd).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) break;
    offset = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = bytes.indexOf('\r\n', offset, 'latin1');
      return { data: Buffer.concat(parts, kept), cut: false, end: trailerEnd < 0 ? -1 : trailerEnd + 2 };
    }
    const piece = bytes.subarray(offset, Math.min(offset + size, bytes.length));
    const room = keep - kept;
    if (room > 0) {
      const taken = piece.subarray(0, room);
      parts.push(taken);
      kept += taken.length;
    }
    offset += size + 2;
    if (offset > bytes.length) break;
  }
  return { data: Buffer.concat(parts, kept), cut: true, end: -1 };
}

/** gzip/deflate undone with a cap on the output; a broken or truncated stream gives what it can. */
function decodeContent(data: Buffer, encoding: string, limit: number): { data: Buffer; cut: boolean } {
  const name = encoding.trim().toLowerCase();
  if (data.length === 0 || (name !== 'gzip' && name !== 'x-gzip' && name !== 'deflate')) return { data, cut: false };
  const options = { maxOutputLength: limit, finishFlush: constants.Z_SYNC_FLUSH };
  const attempts = name === 'deflate' ? [inflateSync, inflateRawSync] : [gunzipSync];
  for (const inflate of attempts) {
    try {
      return { data: inflate(data, options), cut: false };
    } catch {
      // a zlib error on hostile or cut input: try the next decoder, else keep the raw bytes
    }
  }
  return { data, cut: true };
}

function firstLine(bytes: Buffer, offset: number): string {
  const end = bytes.indexOf('\r\n', offset, 'latin1');
  return end < 0 ? '' : bytes.toString('latin1', offset, Math.min(end, offset + 8300));
}

export function hostWithoutPort(host: string): string {
  const text = host.trim().toLowerCase();
  if (text.startsWith('[')) return text.slice(0, text.indexOf(']') + 1 || text.length);
  const colon = text.lastIndexOf(':');
  return colon >= 0 && text.indexOf(':') === colon ? text.slice(0, colon) : text;
}
