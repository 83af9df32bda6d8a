/** One HTTP/1.x request as the parser hands it on: text fields are latin1 (one char per byte). */
export interface HttpRequest {
  method: string;
  /** the request target as sent (`/cgi-bin/a?x=1`), not decoded */
  target: string;
  /** `HTTP/1.1`; `HTTP/0.9` for a bare `GET /path` line */
  version: string;
  /** in order, names as written */
  headers: [string, string][];
  body: Uint8Array;
  /** the request's bytes as received (request line, headers, body as framed), up to the limits */
  raw: Uint8Array;
  /** where the request starts in the connection's client stream */
  offset: number;
  /** false when the client stopped sending before the request was complete */
  complete: boolean;
}

/** the first header of that name (case-insensitive), or undefined */
export function headerValue(request: HttpRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  return request.headers.find(([header]) => header.toLowerCase() === lower)?.[1];
}

/** path part of the target, without the query; an absolute-form target's scheme and authority removed */
export function requestPath(request: HttpRequest): string {
  const target = request.target.replace(/^[a-zA-Z]+:\/\/[^/]*/, '');
  const query = target.indexOf('?');
  return query < 0 ? target : target.slice(0, query);
}

/** the query after the first `?`, not decoded; empty when none */
export function requestQuery(request: HttpRequest): string {
  const query = request.target.indexOf('?');
  return query < 0 ? '' : request.target.slice(query + 1);
}
