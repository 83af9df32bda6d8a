/**
 * Options of one containment, with their defaults and units, validated and frozen when the
 * containment is made. A broken option stops construction with a message naming the key.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { CrashtestError, type Counters, type Timestamp } from '../core/index.ts';
import type { PeerLookup } from './captured-peer.ts';
import type { EgressEvent, SinkName } from './egress-event.ts';

export interface ContainmentLimits {
  /** TCP connections a dummy may open until reset; more are refused and counted */
  maxConnections: number;
  /** bytes the dummy sends per connection that are kept, hashed and parsed; the rest only counted */
  maxRecordedBytesPerConnection: number;
  /** events kept; later events are counted in `containment.events_dropped` */
  maxEvents: number;
  /** open TFTP transfers and FTP passive ports at once */
  maxPendingTransfers: number;
}

export const DEFAULT_LIMITS: ContainmentLimits = Object.freeze({
  maxConnections: 256,
  maxRecordedBytesPerConnection: 65_536, // 64 KiB
  maxEvents: 10_000,
  maxPendingTransfers: 64,
});

export interface ContainmentOptions {
  dummyId: string;
  profileId: string;
  /** where overflow and anomaly counters go (`containment.*`); default: a private registry */
  counters?: Counters;
  /** virtual time for a fake clock or an accelerated dwell; default: the wall clock */
  clock?: () => Timestamp;
  /** called with each event as it is recorded (the verdict stage's feed) */
  onEvent?: (event: EgressEvent) => void;
  /** what every name resolves to */
  sinkhole?: { ipv4?: string; ipv6?: string };
  limits?: Partial<ContainmentLimits>;
  /** destination port → sink, for servers that speak first or protocols that cannot be sniffed */
  ports?: Record<number, SinkName>;
  /** what HTTP, FTP RETR and TFTP RRQ hand out; default: a small HTML page / text file */
  download?: { body: Uint8Array | string; contentType?: string };
  /** LDAP search answer: `empty` (no entry) or `reference` (a javaNamingReference to the HTTP sink) */
  ldapAnswer?: 'empty' | 'reference';
  /** HTTP Server header and FTP banner, to look like the world the dummy expects */
  httpServer?: string;
  ftpBanner?: string;
  /** captured servers that answer connections to their destinations before the generic sinks */
  peers?: PeerLookup;
}

/** Port defaults: servers that speak first (FTP) and protocols where the port is the best hint. */
export const DEFAULT_PORTS: Readonly<Record<number, SinkName>> = Object.freeze({
  21: 'ftp',
  53: 'dns',
  80: 'http',
  389: 'ldap',
  443: 'tls',
  636: 'tls',
  1099: 'rmi',
  1389: 'ldap',
  8080: 'http',
});

export interface ContainmentSettings {
  readonly dummyId: string;
  readonly profileId: string;
  readonly sinkholeIpv4: string;
  readonly sinkholeIpv6: string;
  readonly limits: Readonly<ContainmentLimits>;
  readonly ports: Readonly<Record<number, SinkName>>;
  readonly download: { readonly body: Uint8Array; readonly contentType: string } | null;
  readonly ldapAnswer: 'empty' | 'reference';
  readonly httpServer: string;
  readonly ftpBanner: string;
}

const SINK_NAMES: readonly SinkName[] = ['raw', 'dns', 'http', 'ftp', 'tftp', 'ldap', 'rmi', 'tls'];

export function resolveSettings(options: ContainmentOptions): ContainmentSettings {
  const fail = (key: string, expected: string, found: unknown): never => {
    throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `containment option ${key}: expected ${expected}, found ${JSON.stringify(found)}`, { key });
  };
  if (typeof options.dummyId !== 'string' || options.dummyId === '') fail('dummyId', 'a non-empty string', options.dummyId);
  if (typeof options.profileId !== 'string' || options.profileId === '') fail('profileId', 'a non-empty string', options.profileId);
  const limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(options.limits ?? {})) {
    if (!(key in DEFAULT_LIMITS)) fail(`limits.${key}`, `one of ${Object.keys(DEFAULT_LIMITS).join(', ')}`, key);
    if (!Number.isSafeInteger(value) || value < 1) fail(`limits.${key}`, 'a positive integer', value);
    limits[key as keyof ContainmentLimits] = value;
  }
  const ipv4 = options.sinkhole?.ipv4 ?? '10.13.37.1';
  const ipv6 = options.sinkhole?.ipv6 ?? 'fd00:13:37::1';
  if (!isIPv4(ipv4)) fail('sinkhole.ipv4', 'a dotted IPv4 address', ipv4);
  if (!isIPv6(ipv6)) fail('sinkhole.ipv6', 'an IPv6 address', ipv6);
  const ports: Record<number, SinkName> = { ...DEFAULT_PORTS };
  for (const [port, sink] of Object.entries(options.ports ?? {})) {
    const number = Number(port);
    if (!Number.isInteger(number) || number < 1 || number > 65_535) fail(`ports.${port}`, 'a port 1..65535', port);
    if (!SINK_NAMES.includes(sink)) fail(`ports.${port}`, `one of ${SINK_NAMES.join(', ')}`, sink);
    ports[number] = sink;
  }
  const body = options.download?.body;
  const download = body === undefined
    ? null
    : Object.freeze({ body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body.slice(), contentType: options.download?.contentType ?? 'application/octet-stream' });
  const ldapAnswer = options.ldapAnswer ?? 'empty';
  if (ldapAnswer !== 'empty' && ldapAnswer !== 'reference') fail('ldapAnswer', "'empty' or 'reference'", ldapAnswer);
  return Object.freeze({
    dummyId: options.dummyId,
    profileId: options.profileId,
    sinkholeIpv4: ipv4,
    sinkholeIpv6: ipv6,
    limits: Object.freeze(limits),
    ports: Object.freeze(ports),
    download,
    ldapAnswer,
    httpServer: options.httpServer ?? 'Apache/2.2.22 (Ubuntu)',
    ftpBanner: options.ftpBanner ?? '220 Microsoft FTP Service',
  });
}
