/**
 * HTTP: parses requests (pipelined ones too, with Content-Length or chunked bodies), answers each
 * with 200 and a small plausible body or the configured download, and records method, host, URL,
 * user agent and the body's size and hash.
 */
import { createHash, type Hash } from 'node:crypto';
import { concatBytes, latin1 } from '../bytes.ts';
import type { SinkContext, TcpSink } from '../sink.ts';

const MAX_HEADER_BYTES = 16_384;
const MAX_URL_CHARS = 4_096;
const DEFAULT_BODY = Buffer.from('<html><head><title>It works!</title></head><body><h1>It works!</h1></body></html>\n', 'latin1');

interface Request {
  method: string;
  url: string;
  httpVersion: string;
  host: string;
  userAgent: string;
  keepAlive: boolean;
  bodyBytes: number;
  bodyHash: Hash;
}

type State =
  | { mode: 'headers' }
  | { mode: 'body'; remaining: number }
  | { mode: 'chunk_size' }
  | { mode: 'chunk_data'; remaining: number }
  | { mode: 'chunk_data_end' }
  | { mode: 'trailer' }
  | { mode: 'tunnel' }
  | { mode: 'done' };

export class HttpSink implements TcpSink {
  readonly name = 'http' as const;
  readonly protocol = 'http' as const;
  private buffered: Uint8Array = new Uint8Array(0);
  private state: State = { mode: 'headers' };
  private request: Request | null = null;

  constructor(private readonly context: SinkContext) {}

  start(): void {}

  receive(bytes: Uint8Array): void {
    if (this.state.mode === 'done' || this.state.mode === 'tunnel') return;
    this.buffered = concatBytes(this.buffered, bytes);
    while (this.step()) {
      // each step consumes bytes or changes state; it returns false when it needs more input
    }
  }

  end(): void {
    if (this.request) {
      this.context.anomaly('http_request_incomplete');
      this.recordRequest(this.request);
      this.request = null;
    } else if (this.state.mode === 'headers' && this.buffered.length > 0) {
      this.context.anomaly('http_headers_incomplete');
    }
  }

  private step(): boolean {
    switch (this.state.mode) {
      case 'headers':
        return this.readHeaders();
      case 'body': {
        const taken = Math.min(this.state.remaining, this.buffered.length);
        if (taken === 0) return this.state.remaining === 0 ? this.complete() : false;
        this.takeBody(taken);
        this.state.remaining -= taken;
        return this.state.remaining === 0 ? this.complete() : false;
      }
      case 'chunk_size': {
        const line = this.takeLine(1024, 'http_chunk_size_too_long');
        if (line === null) return false;
        const size = /^[0-9a-fA-F]{1,8}/.exec(line.trim());
        if (!size) {
          this.context.anomaly('http_chunk_size_invalid');
          return this.fail();
        }
        const value = parseInt(size[0], 16);
        this.state = value === 0 ? { mode: 'trailer' } : { mode: 'chunk_data', remaining: value };
        return true;
      }
      case 'chunk_data': {
        const taken = Math.min(this.state.remaining, this.buffered.length);
        if (taken === 0) return false;
        this.takeBody(taken);
        this.state.remaining -= taken;
        if (this.state.remaining === 0) this.state = { mode: 'chunk_data_end' };
        return true;
      }
      case 'chunk_data_end': {
        const line = this.takeLine(2, 'http_chunk_not_terminated');
        if (line === null) return false;
        if (line !== '') this.context.anomaly('http_chunk_not_terminated');
        this.state = { mode: 'chunk_size' };
        return true;
      }
      case 'trailer': {
        const line = this.takeLine(MAX_HEADER_BYTES, 'http_trailer_too_long');
        if (line === null) return false;
        return line === '' ? this.complete() : true;
      }
      case 'tunnel':
      case 'done':
        return false;
    }
  }

