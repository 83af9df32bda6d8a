/**
 * The only network a dummy can reach. One `Containment` serves one dummy for one lease: every
 * outbound TCP connection, UDP datagram, ICMP echo and name lookup of that dummy lands here, meets
 * a sink that answers plausibly, and becomes an egress event. A revert closes it and the clean
 * dummy gets a new one, so caps, sinkhole state and the event stream never mix two leases.
 */
import { isIPv4 } from 'node:net';
import { Counters, CrashtestError, type Timestamp } from '../core/index.ts';
import { hexPrefix } from './bytes.ts';
import type { PeerLookup } from './captured-peer.ts';
import { ContainedConnection, type ConnectionHost } from './contained-connection.ts';
import { resolveSettings, type ContainmentOptions, type ContainmentSettings } from './containment-options.ts';
import type { EgressEvent, EgressFacts, EgressProtocol, NetworkAddress, SinkName } from './egress-event.ts';
import type { DataConnectionOwner, DatagramReply, SinkContext, TcpSink } from './sink.ts';
import { answerDnsMessage, DnsTcpSink, looksLikeDnsQuery, qtypeName } from './sinks/dns-sink.ts';
import { FtpSink } from './sinks/ftp-sink.ts';
import { HttpSink } from './sinks/http-sink.ts';
import { LdapSink } from './sinks/ldap-sink.ts';
import { RawTcpSink } from './sinks/raw-tcp-sink.ts';
import { ReplayedPeerSink } from './sinks/replayed-peer-sink.ts';
import { RmiSink } from './sinks/rmi-sink.ts';
import { looksLikeTftpRequest, TftpTransfer } from './sinks/tftp-sink.ts';
import { TlsSink } from './sinks/tls-sink.ts';

/** first port handed out for FTP passive data and TFTP transfers */
const TRANSFER_PORT_BASE = 40_000;

function wallClock(): Timestamp {
  const now = Date.now();
  return { seconds: Math.floor(now / 1000), nanoseconds: (now % 1000) * 1_000_000 };
}

function addressKey(address: NetworkAddress): string {
  return `${address.address}|${address.port}`;
}

export class Containment {
  readonly settings: ContainmentSettings;
  readonly counters: Counters;
  private readonly clock: () => Timestamp;
  private readonly onEvent: ((event: EgressEvent) => void) | null;
  private readonly recorded: EgressEvent[] = [];
  private sequence = 0;
  private nextConnectionId = 1;
  private connectionsOpened = 0;
  private readonly open = new Set<ContainedConnection>();
  private readonly passive = new Map<string, DataConnectionOwner>();
  private readonly transfers = new Map<string, TftpTransfer>();
  private readonly udpFlows = new Map<string, number>();
  private readonly echoes = new Map<string, { count: number; payloadBytes: number }>();
  private nextTransferPort = TRANSFER_PORT_BASE;
  private peers: PeerLookup | null;
  /** connections so far per destination: the nth meets the nth captured peer there */
  private readonly peerUses = new Map<string, number>();
  private isClosed = false;
  private readonly host: ConnectionHost;

