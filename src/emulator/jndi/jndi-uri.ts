/**
 * A JNDI name as `InitialContext.lookup` sees it: a URL scheme picks the provider, then host, port
 * and the name inside it. Hostile text is data: anything unparseable yields null.
 */
export interface JndiUri {
  scheme: string;
  /** host as written (a name or an IPv4/IPv6 literal); empty for `ldap:///dn` */
  host: string;
  port: number;
  /** the name after the authority, without the leading slash, URL-decoded */
  name: string;
}

export const DEFAULT_PORTS: Record<string, number> = {
  ldap: 389,
  ldaps: 636,
  rmi: 1099,
  dns: 53,
  iiop: 900,
  iiopname: 900,
  corbaname: 2809,
  nis: 111,
  nds: 524,
  http: 80,
};

export function parseJndiUri(text: string): JndiUri | null {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s.exec(text.trim());
  if (!match) return null;
  const scheme = match[1]!.toLowerCase();
  let rest = match[2]!;
  if (scheme === 'corbaname') rest = rest.replace(/^:?iiop:/i, '//').replace(/^:/, '//');
  if (!rest.startsWith('//')) return null;
  rest = rest.slice(2);
  const slash = rest.search(/[/?#]/);
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + (rest[slash] === '/' ? 1 : 0));
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  let host = hostPort;
  let portText = '';
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return null;
    host = hostPort.slice(1, close);
    portText = hostPort.slice(close + 1).replace(/^:/, '');
  } else if (hostPort.includes(':')) {
    host = hostPort.slice(0, hostPort.lastIndexOf(':'));
    portText = hostPort.slice(hostPort.lastIndexOf(':') + 1);
  }
  const port = portText === '' ? (DEFAULT_PORTS[scheme] ?? 0) : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return null;
  return { scheme, host, port, name: safeDecode(path) };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
