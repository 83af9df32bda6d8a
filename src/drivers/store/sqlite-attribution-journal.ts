import Database from 'better-sqlite3';
import type {
  AttributionJournal,
  IpMacObservation,
  IpMacRecord,
  MacPortObservation,
  MacPortRecord,
  PortOccupancy,
  PruneResult,
  SessionAttribution,
} from '../../attribution/index.ts';
import { CrashtestError } from '../../core/index.ts';

export interface SqliteAttributionJournalOptions {
  /** file path, or ':memory:' in tests */
  path: string;
  retentionDays: number;
  maxBytes: number;
  /**
   * 'normal' (default) survives the process being killed at any point: WAL commits are in the OS
   * before `commit` returns. 'full' also survives power loss, at an fsync per transaction.
   */
  synchronous?: 'normal' | 'full';
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  row_id INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL,
  capture_seconds REAL NOT NULL,
  proto TEXT NOT NULL,
  src_ip TEXT NOT NULL, src_port INTEGER NOT NULL,
  dst_ip TEXT NOT NULL, dst_port INTEGER NOT NULL,
  src_mac INTEGER NOT NULL, dst_mac INTEGER NOT NULL,
  vlan INTEGER NOT NULL,
  switch_name TEXT, port TEXT, if_index INTEGER NOT NULL, port_seen_seconds REAL
);
CREATE INDEX IF NOT EXISTS sessions_by_ip ON sessions (src_ip, capture_seconds);
CREATE INDEX IF NOT EXISTS sessions_by_mac ON sessions (src_mac, capture_seconds);
CREATE INDEX IF NOT EXISTS sessions_by_time ON sessions (capture_seconds);
CREATE INDEX IF NOT EXISTS sessions_by_session_id ON sessions (session_id);
CREATE TABLE IF NOT EXISTS ip_mac (
  row_id INTEGER PRIMARY KEY,
  ip TEXT NOT NULL, mac INTEGER NOT NULL, vlan INTEGER NOT NULL, source TEXT NOT NULL,
  first_seen REAL NOT NULL, last_seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ip_mac_by_ip ON ip_mac (ip, first_seen);
CREATE INDEX IF NOT EXISTS ip_mac_by_mac ON ip_mac (mac, first_seen);
CREATE INDEX IF NOT EXISTS ip_mac_by_last_seen ON ip_mac (last_seen);
CREATE TABLE IF NOT EXISTS mac_port (
  row_id INTEGER PRIMARY KEY,
  mac INTEGER NOT NULL, vlan INTEGER NOT NULL, switch_name TEXT NOT NULL, port TEXT NOT NULL,
  if_index INTEGER NOT NULL, source TEXT NOT NULL,
  first_seen REAL NOT NULL, last_seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS mac_port_by_mac ON mac_port (mac, switch_name, first_seen);
CREATE INDEX IF NOT EXISTS mac_port_by_port ON mac_port (switch_name, port, last_seen);
CREATE INDEX IF NOT EXISTS mac_port_by_last_seen ON mac_port (last_seen);
`;

interface SessionRow {
  session_id: number;
  capture_seconds: number;
  proto: 'tcp' | 'udp';
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  src_mac: number;
  dst_mac: number;
  vlan: number;
  switch_name: string | null;
  port: string | null;
  if_index: number;
  port_seen_seconds: number | null;
}

interface IpMacRow {
  row_id: number;
  ip: string;
  mac: number;
  vlan: number;
  source: IpMacRecord['source'];
  first_seen: number;
  last_seen: number;
}

interface MacPortRow {
  row_id: number;
  mac: number;
  vlan: number;
  switch_name: string;
  port: string;
  if_index: number;
  source: MacPortRecord['source'];
  first_seen: number;
  last_seen: number;
}

/**
 * The attribution journal in SQLite (WAL): sessions, IP→MAC and MAC→port history, each indexed for
 * lookups by address and time. Intervals [first_seen, last_seen] keep the history small: a pair
 * seen on every poll extends one row instead of adding one per poll.
 */
export class SqliteAttributionJournal implements AttributionJournal {
  private readonly db: Database.Database;
  private readonly options: SqliteAttributionJournalOptions;
  private isClosed = false;
  private readonly statements;

  constructor(options: SqliteAttributionJournalOptions) {
    this.options = options;
    try {
      this.db = new Database(options.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.db.pragma('busy_timeout = 5000');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`journal schema version ${version} is newer than this crashtest (${SCHEMA_VERSION})`);
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (error) {
      throw new CrashtestError('CT_ERR_JOURNAL_OPEN', `cannot open attribution journal ${options.path}: ${(error as Error).message}`, { file: options.path }, { cause: error });
    }
    this.statements = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      insertSession: db.prepare(
        `INSERT INTO sessions (session_id, capture_seconds, proto, src_ip, src_port, dst_ip, dst_port, src_mac, dst_mac, vlan, switch_name, port, if_index, port_seen_seconds)
         VALUES (@sessionId, @captureSeconds, @proto, @srcIp, @srcPort, @dstIp, @dstPort, @srcMac, @dstMac, @vlan, @switchName, @port, @ifIndex, @portSeenSeconds)`,
      ),
      newestIpMac: db.prepare<[string], IpMacRow>('SELECT * FROM ip_mac WHERE ip = ? ORDER BY first_seen DESC, row_id DESC LIMIT 1'),
      insertIpMac: db.prepare('INSERT INTO ip_mac (ip, mac, vlan, source, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)'),
      extendIpMac: db.prepare('UPDATE ip_mac SET last_seen = max(last_seen, ?) WHERE row_id = ?'),
      newestMacPort: db.prepare<[number, string], MacPortRow>('SELECT * FROM mac_port WHERE mac = ? AND switch_name = ? ORDER BY first_seen DESC, row_id DESC LIMIT 1'),
      insertMacPort: db.prepare('INSERT INTO mac_port (mac, vlan, switch_name, port, if_index, source, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      extendMacPort: db.prepare('UPDATE mac_port SET last_seen = max(last_seen, ?) WHERE row_id = ?'),
      sessionById: db.prepare<[number], SessionRow>('SELECT * FROM sessions WHERE session_id = ? ORDER BY row_id DESC LIMIT 1'),
      sessionsByIp: db.prepare<[string, number, number, number], SessionRow>(
        'SELECT * FROM sessions WHERE src_ip = ? AND capture_seconds BETWEEN ? AND ? ORDER BY capture_seconds DESC LIMIT ?',
      ),
      sessionsByMac: db.prepare<[number, number, number, number], SessionRow>(
        'SELECT * FROM sessions WHERE src_mac = ? AND capture_seconds BETWEEN ? AND ? ORDER BY capture_seconds DESC LIMIT ?',
      ),
      macForIp: db.prepare<[string, number], IpMacRow>(
        // ARP/DHCP/ND beat a frame-header guess that began at the same time or later within the interval
        `SELECT * FROM ip_mac WHERE ip = ? AND first_seen <= ? ORDER BY first_seen DESC, row_id DESC LIMIT 8`,
      ),
      ipsForMac: db.prepare<[number, number, number], IpMacRow>(
        'SELECT * FROM ip_mac WHERE mac = ? AND first_seen <= ? AND last_seen >= ? - 86400 ORDER BY last_seen DESC LIMIT 16',
      ),
      portCandidates: db.prepare<[number, number], MacPortRow>(
        `SELECT * FROM mac_port WHERE mac = ? AND first_seen <= ?
         ORDER BY first_seen DESC, row_id DESC LIMIT 16`,
      ),
      occupancy: db.prepare<[string, string, number, number], { macs: number; vlans: number }>(
        `SELECT count(DISTINCT mac) AS macs, count(DISTINCT vlan) AS vlans FROM mac_port
         WHERE switch_name = ? AND port = ? AND last_seen >= ? AND first_seen <= ?`,
      ),
      deleteOldSessions: db.prepare('DELETE FROM sessions WHERE capture_seconds < ?'),
      deleteOldIpMac: db.prepare('DELETE FROM ip_mac WHERE last_seen < ?'),
      deleteOldMacPort: db.prepare('DELETE FROM mac_port WHERE last_seen < ?'),
      deleteSessionsUpTo: db.prepare('DELETE FROM sessions WHERE capture_seconds <= ?'),
      deleteMacPortUpTo: db.prepare('DELETE FROM mac_port WHERE last_seen <= ?'),
      deleteIpMacUpTo: db.prepare('DELETE FROM ip_mac WHERE last_seen <= ?'),
      oldestSessionsCut: db.prepare<[number], { cut: number | null }>(
        'SELECT capture_seconds AS cut FROM sessions ORDER BY capture_seconds LIMIT 1 OFFSET ?',
      ),
      oldestHistoryCut: db.prepare<[number], { cut: number | null }>('SELECT last_seen AS cut FROM mac_port ORDER BY last_seen LIMIT 1 OFFSET ?'),
      oldestIpMacCut: db.prepare<[number], { cut: number | null }>('SELECT last_seen AS cut FROM ip_mac ORDER BY last_seen LIMIT 1 OFFSET ?'),
      counts: db.prepare<[], { sessions: number; ipMac: number; macPort: number }>(
        'SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM ip_mac) AS ipMac, (SELECT count(*) FROM mac_port) AS macPort',
      ),
    };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  recordSessions(rows: readonly SessionAttribution[]): void {
    this.assertOpen();
    const insert = this.statements.insertSession;
    this.db.transaction(() => {
      for (const row of rows) insert.run(row);
    })();
  }

  recordIpMacs(rows: readonly IpMacObservation[]): void {
    this.assertOpen();
    const { newestIpMac, insertIpMac, extendIpMac } = this.statements;
    this.db.transaction(() => {
      for (const row of rows) {
        const newest = newestIpMac.get(row.ip);
        if (newest && newest.mac === row.mac && newest.first_seen <= row.seconds) extendIpMac.run(row.seconds, newest.row_id);
        else insertIpMac.run(row.ip, row.mac, row.vlan, row.source, row.seconds, row.seconds);
      }
    })();
  }

  recordMacPorts(rows: readonly MacPortObservation[]): void {
    this.assertOpen();
    const { newestMacPort, insertMacPort, extendMacPort } = this.statements;
    this.db.transaction(() => {
      for (const row of rows) {
        const newest = newestMacPort.get(row.mac, row.switchName);
        if (newest && newest.port === row.port && newest.vlan === row.vlan && newest.first_seen <= row.seconds) extendMacPort.run(row.seconds, newest.row_id);
        else insertMacPort.run(row.mac, row.vlan, row.switchName, row.port, row.ifIndex, row.source, row.seconds, row.seconds);
      }
    })();
  }

  sessionById(sessionId: number): SessionAttribution | null {
    this.assertOpen();
    const row = this.statements.sessionById.get(sessionId);
    return row ? toSession(row) : null;
  }

  sessionsByIp(ip: string, fromSeconds: number, toSeconds: number, limit = 100): SessionAttribution[] {
    this.assertOpen();
    return this.statements.sessionsByIp.all(ip, fromSeconds, toSeconds, limit).map(toSession);
  }

  sessionsByMac(mac: number, fromSeconds: number, toSeconds: number, limit = 100): SessionAttribution[] {
    this.assertOpen();
    return this.statements.sessionsByMac.all(mac, fromSeconds, toSeconds, limit).map(toSession);
  }

  macForIp(ip: string, atSeconds: number): IpMacRecord | null {
    this.assertOpen();
    const rows = this.statements.macForIp.all(ip, atSeconds);
    if (rows.length === 0) return null;
    // A frame-header row can name the router; prefer an ARP/DHCP/ND row still current at that time.
    const authoritative = rows.find((row) => row.source !== 'frame' && row.last_seen >= atSeconds - 3600);
    return toIpMac(authoritative ?? rows[0]!);
  }

  ipsForMac(mac: number, atSeconds: number): IpMacRecord[] {
    this.assertOpen();
    return this.statements.ipsForMac.all(mac, atSeconds, atSeconds).map(toIpMac);
  }

  portForMac(mac: number, atSeconds: number): MacPortRecord | null {
    this.assertOpen();
    const rows = this.statements.portCandidates.all(mac, atSeconds);
    // Newest interval per switch; a host's MAC also shows on the uplinks of every switch in its path.
    const perSwitch = new Map<string, MacPortRow>();
    for (const row of rows) if (!perSwitch.has(row.switch_name)) perSwitch.set(row.switch_name, row);
    const candidates = [...perSwitch.values()];
    if (candidates.length <= 1) return candidates[0] ? toMacPort(candidates[0]) : null;
    // The access port is the one with the fewest neighbours around that time.
    let best = candidates[0]!;
    let bestMacs = Infinity;
    for (const candidate of candidates) {
      const { macs } = this.statements.occupancy.get(candidate.switch_name, candidate.port, atSeconds - 3600, atSeconds)!;
      if (macs < bestMacs || (macs === bestMacs && candidate.first_seen > best.first_seen)) {
        best = candidate;
        bestMacs = macs;
      }
    }
    return toMacPort(best);
  }

  portOccupancy(switchName: string, port: string, fromSeconds: number, toSeconds: number): PortOccupancy {
    this.assertOpen();
    return this.statements.occupancy.get(switchName, port, fromSeconds, toSeconds)!;
  }

  sizeBytes(): number {
    this.assertOpen();
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * pageSize;
  }

  prune(nowSeconds: number): PruneResult {
    this.assertOpen();
    const cutoff = nowSeconds - this.options.retentionDays * 86_400;
    const { deleteOldSessions, deleteOldIpMac, deleteOldMacPort } = this.statements;
    const expiredRows = this.db.transaction(
      () => deleteOldSessions.run(cutoff).changes + deleteOldIpMac.run(cutoff).changes + deleteOldMacPort.run(cutoff).changes,
    )();
    let sizeRows = 0;
    let sizeBytes = 0;
    let size = this.sizeBytes();
    for (let step = 0; step < 50 && size > this.options.maxBytes; step++) {
      // Delete the share of rows the excess suggests, plus a margin: freed index pages lag behind rows.
      const share = Math.min(0.5, (size - this.options.maxBytes) / size + 0.05);
      const removed = this.removeOldest(share);
      if (removed === 0) break;
      sizeRows += removed;
      const after = this.sizeBytes();
      sizeBytes += Math.max(0, size - after);
      size = after;
    }
    if (expiredRows + sizeRows > 0) this.db.pragma('wal_checkpoint(PASSIVE)');
    return { expiredRows, sizeRows, sizeBytes };
  }

  /** Deletes the oldest `share` of each table's rows; returns how many went. */
  private removeOldest(share: number): number {
    const counts = this.statements.counts.get()!;
    const offset = (rows: number) => Math.min(rows, Math.max(1, Math.ceil(rows * share))) - 1;
    return this.db.transaction(() => {
      let removed = 0;
      const sessionCut = counts.sessions > 0 ? this.statements.oldestSessionsCut.get(offset(counts.sessions))?.cut : null;
      if (sessionCut != null) removed += this.statements.deleteSessionsUpTo.run(sessionCut).changes;
      const portCut = counts.macPort > 0 ? this.statements.oldestHistoryCut.get(offset(counts.macPort))?.cut : null;
      if (portCut != null) removed += this.statements.deleteMacPortUpTo.run(portCut).changes;
      const ipCut = counts.ipMac > 0 ? this.statements.oldestIpMacCut.get(offset(counts.ipMac))?.cut : null;
      if (ipCut != null) removed += this.statements.deleteIpMacUpTo.run(ipCut).changes;
      return removed;
    })();
  }

  /** Table row counts, for tests and `crashtest who --stats`. */
  counts(): { sessions: number; ipMac: number; macPort: number } {
    this.assertOpen();
    return this.statements.counts.get()!;
  }

  /** Names of the journal's indexes, for tests. */
  indexNames(): string[] {
    return (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map(
      (row) => row.name,
    );
  }

  journalMode(): string {
    return this.db.pragma('journal_mode', { simple: true }) as string;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `attribution journal ${this.options.path} used after close()`);
  }
}

function toSession(row: SessionRow): SessionAttribution {
  return {
    sessionId: row.session_id,
    captureSeconds: row.capture_seconds,
    proto: row.proto,
    srcIp: row.src_ip,
    srcPort: row.src_port,
    dstIp: row.dst_ip,
    dstPort: row.dst_port,
    srcMac: row.src_mac,
    dstMac: row.dst_mac,
    vlan: row.vlan,
    switchName: row.switch_name,
    port: row.port,
    ifIndex: row.if_index,
    portSeenSeconds: row.port_seen_seconds,
  };
}

function toIpMac(row: IpMacRow): IpMacRecord {
  return { ip: row.ip, mac: row.mac, vlan: row.vlan, source: row.source, firstSeenSeconds: row.first_seen, lastSeenSeconds: row.last_seen };
}

function toMacPort(row: MacPortRow): MacPortRecord {
  return {
    mac: row.mac,
    vlan: row.vlan,
    switchName: row.switch_name,
    port: row.port,
    ifIndex: row.if_index,
    source: row.source,
    firstSeenSeconds: row.first_seen,
    lastSeenSeconds: row.last_seen,
  };
}
