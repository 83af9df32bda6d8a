/**
 * The HTTP GET every emulated downloader makes (wget, curl, PowerShell's WebClient, the JVM's
 * URLClassLoader): resolve, connect, send, read what the peer answers. Everything goes through the
 * dummy's endpoint, so in a real dummy it is containment egress. Never throws.
 */
import type { EndpointSocket, NetworkEndpoint } from '../../behaviour/network-endpoint.ts';
import { tlsClientHello } from '../../jndi/tls-client-hello.ts';
import { isIpv4Literal, type HttpUrl } from './http-url.ts';

export interface HttpFetchOptions {
  userAgent: string;
  /** bytes of answer kept (default 1 MiB) */
  maxBytes?: number;
  /** receive calls before giving up on more data (default 64) */
  maxReceives?: number;
  /** extra request headers, as whole lines without CRLF */
  headers?: string[];
}

export interface HttpFetchResult {
  /** the address connected to, or null when the name did not resolve */
  address: string | null;
  connected: boolean;
  /** the answer's status code; null when no HTTP answer came (closed, TLS, garbage) */
  status: number | null;
  body: Uint8Array;
}

const DEFAULT_MAX_BYTES = 1 << 20;

export function resolveAddress(network: NetworkEndpoint, host: string): string | null {
  if (isIpv4Literal(host) || host.includes(':')) return host;
  return network.resolve(host);
}

export function httpFetch(network: NetworkEndpoint, socket: EndpointSocket, url: HttpUrl, options: HttpFetchOptions): HttpFetchResult {
  const address = resolveAddress(network, url.host);
  const result: HttpFetchResult = { address, connected: false, status: null, body: new Uint8Array(0) };
  if (address === null) return result;
  const connect = network.connect(socket, address, url.port);
  if (connect.kind !== 'connected' && connect.kind !== 'would_block') {
    network.close(socket);
    return result;
  }
  result.connected = true;
  if (url.scheme === 'https') {
    // the dummy cannot finish a handshake it has no keys for; the hello is the evidence
    network.send(socket, tlsClientHello(isIpv4Literal(url.host) ? null : url.host, `${url.host}:${url.port}${url.path}`));
    receiveAll(network, socket, options);
    network.close(socket);
    return result;
  }
  const hostHeader = url.port === 80 ? url.host : `${url.host}:${url.port}`;
  const request = [`GET ${url.path} HTTP/1.1`, `Host: ${hostHeader}`, `User-Agent: ${options.userAgent}`, 'Accept: */*', ...(options.headers ?? []), 'Connection: close', '', ''].join('\r\n');
  network.send(socket, new TextEncoder().encode(request));
  const answer = receiveAll(network, socket, { ...options, complete: httpAnswerComplete });
  network.close(socket);
  const parsed = parseHttpAnswer(answer);
  result.status = parsed.status;
  result.body = parsed.body;
  return result;
}

export interface ReceiveOptions {
  maxBytes?: number;
  maxReceives?: number;
  /** stops reading once what arrived is a whole message (a keep-alive peer does not close) */
  complete?: (bytes: Uint8Array) => boolean;
}

export function receiveAll(network: NetworkEndpoint, socket: EndpointSocket, options: ReceiveOptions): Uint8Array {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let attempt = 0; attempt < (options.maxReceives ?? 64) && total < maxBytes; attempt++) {
    const received = network.receive(socket, Math.min(65_536, maxBytes - total));
    if (received.kind !== 'data') break;
    chunks.push(received.bytes);
    total += received.bytes.length;
    if (options.complete?.(join(chunks, total))) break;
  }
  return join(chunks, total);
}

function join(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

/** an answer with Content-Length whose body has fully arrived */
function httpAnswerComplete(bytes: Uint8Array): boolean {
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 16_384)));
  const headerEnd = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/') || headerEnd < 0) return false;
  const length = /\ncontent-length:\s*(\d+)/i.exec(text.slice(0, headerEnd));
  return length !== null && bytes.length >= headerEnd + 4 + Number(length[1]);
}

/** Status and body of an HTTP answer; bytes that are not one are taken as a bare body (HTTP/0.9). */
export function parseHttpAnswer(bytes: Uint8Array): { status: number | null; body: Uint8Array } {
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 16_384)));
  if (!text.startsWith('HTTP/')) return { status: bytes.length > 0 ? 200 : null, body: bytes };
  const headerEnd = text.indexOf('\r\n\r\n');
  const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(text)?.[1] ?? NaN);
  if (headerEnd < 0) return { status: Number.isNaN(status) ? null : status, body: new Uint8Array(0) };
  const head = text.slice(0, headerEnd).toLowerCase();
  let body = bytes.subarray(headerEnd + 4);
  if (/\ntransfer-encoding:[^\n]*chunked/.test(head)) body = dechunk(body);
  else {
    const length = /\ncontent-length:\s*(\d+)/.exec(head);
    if (length) body = body.subarray(0, Number(length[1]));
  }
  return { status: Number.isNaN(status) ? null : status, body };
}

function dechunk(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const text = new TextDecoder('latin1').decode(bytes);
  while (offset < bytes.length) {
    const lineEnd = text.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(text.slice(offset, lineEnd).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size <= 0) break;
    parts.push(bytes.subarray(lineEnd + 2, Math.min(bytes.length, lineEnd + 2 + size)));
    offset = lineEnd + 2 + size + 2;
  }
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let position = 0;
  for (const part of parts) {
    joined.set(part, position);
    position += part.length;
  }
  return joined;
}
