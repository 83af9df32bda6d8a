/**
 * A web server with nothing vulnerable on its paths: the home page, 404 for the rest, the error
 * pages in the style of the server the profile names (Apache, IIS, other). Reports nothing.
 */
import type { HttpPersonality } from './http-personality.ts';
import { requestPath, type HttpRequest } from './http-request.ts';
import { escapeHtml, htmlPage, type HttpAnswer } from './http-response.ts';

export type WebServerStyle = 'apache' | 'iis' | 'other';

const HOME_PATHS = new Set(['/', '/index.html', '/index.htm', '/default.htm', '/default.asp', '/iisstart.htm', '/index.php']);
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'PROPFIND', 'CONNECT', 'PATCH']);

export class PlainWebPersonality implements HttpPersonality {
  constructor(
    readonly serverHeader: string | null,
    private readonly style: WebServerStyle,
  ) {}

  handle(request: HttpRequest): HttpAnswer {
    if (!KNOWN_METHODS.has(request.method)) return this.error(501, request);
    if (request.method === 'OPTIONS') return { status: 200, headers: [['Allow', 'GET,HEAD,POST,OPTIONS']] };
    const path = requestPath(request);
    if (HOME_PATHS.has(path.toLowerCase())) return { status: 200, body: this.homePage() };
    return this.error(404, request);
  }

  homePage(): string {
    if (this.style === 'iis') return '<html><head><title>Under Construction</title></head><body><h1>Under Construction</h1><p>The site you are trying to view does not currently have a default page.</p></body></html>\n';
    return '<html><body><h1>It works!</h1>\n<p>This is the default web page for this server.</p>\n<p>The web server software is running but no content has been added, yet.</p>\n</body></html>\n';
  }

  error(status: number, request: HttpRequest): HttpAnswer {
    const path = escapeHtml(requestPath(request).slice(0, 256));
    if (this.style === 'iis') {
      const text = status === 404 ? 'The page cannot be found' : status === 400 ? 'Bad Request' : 'The page cannot be displayed';
      return { status, body: `<html><head><title>${text}</title></head><body><h1>${text}</h1></body></html>\n` };
    }
    const messages: Record<number, [string, string]> = {
      400: ['Bad Request', 'Your browser sent a request that this server could not understand.<br />'],
      404: ['Not Found', `The requested URL ${path} was not found on this server.`],
      501: ['Method Not Implemented', `${escapeHtml(request.method.slice(0, 32))} to ${path} not supported.<br />`],
    };
    const [title, text] = messages[status] ?? ['Error', 'An error occurred.'];
    return { status, headers: [['Content-Type', 'text/html; charset=iso-8859-1']], body: htmlPage(`${status} ${title}`, `<h1>${title}</h1>\n<p>${text}</p>\n<hr>\n<address>${escapeHtml(this.serverHeader ?? '')} Server</address>`) };
  }
}
