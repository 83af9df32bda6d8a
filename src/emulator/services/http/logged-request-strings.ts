/**
 * The strings a Java web application typically hands to its logger for one request: the request
 * line (raw and decoded), every header value (User-Agent, X-Api-Version, Referer, X-Forwarded-For
 * are the famous ones, but applications log others too), query and form parameters decoded, the
 * strings of a JSON body, or a text body as is. These are what Log4Shell payloads ride in.
 */
import { headerValue, requestPath, requestQuery, type HttpRequest } from './http-request.ts';
import { parseParameters, percentDecode } from './url-decoding.ts';

const MAX_LOGGED_BODY = 65_536;
const MAX_JSON_STRINGS = 512;
const utf8 = new TextDecoder('utf-8');

export function loggedRequestStrings(request: HttpRequest): string[] {
  const logged = new Set<string>();
  const add = (text: string) => {
    if (text !== '') logged.add(text);
  };
  add(`${request.method} ${request.target} ${request.version}`);
  add(`${request.method} ${percentDecode(requestPath(request))} ${request.version}`);
  for (const [, value] of request.headers) add(value);
  for (const [name, value] of parseParameters(requestQuery(request))) {
    add(name);
    add(value);
  }
  for (const text of bodyStrings(request)) add(text);
  return [...logged];
}

function bodyStrings(request: HttpRequest): string[] {
  if (request.body.length === 0) return [];
  const text = utf8.decode(request.body.subarray(0, MAX_LOGGED_BODY));
  const contentType = (headerValue(request, 'content-type') ?? '').toLowerCase();
  if (contentType.includes('application/x-www-form-urlencoded')) return parseParameters(text).flat();
  if (contentType.includes('json') || /^\s*[[{]/.test(text)) {
    const strings = jsonStrings(text);
    if (strings) return strings;
  }
  return [text];
}

function jsonStrings(text: string): string[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const strings: string[] = [];
  const stack: unknown[] = [parsed];
  while (stack.length > 0 && strings.length < MAX_JSON_STRINGS) {
    const value = stack.pop();
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) stack.push(...value);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        strings.push(key);
        stack.push(inner);
      }
    }
  }
  return strings;
}
