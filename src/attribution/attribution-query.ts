import type { AttributionJournal, IpMacRecord, MacPortRecord, PortOccupancy, SessionAttribution } from './journal.ts';
import { formatMac, parseMac } from './mac-address.ts';

/** Where a host was at a given time, as `crashtest who` prints it. */
export interface WhoAnswer {
  query: string;
  atSeconds: number;
  ip: string | null;
  mac: string | null;
  /** how the IP→MAC pair was learned, null when the query was a MAC */
  macSource: string | null;
  ipMac: IpMacRecord | null;
  /** other IPs the MAC had at that time (for a MAC query) */
  ips: string[];
  port: (Omit<MacPortRecord, 'mac'> & { mac: string }) | null;
  /** the host's sessions in the hour around the time, newest first */
  sessions: SessionAttribution[];
}

/** The port a verdict should act on: the one recorded at capture time, with what it rests on. */
export interface AttributedTarget {
  sessionId: number;
  ip: string;
  mac: number;
  switchName: string;
  port: string;
  ifIndex: number;
  captureSeconds: number;
  /** 'session' when the journalled session named the port; 'mac-history' when found from the MAC's history */
  basis: 'session' | 'mac-history';
}

/** Read-side questions the CLI and the response stage ask of the journal. */
export class AttributionQuery {
  constructor(private readonly journal: AttributionJournal) {}

  who(query: string, atSeconds: number): WhoAnswer {
    const mac = parseMac(query);
    const answer: WhoAnswer = { query, atSeconds, ip: null, mac: null, macSource: null, ipMac: null, ips: [], port: null, sessions: [] };
    let macNumber = mac;
    if (mac < 0) {
      answer.ip = query;
      answer.ipMac = this.journal.macForIp(query, atSeconds);
      macNumber = answer.ipMac?.mac ?? -1;
      answer.macSource = answer.ipMac?.source ?? null;
      answer.sessions = this.journal.sessionsByIp(query, atSeconds - 3600, atSeconds + 3600, 20);
      if (macNumber < 0 && answer.sessions.length > 0) macNumber = answer.sessions[0]!.srcMac;
    } else {
      answer.sessions = this.journal.sessionsByMac(mac, atSeconds - 3600, atSeconds + 3600, 20);
      answer.ips = this.journal.ipsForMac(mac, atSeconds).map((record) => record.ip);
      answer.ip = answer.ips[0] ?? null;
    }
    if (macNumber >= 0) {
      answer.mac = formatMac(macNumber);
      const port = this.journal.portForMac(macNumber, atSeconds);
      answer.port = port ? { ...port, mac: formatMac(port.mac) } : null;
    }
    return answer;
  }

  /**
   * The port to act on for a session: what was journalled at capture time, never what the switch
   * says now (the host may have moved, the table may have forgotten it). Falls back to the MAC's
   * port history at the capture time when the session row has no port.
   */
  targetForSession(sessionId: number, srcMac: number, srcIp: string): AttributedTarget | null {
    const session = this.journal.sessionById(sessionId);
    if (session && session.switchName && session.port) {
      return {
        sessionId,
        ip: session.srcIp,
        mac: session.srcMac,
        switchName: session.switchName,
        port: session.port,
        ifIndex: session.ifIndex,
        captureSeconds: session.captureSeconds,
        basis: 'session',
      };
    }
    const mac = session?.srcMac ?? srcMac;
    const at = session?.captureSeconds;
    if (mac < 0 || at === undefined) return null;
    const port = this.journal.portForMac(mac, at);
    if (!port) return null;
    return { sessionId, ip: session?.srcIp ?? srcIp, mac, switchName: port.switchName, port: port.port, ifIndex: port.ifIndex, captureSeconds: at, basis: 'mac-history' };
  }

  portOccupancy(switchName: string, port: string, fromSeconds: number, toSeconds: number): PortOccupancy {
    return this.journal.portOccupancy(switchName, port, fromSeconds, toSeconds);
  }
}
