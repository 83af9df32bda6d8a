/**
 * The server side of an HTTP connection as the browser read it: responses one after another, each
 * with its headers and its body undone from chunked transfer and gzip/deflate content coding.
 * Hostile input is data: a malformed response is recorded as an anomaly and parsing stops there;
 * every body is capped so a decompression bomb costs a bounded amount.
 */
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

export interface HttpResponse {
  status: number;
  /** header names in lower case; a repeated header keeps its last value */
  headers: Map<string, string>;
  body: Buffer;
  /** the body was cut at the cap */
  truncated: boolean;
}

export interface ResponseStreamLimits {
  /** responses read from one stream (default 64) */
  maxResponses?: number;
  /** bytes of one decoded body (default 4 MiB) */
  maxBodyBytes?: number;
}

export interface ParsedResponses {
  responses: HttpResponse[];
  /** stable snake_case names of what was malformed */
  anomalies: string[];
}

const HEADER_END = Buffer.from('\r\n\r\n');

export function parseHttpResponses(stream: Uint8Array, limits: ResponseStreamLimits = {}): ParsedResponses {
  const maxResponses = limits.maxResponses ?? 64;
  const maxBody = limits.maxBodyBytes ?? 4 * 1024 * 1024;
  const bytes = Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength);
  const responses: HttpResponse[] = [];
  const anomalies: string[] = [];
  let offset = 0;
  while (offset < bytes.length && responses.length < maxResponses) {
    const start = bytes.indexOf('HTTP/', offset, 'latin1');
    if (start < 0) break;
    if (start !== offset) anomalies.push('http_response_garbage_skipped');
    const headerEnd = bytes.indexOf(HEADER_END, start);
    if (headerEnd < 0) {
      anomalies.push('http_response_header_truncated');
      break;
    }
    const lines = bytes.subarray(start, headerEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/\d\.\d\s+(\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
    if (!Number.isFinite(status)) {
      anomalies.push('http_response_status_malformed');
      offset = headerEnd + 4;
      continue;
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const bodyStart = headerEnd + 4;
    const framed = frameBody(bytes, bodyStart, headers, status, anomalies);
    offset = framed.end;
    const decoded = decodeContent(framed.body, headers.get('content-encoding') ?? '', maxBody, anomalies);
    responses.push({ status, headers, body: decoded.body, truncated: decoded.truncated });
  }
  return { responses, anomalies };
}

function frameBody(bytes: Buffer, start: number, headers: Map<string, string>, status: number, anomalies: string[]): { body: Buffer; end: number } {
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) return { body: Buffer.alloc(0), end: start };
  if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) return dechunk(bytes, start, anomalies);
  const length = Number(headers.get('content-length'));
  if (Number.isInteger(length) && length >= 0) {
    if (start + length > bytes.length) anomalies.push('http_body_truncated');
    return { body: bytes.subarray(start, Math.min(bytes.length, start + length)), end: Math.min(bytes.length, start + length) };
  }
  // no framing: the body runs to the close of the connection
  return { body: bytes.subarray(start), end: bytes.length };
}

function dechunk(bytes: Buffer, start: number, anomalies: string[]): { body: Buffer; end: number } {
  const parts: Buffer[] = [];
  let offset = start;
  while (offset < bytes.length) {
    const lineEnd = bytes.indexOf('\r\n', offset, 'latin1');
    if (lineEnd < 0) break;
    const size = parseInt(bytes.subarray(offset, lineEnd).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) {
      anomalies.push('http_chunk_size_malformed');
      break;
    }
    offset = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = bytes.indexOf('\r\n', offset, 'latin1');
      return { body: Buffer.concat(parts), end: trailerEnd < 0 ? bytes.length : trailerEnd + 2 };
    }
    parts.push(bytes.subarray(offset, Math.min(bytes.length, offset + size)));
    if (offset + size > bytes.length) anomalies.push('http_chunk_truncated');
    offset += size + 2;
  }
  return { body: Buffer.concat(parts), end: Math.min(offset, bytes.length) };
}

function decodeContent(body: Buffer, coding: string, maxBody: number, anomalies: string[]): { body: Buffer; truncated: boolean } {
  const name = coding.toLowerCase();
  if (!name || name === 'identity') return cap(body, maxBody);
  const options = { maxOutputLength: maxBody, finishFlush: 2 /* Z_SYNC_FLUSH: a cut stream yields what it has */ };
  try {
    if (name.includes('gzip')) return { body: gunzipSync(body, options), truncated: false };
    if (name.includes('deflate')) {
      try {
        return { body: inflateSync(body, options), truncated: false };
      } catch {
        return { body: inflateRawSync(body, options), truncated: false };
      }
    }
  } catch (error) {
    anomalies.push((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'http_body_over_cap' : 'http_content_coding_corrupt');
    return { body: Buffer.alloc(0), truncated: true };
  }
  anomalies.push('http_content_coding_unknown');
  return cap(body, maxBody);
}

function cap(body: Buffer, maxBody: number): { body: Buffer; truncated: boolean } {
  return body.length > maxBody ? { body: body.subarray(0, maxBody), truncated: true } : { body, truncated: false };
}