  constructor(options: ContainmentOptions) {
    this.settings = resolveSettings(options);
    this.counters = options.counters ?? new Counters();
    this.clock = options.clock ?? wallClock;
    this.onEvent = options.onEvent ?? null;
    this.peers = options.peers ?? null;
    this.host = {
      settings: this.settings,
      record: (connection, protocol, facts, anomalies) =>
        this.record(protocol, 'tcp', connection.destination, connection.source, connection.id, facts, anomalies),
      count: (name, amount) => this.counters.add(name, amount),
      createSink: (name, context) => createSink(name, context),
      openPassivePort: (connection, owner) => this.openPassivePort(connection.destination.address, owner),
      forget: (connection) => this.open.delete(connection),
    };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Every event so far, oldest first (at most `limits.maxEvents`). */
  get events(): readonly EgressEvent[] {
    return this.recorded;
  }

  get eventsDropped(): number {
    return this.counters.get('containment.events_dropped');
  }

  get openConnections(): number {
    return this.open.size;
  }

  /**
   * Captured servers that answer this dummy's connections from now on, before the generic sinks
   * (null: generic sinks only). Their bytes come from the capture; nothing the dummy sends leaves.
   */
  replayPeers(peers: PeerLookup | null): void {
    this.assertOpen('replayPeers');
    this.peers = peers;
    this.peerUses.clear();
  }

  /** A TCP connect. Null means refused: the per-dummy connection cap was reached (counted, and recorded). */
  connectTcp(destination: NetworkAddress, source: NetworkAddress | null = null): ContainedConnection | null {
    this.assertOpen('connectTcp');
    const id = this.nextConnectionId++;
    if (this.connectionsOpened >= this.settings.limits.maxConnections) {
      this.counters.add('containment.connections_refused_cap');
      this.record('tcp', 'tcp', destination, source, id, { kind: 'tcp_refused', reason: 'connection_cap' }, []);
      return null;
    }
    this.connectionsOpened++;
    this.counters.add('containment.connections');
    const key = addressKey(destination);
    const waiting = this.passive.get(key) ?? null;
    if (waiting) this.passive.delete(key);
    const peer = waiting ? null : this.replayedPeer(destination);
    const owner = waiting ?? peer?.owner ?? null;
    // the connect itself is evidence ("connects to X:4444"), before any byte
    this.record('tcp', 'tcp', destination, source, id, peer ? { kind: 'tcp_connect', replayedSession: peer.sessionId } : { kind: 'tcp_connect' }, []);
    const connection = new ContainedConnection(this.host, id, destination, source, owner);
    this.open.add(connection);
    return connection;
  }

  /** A UDP datagram from the dummy; returns the datagrams the sinks answer with. */
  sendDatagram(destination: NetworkAddress, bytes: Uint8Array, source: NetworkAddress | null = null): DatagramReply[] {
    this.assertOpen('sendDatagram');
    this.counters.add('containment.datagrams');
    const flowId = this.udpFlowId(destination, source);
    const anomalies: string[] = [];
    const anomaly = (sink: string) => (name: string): void => {
      anomalies.push(name);
      this.counters.add(`containment.${sink}.${name}`);
    };
    const record = (protocol: EgressProtocol, facts: EgressFacts): void => {
      this.record(protocol, 'udp', destination, source, flowId, facts, anomalies.splice(0));
    };
    const transfer = this.transfers.get(addressKey(destination));
    if (transfer) {
      const reply = transfer.receive(bytes, anomaly('tftp'), record);
      if (transfer.done) this.transfers.delete(addressKey(destination));
      return reply ? [{ bytes: reply, from: destination }] : [];
    }
    const sink = this.datagramSink(destination.port, bytes);
    if (sink === 'dns') {
      const answer = answerDnsMessage(bytes, this.settings, anomaly('dns'));
      for (const question of answer.questions) {
        record('dns', { kind: 'dns_query', qname: question.qname, qtype: question.qtype, qtypeName: qtypeName(question.qtype), via: 'udp', answer: question.answer });
      }
      if (answer.questions.length === 0) record('dns', { kind: 'udp_datagram', bytes: bytes.length, firstBytesHex: hexPrefix(bytes) });
      return answer.reply ? [{ bytes: answer.reply, from: destination }] : [];
    }
    if (sink === 'tftp') return this.startTftp(destination, bytes, anomaly('tftp'), record);
    record('udp', {
      kind: 'udp_datagram',
      bytes: bytes.length,
      firstBytesHex: hexPrefix(bytes),
      payload: bytes.slice(0, this.settings.limits.maxRecordedBytesPerConnection),
    });
    return [];
  }

  /** An ICMP echo request; the first to a target is an event, the total comes when the containment closes. */
  icmpEcho(destination: string, payloadBytes: number): boolean {
    this.assertOpen('icmpEcho');
    this.counters.add('containment.icmp_echoes');
    const seen = this.echoes.get(destination);
    if (seen) {
      seen.count++;
      return true;
    }
    this.echoes.set(destination, { count: 1, payloadBytes });
    this.record('icmp', 'icmp', { address: destination, port: 0 }, null, null, { kind: 'icmp_echo', count: 1, payloadBytes }, []);
    return true;
  }

  /** A lookup through the dummy's resolver API (gethostbyname, InetAddress): answered from the sinkhole. */
  resolve(name: string, qtype: 'A' | 'AAAA' = 'A', resolver: NetworkAddress | null = null): string | null {
    this.assertOpen('resolve');
    const answer = qtype === 'A' ? this.settings.sinkholeIpv4 : this.settings.sinkholeIpv6;
    const literal = isIPv4(name) ? name : null;
    if (literal) return literal; // a dotted address needs no query, as on a real resolver
    this.record('dns', 'resolver', resolver ?? { address: this.settings.sinkholeIpv4, port: 53 }, null, null, {
      kind: 'dns_query',
      qname: name,
      qtype: qtype === 'A' ? 1 : 28,
      qtypeName: qtype,
      via: 'resolver',
      answer,
    }, []);
    return answer;
  }

  /**
   * The end of a dwell: connections the dummy still holds open are ended by containment, so their
   * close events (what was said each way) are part of what the dwell observed.
   */
  endOpenConnections(): void {
    for (const connection of [...this.open]) connection.close('containment');
  }

  /** Ends every open connection (their close events are recorded) and the echo totals. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    for (const connection of [...this.open]) connection.close('containment');
    for (const [address, seen] of this.echoes) {
      if (seen.count > 1) {
        this.record('icmp', 'icmp', { address, port: 0 }, null, null, { kind: 'icmp_echo', count: seen.count, payloadBytes: seen.payloadBytes }, []);
      }
    }
    this.passive.clear();
    this.transfers.clear();
    this.isClosed = true;
  }

  /** The containment holds no OS resources of its own, so aborting is closing. */
  destroy(_error?: Error): void {
    this.close();
  }

  private record(
    protocol: EgressProtocol,
    transport: EgressEvent['transport'],
    destination: NetworkAddress,
    source: NetworkAddress | null,
    connectionId: number | null,
    facts: EgressFacts,
    anomalies: string[],
  ): void {
    this.counters.add(`containment.events.${facts.kind}`);
    if (this.recorded.length >= this.settings.limits.maxEvents) {
      this.counters.add('containment.events_dropped');
      return;
    }
    const event: EgressEvent = {
      sequence: ++this.sequence,
      time: this.clock(),
      dummyId: this.settings.dummyId,
      profileId: this.settings.profileId,
      protocol,
      transport,
      source: source ? { ...source } : null,
      destination: { ...destination },
      connectionId,
      facts,
      anomalies,
    };
    this.recorded.push(event);
    this.onEvent?.(event);
  }

  /** The captured server for the next connection to `destination`, as the owner of its sink. */
  private replayedPeer(destination: NetworkAddress): { owner: DataConnectionOwner; sessionId: number } | null {
    if (!this.peers) return null;
    const key = addressKey(destination);
    const uses = this.peerUses.get(key) ?? 0;
    const peer = this.peers(destination)[uses];
    if (!peer) return null;
    this.peerUses.set(key, uses + 1);
    this.counters.add('containment.replayed_peers');
    return { owner: { attach: (context) => new ReplayedPeerSink(context, peer, createSink) }, sessionId: peer.sessionId };
  }

  private datagramSink(port: number, bytes: Uint8Array): SinkName {
    const byPort = this.settings.ports[port];
    if (byPort === 'dns' || byPort === 'tftp') return byPort;
    if (port === 69 || looksLikeTftpRequest(bytes)) return 'tftp';
    return looksLikeDnsQuery(bytes) ? 'dns' : 'raw';
  }

  private startTftp(
    destination: NetworkAddress,
    bytes: Uint8Array,
    anomaly: (name: string) => void,
    record: (protocol: EgressProtocol, facts: EgressFacts) => void,
  ): DatagramReply[] {
    const port = this.allocateTransferPort();
    const from = { address: destination.address, port: port ?? destination.port };
    const transfer = new TftpTransfer(this.settings, port !== null);
    const reply = transfer.start(bytes, anomaly, record);
    if (!transfer.done && port !== null) this.transfers.set(addressKey(from), transfer);
    return reply ? [{ bytes: reply, from }] : [];
  }

  private openPassivePort(address: string, owner: DataConnectionOwner): NetworkAddress | null {
    const port = this.allocateTransferPort();
    if (port === null) return null;
    const data = { address, port };
    this.passive.set(addressKey(data), owner);
    return data;
  }

  /** null when too many transfers wait (counted): the caller answers with a protocol error */
  private allocateTransferPort(): number | null {
    if (this.passive.size + this.transfers.size >= this.settings.limits.maxPendingTransfers) {
      this.counters.add('containment.transfers_refused_cap');
      return null;
    }
    const port = this.nextTransferPort;
    this.nextTransferPort = port >= 60_999 ? TRANSFER_PORT_BASE : port + 1;
    return port;
  }

  private udpFlowId(destination: NetworkAddress, source: NetworkAddress | null): number {
    const key = `${source ? addressKey(source) : '-'}>${addressKey(destination)}`;
    let id = this.udpFlows.get(key);
    if (id === undefined) {
      id = this.nextConnectionId++;
      if (this.udpFlows.size < this.settings.limits.maxConnections) this.udpFlows.set(key, id);
      else this.counters.add('containment.udp_flows_untracked');
    }
    return id;
  }

  private assertOpen(operation: string): void {
    if (this.isClosed) {
      throw new CrashtestError('CT_ERR_INVALID_STATE', `containment of dummy ${this.settings.dummyId}: ${operation} after close`, { dummyId: this.settings.dummyId });
    }
  }
}

function createSink(name: SinkName, context: SinkContext): TcpSink {
  switch (name) {
    case 'dns':
      return new DnsTcpSink(context);
    case 'http':
      return new HttpSink(context);
    case 'ftp':
    case 'ftp-data':
      return new FtpSink(context);
    case 'ldap':
      return new LdapSink(context);
    case 'rmi':
      return new RmiSink(context);
    case 'tls':
      return new TlsSink(context);
    case 'tftp':
    case 'raw':
    case 'replayed-peer': // made only for a captured peer, never by name
      return new RawTcpSink(context);
  }
}
