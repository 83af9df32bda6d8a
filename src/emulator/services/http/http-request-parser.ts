/**
 * HTTP/1.x requests from a hostile client stream: bytes in whatever pieces they come, pipelined
 * requests, Content-Length and chunked bodies, bounded head and body sizes. What is odd but
 * parseable is counted as an `http.*` anomaly and parsing goes on, as the servers we emulate do;
 * what no server could parse stops the connection (`failed`). Never throws.
 */
import type { HttpRequest } from './http-request.ts';

export interface HttpParserLimits {
  /** request line and headers together */
  maxHeadBytes: number;
  maxHeaders: number;
  /** body bytes kept; the rest is read and dropped */
  maxBodyBytes: number;
}

export const DEFAULT_HTTP_PARSER_LIMITS: HttpParserLimits = { maxHeadBytes: 65_536, maxHeaders: 256, maxBodyBytes: 1 << 20 };

type BodyFraming = { kind: 'length'; remaining: number } | { kind: 'chunked' };

interface PendingRequest {
  request: HttpRequest;
  framing: BodyFraming;
  bodyParts: Uint8Array[];
  bodyKept: number;
  rawParts: Uint8Array[];
}

const latin1 = new TextDecoder('latin1');
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export class HttpRequestParser {
  private buffer: Uint8Array = new Uint8Array(0);
  private streamOffset = 0;
  private pending: PendingRequest | null = null;
  private failure: string | null = null;

  constructor(
    private readonly anomaly: (name: string) => void,
    private readonly limits: HttpParserLimits = DEFAULT_HTTP_PARSER_LIMITS,
  ) {}

  /** why parsing stopped (`http.request_line_invalid`), or null while it goes on */
  get failed(): string | null {
    return this.failure;
  }

  push(bytes: Uint8Array): HttpRequest[] {
    if (this.failure) return [];
    this.buffer = this.buffer.length === 0 ? bytes.slice() : concat([this.buffer, bytes]);
    const requests: HttpRequest[] = [];
    while (!this.failure) {
      if (!this.pending) {
        if (!this.readHead()) break;
      } else if (!this.readBody()) break;
      if (this.pending && this.pendingDone()) requests.push(this.finishPending(true));
    }
    return requests;
  }

  /** The client closed: a request whose head arrived is handed on as incomplete. */
  finish(): HttpRequest | null {
    if (this.pending) {
      this.anomaly('http.request_incomplete');
      return this.finishPending(false);
    }
    if (this.buffer.length > 0 && !this.failure && latin1.decode(this.buffer).trim() !== '') this.anomaly('http.request_incomplete');
    return null;
  }

  private fail(name: string): void {
    this.anomaly(name);
    this.failure = name;
    this.buffer = new Uint8Array(0);
    this.pending = null;
  }

  private consume(length: number): Uint8Array {
    const taken = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    this.streamOffset += length;
    return taken;
  }

  /** true when a head was read (and `pending` set) or the buffer moved on */
  private readHead(): boolean {
    // robustness: servers skip empty lines before a request line (RFC 9112 §2.2)
    let skip = 0;
    while (skip < this.buffer.length && (this.buffer[skip] === 0x0d || this.buffer[skip] === 0x0a)) skip++;
    if (skip > 0) this.consume(skip);
    if (this.buffer.length === 0) return false;
    const end = headEnd(this.buffer, this.limits.maxHeadBytes);
    if (end < 0) {
      if (this.buffer.length > this.limits.maxHeadBytes) this.fail('http.header_section_too_large');
      else if (isHttp09Line(this.buffer)) return this.readHttp09();
      return false;
    }
    const offset = this.streamOffset;
    const head = this.consume(end);
    const request = this.parseHead(latin1.decode(head), offset);
    if (!request) return false;
    const framing = this.framing(request);
    if (!framing) return false;
    this.pending = { request: { ...request, raw: head.slice() }, framing, bodyParts: [], bodyKept: 0, rawParts: [head.slice()] };
    return true;
  }

  private readHttp09(): boolean {
    const newline = this.buffer.indexOf(0x0a);
    const offset = this.streamOffset;
    const line = this.consume(newline + 1);
    const [method = '', target = ''] = latin1.decode(line).trim().split(/\s+/);
    this.anomaly('http.version_missing');
    const request: HttpRequest = { method, target, version: 'HTTP/0.9', headers: [], body: new Uint8Array(0), raw: line.slice(), offset, complete: true };
    this.pending = { request, framing: { kind: 'length', remaining: 0 }, bodyParts: [], bodyKept: 0, rawParts: [line.slice()] };
    return true;
  }

  private parseHead(text: string, offset: number): HttpRequest | null {
    const lines = text.split('\n');
    if (lines.some((line, index) => index < lines.length - 1 && !line.endsWith('\r'))) this.anomaly('http.bare_line_feed');
    const clean = lines.map((line) => line.replace(/\r$/, '')).filter((line, index) => index < lines.length - 1 || line !== '');
    const requestLine = clean.shift() ?? '';
    const parsed = this.parseRequestLine(requestLine);
    if (!parsed) return null;
    const headers: [string, string][] = [];
    for (const line of clean) {
      if (line === '') continue;
      if (/^[ \t]/.test(line)) {
        // obs-fold: the line continues the previous header's value
        this.anomaly('http.obsolete_line_folding');
        const last = headers[headers.length - 1];
        if (last) last[1] += ` ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) {
        this.anomaly('http.header_without_colon');
        continue;
      }
      let name = line.slice(0, colon);
      if (/\s$/.test(name)) {
        this.anomaly('http.header_name_whitespace');
        name = name.trimEnd();
      }
      if (!TOKEN.test(name)) this.anomaly('http.header_name_invalid');
      if (headers.length >= this.limits.maxHeaders) {
        this.anomaly('http.too_many_headers');
        break;
      }
      headers.push([name, line.slice(colon + 1).trim()]);
    }
    return { ...parsed, headers, body: new Uint8Array(0), raw: new Uint8Array(0), offset, complete: true };
  }

  private parseRequestLine(line: string): { method: string; target: string; version: string } | null {
    const first = line.indexOf(' ');
    const method = first < 0 ? line : line.slice(0, first);
    if (first < 0 || !TOKEN.test(method)) {
      this.fail('http.request_line_invalid');
      return null;
    }
    const rest = line.slice(first + 1).replace(/^ +/, '');
    const versionMatch = / +(HTTP\/\d+\.\d+)$/i.exec(rest);
    if (!versionMatch) {
      if (/\s/.test(rest) || rest === '') {
        this.fail('http.request_line_invalid');
        return null;
      }
      this.anomaly('http.version_missing');
      return { method, target: rest, version: 'HTTP/0.9' };
    }
    const target = rest.slice(0, versionMatch.index);
    if (/\s/.test(target)) this.anomaly('http.target_contains_space');
    if (line.includes('  ')) this.anomaly('http.request_line_extra_space');
    const version = versionMatch[1]!.toUpperCase();
    if (!/^HTTP\/1\.[01]$/.test(version)) this.anomaly('http.version_unusual');
    return { method, target, version };
  }

  private framing(request: HttpRequest): BodyFraming | null {
    const transferEncoding = request.headers.filter(([name]) => name.toLowerCase() === 'transfer-encoding').map(([, value]) => value.toLowerCase());
    const lengths = request.headers.filter(([name]) => name.toLowerCase() === 'content-length').map(([, value]) => value.trim());
    if (transferEncoding.length > 0) {
      const codings = transferEncoding.join(',').split(',').map((coding) => coding.trim());
      if (lengths.length > 0) this.anomaly('http.content_length_with_transfer_encoding');
      if (codings[codings.length - 1] === 'chunked') return { kind: 'chunked' };
      this.anomaly('http.transfer_encoding_unknown');
    }
    if (lengths.length === 0) return { kind: 'length', remaining: 0 };
    if (new Set(lengths).size > 1) {
      this.fail('http.content_length_conflict');
      return null;
    }
    if (!/^\d{1,15}$/.test(lengths[0]!)) {
      this.fail('http.content_length_invalid');
      return null;
    }
    const length = Number(lengths[0]);
    if (length > this.limits.maxBodyBytes) this.anomaly('http.body_too_large');
    return { kind: 'length', remaining: length };
  }

  private readBody(): boolean {
    const pending = this.pending!;
    if (pending.framing.kind === 'length') {
      if (pending.framing.remaining === 0) return true;
      if (this.buffer.length === 0) return false;
      const taken = this.consume(Math.min(pending.framing.remaining, this.buffer.length));
      pending.framing.remaining -= taken.length;
      this.keepBody(pending, taken, taken);
      return true;
    }
    return this.readChunk(pending);
  }

  /** one chunk (or the last chunk and trailers); false when more bytes are needed */
  private readChunk(pending: PendingRequest): boolean {
    const lineEnd = this.buffer.indexOf(0x0a);
    if (lineEnd < 0) {
      if (this.buffer.length > 1_024) this.fail('http.chunk_size_invalid');
      return false;
    }
    const sizeText = latin1.decode(this.buffer.subarray(0, lineEnd)).replace(/\r$/, '').split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) {
      this.fail('http.chunk_size_invalid');
      return false;
    }
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      const trailerEnd = headEnd(this.buffer.subarray(lineEnd + 1), this.limits.maxHeadBytes);
      const blank = this.buffer[lineEnd + 1] === 0x0a ? 1 : this.buffer[lineEnd + 1] === 0x0d && this.buffer[lineEnd + 2] === 0x0a ? 2 : -1;
      const total = blank > 0 ? lineEnd + 1 + blank : trailerEnd >= 0 ? lineEnd + 1 + trailerEnd : -1;
      if (total < 0) return false;
      const taken = this.consume(total);
      this.keepBody(pending, new Uint8Array(0), taken);
      pending.framing = { kind: 'length', remaining: 0 };
      return true;
    }
    const dataEnd = lineEnd + 1 + size;
    if (this.buffer.length < dataEnd + 1) return false;
    let frameEnd = dataEnd;
    if (this.buffer[dataEnd] === 0x0d && this.buffer[dataEnd + 1] === 0x0a) frameEnd += 2;
    else if (this.buffer[dataEnd] === 0x0a) frameEnd += 1;
    else if (this.buffer[dataEnd] === 0x0d && this.buffer.length < dataEnd + 2) return false;
    else this.anomaly('http.chunk_missing_crlf');
    const taken = this.consume(frameEnd);
    this.keepBody(pending, taken.subarray(lineEnd + 1, lineEnd + 1 + size), taken);
    return true;
  }

  private keepBody(pending: PendingRequest, body: Uint8Array, raw: Uint8Array): void {
    const room = this.limits.maxBodyBytes - pending.bodyKept;
    if (room <= 0) return;
    const kept = body.length > room ? body.slice(0, room) : body.slice();
    pending.bodyParts.push(kept);
    pending.rawParts.push(raw.length > room ? raw.slice(0, room) : raw.slice());
    pending.bodyKept += kept.length;
    if (body.length > room && pending.framing.kind === 'chunked') this.anomaly('http.body_too_large');
  }

  private pendingDone(): boolean {
    const framing = this.pending!.framing;
    return framing.kind === 'length' && framing.remaining === 0;
  }

  private finishPending(complete: boolean): HttpRequest {
    const pending = this.pending!;
    this.pending = null;
    return { ...pending.request, body: concat(pending.bodyParts), raw: concat(pending.rawParts), complete };
  }
}

/** length of the head including its blank line, or -1 when the blank line is not (yet) there */
function headEnd(bytes: Uint8Array, limit: number): number {
  const scan = Math.min(bytes.length, limit + 4);
  for (let index = 0; index < scan; index++) {
    if (bytes[index] !== 0x0a) continue;
    if (bytes[index + 1] === 0x0a) return index + 2;
    if (bytes[index + 1] === 0x0d && bytes[index + 2] === 0x0a) return index + 3;
  }
  return -1;
}

/** a complete first line without an HTTP version: a 0.9 request has no headers to wait for */
function isHttp09Line(bytes: Uint8Array): boolean {
  const newline = bytes.indexOf(0x0a);
  if (newline < 0) return false;
  const line = latin1.decode(bytes.subarray(0, newline)).trim();
  return /^[A-Z]+ \S+$/.test(line);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
