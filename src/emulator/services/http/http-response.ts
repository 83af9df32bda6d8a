/** What a personality answers, and its bytes on the wire. */
export interface HttpAnswer {
  status: number;
  headers?: [string, string][];
  body?: string | Uint8Array;
  /** the server closes the connection after this answer */
  close?: boolean;
}

const REASONS: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  411: 'Length Required',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

/** a fixed date: the dummy's answers must not depend on when the test or replay runs */
const DATE = 'Fri, 10 Dec 2021 09:00:00 GMT';

export function encodeHttpAnswer(answer: HttpAnswer, serverHeader: string | null, options: { version?: string; headOnly?: boolean } = {}): Uint8Array {
  const body = typeof answer.body === 'string' ? new TextEncoder().encode(answer.body) : (answer.body ?? new Uint8Array(0));
  const version = options.version === 'HTTP/1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
  const lines = [`${version} ${answer.status} ${REASONS[answer.status] ?? 'Unknown'}`, `Date: ${DATE}`];
  if (serverHeader) lines.push(`Server: ${serverHeader}`);
  const headers = answer.headers ?? [];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (!headers.some(([name]) => name.toLowerCase() === 'content-type') && body.length > 0) lines.push('Content-Type: text/html');
  lines.push(`Content-Length: ${body.length}`);
  if (answer.close) lines.push('Connection: close');
  const head = new TextEncoder().encode(`${lines.join('\r\n')}\r\n\r\n`);
  if (options.headOnly) return head;
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head);
  bytes.set(body, head.length);
  return bytes;
}

export function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${title}</title>\n</head><body>\n${body}\n</body></html>\n`;
}

/** HTML-escapes text a page echoes (the request path), so the answer stays inert */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
