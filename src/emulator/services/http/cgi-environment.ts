/**
 * The environment a CGI script gets (RFC 3875): request meta-variables plus every header as
 * `HTTP_<NAME>`. This is how header text reaches bash, which is what Shellshock exploits.
 */
import { headerValue, requestPath, requestQuery, type HttpRequest } from './http-request.ts';

export function cgiEnvironment(request: HttpRequest, serverPort: number, remoteAddress: string): Map<string, string> {
  const environment = new Map<string, string>([
    ['GATEWAY_INTERFACE', 'CGI/1.1'],
    ['SERVER_PROTOCOL', request.version],
    ['SERVER_PORT', String(serverPort)],
    ['REQUEST_METHOD', request.method],
    ['REQUEST_URI', request.target],
    ['SCRIPT_NAME', requestPath(request)],
    ['QUERY_STRING', requestQuery(request)],
    ['REMOTE_ADDR', remoteAddress],
  ]);
  const contentType = headerValue(request, 'content-type');
  if (contentType !== undefined) environment.set('CONTENT_TYPE', contentType);
  const contentLength = headerValue(request, 'content-length');
  if (contentLength !== undefined) environment.set('CONTENT_LENGTH', contentLength);
  for (const [name, value] of request.headers) {
    const variable = `HTTP_${name.toUpperCase().replace(/-/g, '_')}`;
    // mod_cgi drops names that are not valid variable names and never passes credentials
    if (!/^HTTP_[A-Z0-9_]+$/.test(variable) || variable === 'HTTP_AUTHORIZATION' || variable === 'HTTP_PROXY_AUTHORIZATION') continue;
    environment.set(variable, environment.has(variable) ? `${environment.get(variable)}, ${value}` : value);
  }
  return environment;
}
