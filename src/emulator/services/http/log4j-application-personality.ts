/**
 * A Java web application (in Tomcat, or an embedded server) that logs what it receives through
 * Log4j 2. Every logged string goes to the host's `evaluateLookups`: whether the Log4j version
 * evaluates lookups is the host's decision, not the web server's. The answers are Tomcat's own
 * (404 pages, the application's login form).
 */
import type { ServiceHost } from '../service.ts';
import type { HttpPersonality } from './http-personality.ts';
import { requestPath, type HttpRequest } from './http-request.ts';
import { escapeHtml, type HttpAnswer } from './http-response.ts';
import { loggedRequestStrings } from './logged-request-strings.ts';

const LOGIN_FORM =
  '<html><head><title>Login</title></head><body>\n<form action="login" method="post">\n' +
  '<p>User name: <input type="text" name="uname"/></p>\n<p>Password: <input type="password" name="password"/></p>\n' +
  '<input type="submit" value="Login"/>\n</form>\n</body></html>\n';

export class Log4jApplicationPersonality implements HttpPersonality {
  constructor(
    readonly serverHeader: string | null,
    private readonly tomcat: boolean,
  ) {}

  handle(request: HttpRequest, host: ServiceHost): HttpAnswer {
    for (const text of loggedRequestStrings(request)) {
      if (text.includes('${')) host.evaluateLookups(text, 'http');
    }
    const path = requestPath(request);
    if (!this.tomcat) return { status: 200, headers: [['Content-Type', 'text/plain']], body: 'Hello, world!\n' };
    if (path === '/') return { status: 200, body: '<html><head><title>Apache Tomcat/8.0.36</title></head><body><h1>Apache Tomcat/8.0.36</h1><p>If you\'re seeing this, you\'ve successfully installed Tomcat. Congratulations!</p></body></html>\n' };
    if (request.method === 'POST' && /\/login$/.test(path)) return { status: 200, body: '<html><body><p>Login failed: wrong user name or password.</p></body></html>\n', headers: [['Set-Cookie', 'JSESSIONID=8F2E7A1C4B5D6E7F8091A2B3C4D5E6F7; Path=/; HttpOnly']] };
    if (path.endsWith('/') && path.split('/').length === 3) return { status: 200, body: LOGIN_FORM, headers: [['Content-Type', 'text/html;charset=UTF-8']] };
    return this.notFound(path);
  }

  private notFound(path: string): HttpAnswer {
    const shown = escapeHtml(path.slice(0, 256));
    return {
      status: 404,
      headers: [['Content-Type', 'text/html;charset=utf-8'], ['Content-Language', 'en']],
      body:
        `<html><head><title>Apache Tomcat/8.0.36 - Error report</title></head><body><h1>HTTP Status 404 - ${shown}</h1>` +
        `<div class="line"></div><p><b>type</b> Status report</p><p><b>message</b> <u>${shown}</u></p>` +
        '<p><b>description</b> <u>The requested resource is not available.</u></p><hr class="line"><h3>Apache Tomcat/8.0.36</h3></body></html>',
    };
  }
}