  private readHeaders(): boolean {
    const end = headerEnd(this.buffered);
    if (end === null) {
      if (this.buffered.length > MAX_HEADER_BYTES) {
        this.context.anomaly('http_headers_too_long');
        return this.fail();
      }
      return false;
    }
    const text = latin1(this.buffered, 0, end.headers).replace(/\r$/, '');
    this.buffered = this.buffered.subarray(end.body);
    const lines = text.split(/\r?\n/);
    const requestLine = /^([A-Za-z][A-Za-z0-9_-]{0,31}) +(\S+)(?: +(HTTP\/\d\.\d))? *$/.exec(lines[0] ?? '');
    if (!requestLine) {
      this.context.anomaly('http_request_line_invalid');
      return this.fail();
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) {
        if (line !== '') this.context.anomaly('http_header_invalid');
        continue;
      }
      const name = line.slice(0, colon).trim().toLowerCase();
      if (headers.has(name) && (name === 'content-length' || name === 'host')) this.context.anomaly(`http_duplicate_${name.replace('-', '_')}`);
      else headers.set(name, line.slice(colon + 1).trim());
    }
    let url = requestLine[2]!;
    if (url.length > MAX_URL_CHARS) {
      this.context.anomaly('http_url_too_long');
      url = url.slice(0, MAX_URL_CHARS);
    }
    const httpVersion = requestLine[3] ?? 'HTTP/0.9';
    const connection = (headers.get('connection') ?? '').toLowerCase();
    this.request = {
      method: requestLine[1]!.toUpperCase(),
      url,
      httpVersion,
      host: headers.get('host') ?? '',
      userAgent: headers.get('user-agent') ?? '',
      keepAlive: httpVersion === 'HTTP/1.1' ? !connection.includes('close') : connection.includes('keep-alive'),
      bodyBytes: 0,
      bodyHash: createHash('sha256'),
    };
    const chunked = (headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked');
    const lengthText = headers.get('content-length');
    if (chunked) {
      if (lengthText !== undefined) this.context.anomaly('http_length_and_chunked');
      this.state = { mode: 'chunk_size' };
      return true;
    }
    let length = 0;
    if (lengthText !== undefined) {
      if (/^\d{1,15}$/.test(lengthText)) length = Number(lengthText);
      else this.context.anomaly('http_content_length_invalid');
    }
    this.state = { mode: 'body', remaining: length };
    return true;
  }

  /** A line ending in LF (CR optional), or null when it has not arrived; too long counts as broken. */
  private takeLine(max: number, tooLong: string): string | null {
    const newline = this.buffered.indexOf(0x0a);
    if (newline < 0) {
      if (this.buffered.length > max) {
        this.context.anomaly(tooLong);
        this.fail();
      }
      return null;
    }
    const line = latin1(this.buffered, 0, newline).replace(/\r$/, '');
    this.buffered = this.buffered.subarray(newline + 1);
    return line;
  }

  private takeBody(length: number): void {
    this.request!.bodyBytes += length;
    this.request!.bodyHash.update(this.buffered.subarray(0, length));
    this.buffered = this.buffered.subarray(length);
  }

  private complete(): boolean {
    const request = this.request!;
    this.request = null;
    this.recordRequest(request);
    this.respond(request);
    if (request.method === 'CONNECT') {
      // a tunnel: what follows is recorded by the connection (bytes, hash) but not parsed
      this.state = { mode: 'tunnel' };
      return false;
    }
    if (!request.keepAlive) {
      this.state = { mode: 'done' };
      this.context.finish();
      return false;
    }
    this.state = { mode: 'headers' };
    return this.buffered.length > 0;
  }

  private recordRequest(request: Request): void {
    this.context.record('http', {
      kind: 'http_request',
      method: request.method,
      host: request.host,
      url: request.url,
      userAgent: request.userAgent,
      httpVersion: request.httpVersion,
      bodyBytes: request.bodyBytes,
      bodySha256: request.bodyHash.digest('hex'),
    });
  }

  private respond(request: Request): void {
    if (request.method === 'CONNECT') {
      this.context.reply(`${request.httpVersion} 200 Connection established\r\n\r\n`);
      return;
    }
    const download = this.context.settings.download;
    const body = download?.body ?? DEFAULT_BODY;
    const head = [
      `${request.httpVersion === 'HTTP/1.0' ? 'HTTP/1.0' : 'HTTP/1.1'} 200 OK`,
      `Date: ${new Date().toUTCString()}`,
      `Server: ${this.context.settings.httpServer}`,
      `Content-Type: ${download?.contentType ?? 'text/html'}`,
      `Content-Length: ${body.length}`,
      `Connection: ${request.keepAlive ? 'keep-alive' : 'close'}`,
      '',
      '',
    ].join('\r\n');
    this.context.reply(head);
    if (request.method !== 'HEAD') this.context.reply(body);
  }

  /** Bytes that are not HTTP: a plausible 400, then the connection ends. */
  private fail(): boolean {
    if (this.request) {
      this.recordRequest(this.request);
      this.request = null;
    }
    this.context.reply('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    this.state = { mode: 'done' };
    this.buffered = new Uint8Array(0);
    this.context.finish();
    return false;
  }
}

function headerEnd(bytes: Uint8Array): { headers: number; body: number } | null {
  for (let index = 0; index < bytes.length; index++) {
    if (bytes[index] !== 0x0a) continue;
    if (bytes[index + 1] === 0x0a) return { headers: index, body: index + 2 };
    if (bytes[index + 1] === 0x0d && bytes[index + 2] === 0x0a) return { headers: index, body: index + 3 };
  }
  return null;
}
