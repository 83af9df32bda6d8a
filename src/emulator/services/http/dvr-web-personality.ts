/**
 * The web server of BusyBox DVRs and cameras (JAWS and its kin): CGI handlers paste request
 * parameters into `sh -c` command lines, and some builds expose `/shell?<command>` outright.
 * A parameter carrying shell syntax reaches sh (the DVR-WEB-CMDI class).
 */
import type { ServiceHost } from '../service.ts';
import type { HttpPersonality } from './http-personality.ts';
import { headerValue, requestPath, requestQuery, type HttpRequest } from './http-request.ts';
import type { HttpAnswer } from './http-response.ts';
import { parseParameters, percentDecode } from './url-decoding.ts';

const VULNERABILITY = 'DVR-WEB-CMDI';
/** what makes sh run a second command after the one the handler meant */
const SHELL_SYNTAX = /;|\||`|\$\(|&&|\n/;
const MAX_COMMANDS = 8;
/**
 * Handlers that run programs: CGI scripts and binaries, and the firmware's form handlers. A static
 * file (`/__utm.gif?...`, `/index.html?...`) never hands its query to a shell, whatever it holds.
 */
const HANDLER_PATH = /^\/(cgi-bin|cgi|goform|shell|language|boaform|command|ctrl)\b|\.(cgi|sh|php|asp)$/i;
const utf8 = new TextDecoder('utf-8');

export class DvrWebPersonality implements HttpPersonality {
  constructor(readonly serverHeader: string | null) {}

  handle(request: HttpRequest, host: ServiceHost): HttpAnswer {
    const commands = injectedCommands(request);
    if (commands.length === 0) return this.page(request);
    const vulnerable = host.reportExploit({
      vulnerability: VULNERABILITY,
      service: 'http',
      detail: `${requestPath(request).slice(0, 64)}: parameter with shell syntax passed to sh: ${commands[0]!.slice(0, 120)}`,
      offset: request.offset,
    });
    let output = '';
    if (vulnerable) for (const command of commands.slice(0, MAX_COMMANDS)) output += host.runCommand('sh', command, 'http');
    return { status: 200, headers: [['Content-Type', 'text/plain']], body: output };
  }

  private page(request: HttpRequest): HttpAnswer {
    const path = requestPath(request);
    if (path === '/' || path === '/index.html') return { status: 200, body: '<html><head><title>NETSurveillance WEB</title></head><body><div id="login"></div></body></html>\n' };
    return { status: 404, body: '<html><body><h1>404 Not Found</h1></body></html>\n' };
  }
}

/** the command lines sh would get from this request */
export function injectedCommands(request: HttpRequest): string[] {
  const path = requestPath(request);
  const query = requestQuery(request);
  // JAWS `/shell?cmd`: the whole query is the command line
  if (/^\/shell$/i.test(path) && query !== '') return [percentDecode(query, true)];
  if (!HANDLER_PATH.test(path)) return [];
  const values: string[] = parseParameters(query).map(([, value]) => value);
  const contentType = (headerValue(request, 'content-type') ?? '').toLowerCase();
  if (request.body.length > 0 && (contentType === '' || contentType.includes('form-urlencoded'))) {
    values.push(...parseParameters(utf8.decode(request.body.subarray(0, 65_536))).map(([, value]) => value));
  }
  return values.filter((value) => SHELL_SYNTAX.test(value));
}
