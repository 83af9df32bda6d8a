/**
 * Apache running CGI scripts through bash. A request to a script builds the CGI environment from
 * the request; a variable holding a function definition is where bash before the 2014 fixes runs
 * the trailing command (CVE-2014-6271). Scripts live under /cgi-bin/ (and *.cgi, *.sh): elsewhere
 * no bash runs, whatever the headers hold.
 */
import type { PeerAddress, ServiceHost } from '../service.ts';
import { importedFunction } from './bash-function-import.ts';
import { cgiEnvironment } from './cgi-environment.ts';
import type { HttpPersonality } from './http-personality.ts';
import { requestPath, type HttpRequest } from './http-request.ts';
import type { HttpAnswer } from './http-response.ts';
import { PlainWebPersonality } from './plain-web-personality.ts';

const VULNERABILITY = 'CVE-2014-6271';
/** trailing commands run per request (each header can carry one) */
const MAX_COMMANDS = 16;

export function isCgiPath(path: string): boolean {
  return /^\/cgi-(bin|sys|mod)\//i.test(path) || /\.(cgi|sh)$/i.test(path);
}

export class ApacheCgiPersonality implements HttpPersonality {
  private readonly plain: PlainWebPersonality;

  constructor(
    readonly serverHeader: string | null,
    private readonly peer: PeerAddress,
    private readonly localPort: number,
  ) {
    this.plain = new PlainWebPersonality(serverHeader, 'apache');
  }

  handle(request: HttpRequest, host: ServiceHost): HttpAnswer {
    const path = requestPath(request);
    if (!isCgiPath(path)) return this.plain.handle(request);
    const functions = [...cgiEnvironment(request, this.localPort, this.peer.address)]
      .map(([name, value]) => ({ name, imported: importedFunction(value) }))
      .filter((entry) => entry.imported !== null);
    if (functions.length === 0) return { status: 200, headers: [['Content-Type', 'text/plain']], body: 'OK\n' };
    const vulnerable = host.reportExploit({
      vulnerability: VULNERABILITY,
      service: 'http',
      detail: `${path.slice(0, 64)}: function definition in ${functions.map((entry) => entry.name).join(', ').slice(0, 160)} imported by bash`,
      offset: request.offset,
    });
    let output = '';
    if (vulnerable) {
      for (const { imported } of functions.slice(0, MAX_COMMANDS)) {
        if (imported!.trailingCommand !== '') output += host.runCommand('sh', imported!.trailingCommand, 'http');
      }
    }
    return cgiOutput(output);
  }
}

/** what the script printed before its own output: headers if it printed some, else a body */
function cgiOutput(output: string): HttpAnswer {
  const separator = output.search(/\r?\n\r?\n/);
  if (separator > 0 && /^[A-Za-z-]+:/.test(output)) {
    const headers = output.slice(0, separator).split(/\r?\n/).flatMap((line): [string, string][] => {
      const colon = line.indexOf(':');
      return colon > 0 ? [[line.slice(0, colon).trim(), line.slice(colon + 1).trim()]] : [];
    });
    return { status: 200, headers: headers.filter(([name]) => !/^(content-length|connection)$/i.test(name)), body: output.slice(separator).replace(/^\r?\n\r?\n/, '') };
  }
  return { status: 200, headers: [['Content-Type', 'text/plain']], body: output };
}
