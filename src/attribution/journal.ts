/**
 * The attribution journal: who sent which session, from which switch port, answerable days later.
 * The stage defines the interface; the SQLite implementation lives in src/drivers/store.
 * Times are capture (or poll) times in whole or fractional seconds since 1970, UTC.
 */

/** One journalled session, with the port its source MAC was on at capture time. */
export interface SessionAttribution {
  /** the flow stage's session id (unique within one run; lookups take the newest row with the id) */
  sessionId: number;
  captureSeconds: number;
  proto: 'tcp' | 'udp';
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** 48-bit integer, -1 when the link type had none */
  srcMac: number;
  dstMac: number;
  vlan: number;
  /** switch and port the source MAC was on when the session was captured; null when unknown */
  switchName: string | null;
  port: string | null;
  ifIndex: number;
  /** when that port observation was last confirmed, null when there was none */
  portSeenSeconds: number | null;
}

export type IpMacSource = 'arp' | 'dhcp' | 'nd' | 'frame';

/** An IP address seen with a MAC. History is kept as intervals [firstSeen, lastSeen]. */
export interface IpMacObservation {
  ip: string;
  mac: number;
  vlan: number;
  source: IpMacSource;
  seconds: number;
}

export interface IpMacRecord extends Omit<IpMacObservation, 'seconds'> {
  firstSeenSeconds: number;
  lastSeenSeconds: number;
}

export type MacPortSource = 'snmp-qbridge' | 'snmp-bridge' | 'static';

/** A MAC seen on a switch port (one row of a forwarding table, stamped with its read time). */
export interface MacPortObservation {
  mac: number;
  vlan: number;
  switchName: string;
  port: string;
  ifIndex: number;
  source: MacPortSource;
  seconds: number;
}

export interface MacPortRecord extends Omit<MacPortObservation, 'seconds'> {
  firstSeenSeconds: number;
  lastSeenSeconds: number;
}

export interface PortOccupancy {
  /** distinct MACs seen on the port within the window */
  macs: number;
  /** distinct VLANs those MACs were seen in; more than one marks a trunk */
  vlans: number;
}

export interface PruneResult {
  /** rows removed because they were older than the retention */
  expiredRows: number;
  /** rows removed, oldest first, to bring the journal under its size bound */
  sizeRows: number;
  sizeBytes: number;
}

export interface AttributionJournal {
  readonly closed: boolean;
  /** all rows in one transaction: either all are committed or none */
  recordSessions(rows: readonly SessionAttribution[]): void;
  /** extends the newest interval of an (ip, mac) pair, or opens a new one when the MAC changed */
  recordIpMacs(rows: readonly IpMacObservation[]): void;
  recordMacPorts(rows: readonly MacPortObservation[]): void;
  sessionById(sessionId: number): SessionAttribution | null;
  sessionsByIp(ip: string, fromSeconds: number, toSeconds: number, limit?: number): SessionAttribution[];
  sessionsByMac(mac: number, fromSeconds: number, toSeconds: number, limit?: number): SessionAttribution[];
  /** the MAC the IP had at `atSeconds`: the newest interval that began at or before it */
  macForIp(ip: string, atSeconds: number): IpMacRecord | null;
  ipsForMac(mac: number, atSeconds: number): IpMacRecord[];
  /** the port the MAC was on at `atSeconds`: the newest interval that began at or before it */
  portForMac(mac: number, atSeconds: number): MacPortRecord | null;
  portOccupancy(switchName: string, port: string, fromSeconds: number, toSeconds: number): PortOccupancy;
  /** retention and size bound; returns what was removed */
  prune(nowSeconds: number): PruneResult;
  /** bytes the journal's live pages take */
  sizeBytes(): number;
  close(): void;
}
