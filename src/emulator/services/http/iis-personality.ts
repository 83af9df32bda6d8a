/**
 * IIS with its ISAPI script maps. The Indexing Service extension (idq.dll, mapped to `.ida` and
 * `.idq`) copies the query into a fixed buffer after widening it (MS01-033, Code Red): a longer
 * query overflows it. On a vulnerable profile the request, with `%u` escapes decoded as IIS
 * decodes them, is where the attacker code sits.
 */
import type { ServiceHost } from '../service.ts';
import type { HttpPersonality } from './http-personality.ts';
import { requestPath, requestQuery, type HttpRequest } from './http-request.ts';
import type { HttpAnswer } from './http-response.ts';
import { PlainWebPersonality } from './plain-web-personality.ts';
import { percentDecodeBytes } from './url-decoding.ts';

/** characters idq.dll's stack buffer holds after widening the query (the overflow point Code Red uses) */
export const IDQ_BUFFER_CHARACTERS = 200;
const VULNERABILITY = 'MS01-033';

export class IisPersonality implements HttpPersonality {
  private readonly plain: PlainWebPersonality;

  constructor(
    readonly serverHeader: string | null,
    private readonly idqMapped: boolean,
  ) {
    this.plain = new PlainWebPersonality(serverHeader, 'iis');
  }

  handle(request: HttpRequest, host: ServiceHost): HttpAnswer {
    const path = requestPath(request).toLowerCase();
    if (this.idqMapped && /\.id[aq]$/.test(path)) return this.indexingService(request, host);
    return this.plain.handle(request);
  }

  private indexingService(request: HttpRequest, host: ServiceHost): HttpAnswer {
    const query = requestQuery(request);
    const decodedQuery = percentDecodeBytes(query, { unicodeEscapes: true });
    if (decodedQuery.length <= IDQ_BUFFER_CHARACTERS) {
      return { status: 200, body: '<HTML>The IDQ file could not be found.</HTML>' };
    }
    const vulnerable = host.reportExploit({
      vulnerability: VULNERABILITY,
      service: 'http',
      detail: `${requestPath(request).slice(0, 64)}: query of ${decodedQuery.length} bytes into idq.dll's ${IDQ_BUFFER_CHARACTERS}-character buffer`,
      offset: request.offset + request.method.length + 1 + request.target.indexOf('?') + 1,
    });
    if (!vulnerable) return { status: 200, body: '<HTML>The IDQ file could not be found.</HTML>' };
    host.runCode(decodedRequest(request), { service: 'http', vulnerability: VULNERABILITY, os: 'windows', bits: 32 });
    // the worker thread is gone; IIS answers nothing on this connection
    return { status: 500, close: true };
  }
}

/** the request as IIS has it in memory: the target `%`/`%u`-decoded, headers and body as sent */
function decodedRequest(request: HttpRequest): Uint8Array {
  const requestLineEnd = request.raw.indexOf(0x0a);
  const target = percentDecodeBytes(request.target, { unicodeEscapes: true });
  const method = new TextEncoder().encode(`${request.method} `);
  const version = new TextEncoder().encode(` ${request.version}\r\n`);
  const rest = requestLineEnd < 0 ? new Uint8Array(0) : request.raw.subarray(requestLineEnd + 1);
  const bytes = new Uint8Array(method.length + target.length + version.length + rest.length);
  bytes.set(method);
  bytes.set(target, method.length);
  bytes.set(version, method.length + target.length);
  bytes.set(rest, method.length + target.length + version.length);
  return bytes;
}
