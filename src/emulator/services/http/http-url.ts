/** A URL as download tools take it: scheme optional (wget and curl assume http), host, port, path. */
export interface HttpUrl {
  scheme: 'http' | 'https' | 'ftp';
  host: string;
  port: number;
  /** path and query, starting with `/` */
  path: string;
}

const DEFAULT_PORTS = { http: 80, https: 443, ftp: 21 } as const;

export function parseHttpUrl(text: string): HttpUrl | null {
  const match = /^(?:([a-zA-Z]+):\/\/)?(?:[^@/?#\s]*@)?(\[[0-9a-fA-F:.]+\]|[^/:?#\s]+)(?::(\d{1,5}))?([/?#][^\s]*)?$/.exec(text.trim());
  if (!match) return null;
  const scheme = (match[1] ?? 'http').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'ftp') return null;
  const port = match[3] === undefined ? DEFAULT_PORTS[scheme] : Number(match[3]);
  if (port < 1 || port > 65_535) return null;
  const host = match[2]!.replace(/^\[|\]$/g, '');
  let path = (match[4] ?? '/').replace(/#.*$/, '');
  if (!path.startsWith('/')) path = `/${path}`;
  return { scheme, host, port, path };
}

/** the last path segment, which `wget` and `curl -O` name the saved file after */
export function urlFileName(url: HttpUrl): string {
  const segment = url.path.replace(/\?.*$/, '').split('/').pop() ?? '';
  return segment === '' ? 'index.html' : segment;
}

export function isIpv4Literal(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}
