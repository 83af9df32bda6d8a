/**
 * The HTTP service of an emulated dummy: requests parsed from the client's bytes, answered by the
 * web server personality the profile runs (IIS, Apache with bash CGI, a Log4j-logging Java
 * application, a DVR's web server, a plain server). Never throws on what the client sends.
 */
import type { PeerAddress, ServiceConnection, ServiceHost, StreamService } from '../service.ts';
import type { HttpPersonality } from './http-personality.ts';
import { httpPersonalityFor } from './http-personality-for.ts';
import { headerValue, type HttpRequest } from './http-request.ts';
import { HttpRequestParser } from './http-request-parser.ts';
import { encodeHttpAnswer } from './http-response.ts';

/** requests answered on one connection; a client pipelining more is cut off */
const MAX_REQUESTS_PER_CONNECTION = 1_000;

export function httpService(): StreamService {
  return {
    kind: 'stream',
    name: 'http',
    open(host: ServiceHost, peer: PeerAddress, localPort: number): ServiceConnection {
      return new HttpConnection(host, httpPersonalityFor(host.profile, peer, localPort));
    },
  };
}

class HttpConnection implements ServiceConnection {
  private readonly parser: HttpRequestParser;
  private served = 0;
  private isClosed = false;

  constructor(
    private readonly host: ServiceHost,
    private readonly personality: HttpPersonality,
  ) {
    this.parser = new HttpRequestParser((name) => host.anomaly(name));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  greeting(): Uint8Array {
    return new Uint8Array(0);
  }

  receive(bytes: Uint8Array): Uint8Array {
    if (this.isClosed) return new Uint8Array(0);
    const answers: Uint8Array[] = [];
    for (const request of this.parser.push(bytes)) {
      answers.push(this.answer(request));
      if (this.isClosed) break;
    }
    if (!this.isClosed && this.parser.failed) {
      answers.push(encodeHttpAnswer({ status: 400, body: '<html><body><h1>400 Bad Request</h1></body></html>\n', close: true }, this.personality.serverHeader));
      this.isClosed = true;
    }
    return concat(answers);
  }

  end(): void {
    if (this.isClosed) return;
    const partial = this.parser.finish();
    // the server had the request's head: the application saw (and logged) it before the body ended
    if (partial) this.answer(partial);
    this.isClosed = true;
  }

  private answer(request: HttpRequest): Uint8Array {
    this.served++;
    if (this.served > MAX_REQUESTS_PER_CONNECTION) {
      this.host.anomaly('http.too_many_requests');
      this.isClosed = true;
      return new Uint8Array(0);
    }
    const answer = this.personality.handle(request, this.host);
    const connection = (headerValue(request, 'connection') ?? '').toLowerCase();
    const close = answer.close === true || connection.includes('close') || (request.version !== 'HTTP/1.1' && !connection.includes('keep-alive'));
    if (close) this.isClosed = true;
    if (request.version === 'HTTP/0.9') return typeof answer.body === 'string' ? new TextEncoder().encode(answer.body) : (answer.body ?? new Uint8Array(0));
    return encodeHttpAnswer({ ...answer, close }, this.personality.serverHeader, { version: request.version, headOnly: request.method === 'HEAD' });
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
