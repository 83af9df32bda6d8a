import type { Profile } from '../../config/index.ts';
import type { ServiceKey } from './service-key.ts';

/**
 * What the sensor saw of a protected host, every field optional. Narrowing keeps the profiles that
 * contradict none of the facts; a fact the profile says nothing about does not rule it out.
 */
export interface ObservedFacts {
  /** the service the traffic went to */
  service?: ServiceKey;
  /** IP TTL (or hop limit) of a packet the host sent */
  ttl?: number;
  /** TCP window of the host's SYN/ACK */
  tcpWindow?: number;
  /** SMB dialects the host accepted (SMB1 strings, SMB2 as "2.0.2", "2.1") */
  smbDialects?: readonly string[];
  /** its HTTP Server header */
  httpServer?: string;
  /** greeting lines it sent on a port (FTP, SMTP, telnet, SSH) */
  banners?: readonly { proto: ServiceKey['proto']; port: number; text: string }[];
}

export type InitialTtl = 64 | 128 | 255;

/** The initial TTL a packet left with: the smallest common default at or above what arrived. */
export function initialTtlClass(ttl: number): InitialTtl {
  if (ttl <= 64) return 64;
  if (ttl <= 128) return 128;
  return 255;
}

/** Does the profile expose this service (a listed port, or a port of its DCE/RPC dynamic range)? */
export function exposes(profile: Profile, service: ServiceKey): boolean {
  if (profile.services.some((listed) => listed.proto === service.proto && listed.port === service.port)) return true;
  const range = profile.rpcDynamicPorts;
  return service.proto === 'tcp' && range !== undefined && service.port >= range.first && service.port <= range.last;
}

export function consistentWith(profile: Profile, facts: ObservedFacts): boolean {
  const { fingerprint } = profile;
  if (facts.service && !exposes(profile, facts.service)) return false;
  if (facts.ttl !== undefined && initialTtlClass(facts.ttl) !== fingerprint.initialTtl) return false;
  if (facts.tcpWindow !== undefined && !fingerprint.tcpWindowSizes.includes(facts.tcpWindow)) return false;
  if (facts.smbDialects && facts.smbDialects.length > 0) {
    if (!facts.smbDialects.every((dialect) => fingerprint.smbDialects.includes(dialect))) return false;
  }
  if (facts.httpServer !== undefined) {
    if (!fingerprint.httpServerHeaders.some((header) => serverHeaderConsistent(facts.httpServer!, header))) return false;
  }
  for (const banner of facts.banners ?? []) {
    const service = profile.services.find((listed) => listed.proto === banner.proto && listed.port === banner.port);
    if (!service) return false;
    if (service.banner !== undefined && !bannerMatches(service.banner, banner.text)) return false;
  }
  return true;
}

/**
 * An observed Server header fits a profile's when every product token it names is there with a
 * version that starts the same way: "Apache" fits "Apache/2.2.22 (Debian)", "Apache/2.2" fits too,
 * "Apache/2.4" and "Microsoft-IIS/5.0" do not. Comments in parentheses must appear as well.
 */
export function serverHeaderConsistent(observed: string, declared: string): boolean {
  const declaredTokens = serverTokens(declared);
  return serverTokens(observed).every((token) =>
    declaredTokens.some(
      (candidate) => candidate.product === token.product && (token.version === '' || candidate.version.startsWith(token.version)),
    ),
  );
}

function serverTokens(header: string): { product: string; version: string }[] {
  const tokens = header.match(/\([^)]*\)|[^\s()]+/g) ?? [];
  return tokens.map((token) => {
    const slash = token.startsWith('(') ? -1 : token.indexOf('/');
    const product = (slash === -1 ? token : token.slice(0, slash)).toLowerCase();
    return { product, version: slash === -1 ? '' : token.slice(slash + 1).toLowerCase() };
  });
}

/** Compares first lines; `{hostname}` in the profile's banner matches any host name. */
export function bannerMatches(template: string, observed: string): boolean {
  const firstLine = (text: string) => text.split(/\r?\n/).map((line) => line.trim()).find((line) => line !== '') ?? '';
  const pattern = firstLine(template)
    .split('{hostname}')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('\\S+');
  return new RegExp(`^${pattern}`).test(firstLine(observed));
}
