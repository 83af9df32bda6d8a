/**
 * What a dummy tried to do on the network, as the containment saw it. The stream of these is what
 * the verdict stage reads: "the dummy connects to 198.51.100.7:4444" is compromise evidence.
 */
import type { Timestamp } from '../core/index.ts';

/** The sink that answered, or the transport when no protocol sink applies. */
export type EgressProtocol = 'tcp' | 'udp' | 'icmp' | 'dns' | 'http' | 'ftp' | 'tftp' | 'ldap' | 'rmi' | 'tls';

export type SinkName = 'raw' | 'dns' | 'http' | 'ftp' | 'ftp-data' | 'tftp' | 'ldap' | 'rmi' | 'tls' | 'replayed-peer';

export interface NetworkAddress {
  address: string;
  port: number;
}

/** The decoded facts of one event, one shape per kind. */
export type EgressFacts =
  | {
      kind: 'tcp_connect';
      /** a captured server answers this connection: that session's id */
      replayedSession?: number;
    }
  | { kind: 'tcp_refused'; reason: 'connection_cap' }
  | {
      kind: 'tcp_closed';
      sink: SinkName;
      /** bytes the dummy sent, all of them, recorded or not */
      bytesFromDummy: number;
      bytesToDummy: number;
      /** the first bytes the dummy sent (at most 64), hex */
      firstBytesHex: string;
      /** SHA-256 of the recorded bytes the dummy sent */
      recordedSha256: string;
      /** true when the dummy sent more than the per-connection recording cap */
      truncated: boolean;
      closedBy: 'dummy' | 'sink' | 'containment';
      /** the captured session whose server side answered (sink `replayed-peer`) */
      replayedSession?: number;
      /** the recorded bytes of both directions, for the evidence pcap (bounded by the recording cap) */
      exchange?: { sent: Uint8Array; received: Uint8Array };
    }
  | {
      kind: 'udp_datagram';
      bytes: number;
      firstBytesHex: string;
      /** the datagram itself (at most the recording cap), for the evidence pcap */
      payload?: Uint8Array;
    }
  | { kind: 'icmp_echo'; count: number; payloadBytes: number }
  | {
      kind: 'dns_query';
      qname: string;
      qtype: number;
      qtypeName: string;
      /** how the question arrived: a DNS packet over UDP or TCP, or the dummy's resolver API */
      via: 'udp' | 'tcp' | 'resolver';
      /** the sinkhole address answered, null when the answer had no address */
      answer: string | null;
    }
  | {
      kind: 'http_request';
      method: string;
      host: string;
      url: string;
      userAgent: string;
      httpVersion: string;
      bodyBytes: number;
      bodySha256: string;
    }
  | { kind: 'ftp_command'; command: string; argument: string }
  | {
      kind: 'ftp_transfer';
      direction: 'download' | 'upload';
      fileName: string;
      dataMode: 'passive' | 'active';
      bytes: number;
      sha256: string;
    }
  | { kind: 'tftp_request'; opcode: 'RRQ' | 'WRQ'; fileName: string; mode: string }
  | { kind: 'tftp_transfer'; direction: 'download' | 'upload'; fileName: string; bytes: number; sha256: string; complete: boolean }
  | { kind: 'ldap_bind'; version: number; name: string; authentication: 'simple' | 'sasl' | 'other' }
  | { kind: 'ldap_search'; baseDn: string; scope: number; filterHex: string; answeredWith: 'empty' | 'reference' | 'replayed' }
  | { kind: 'rmi_handshake'; version: number; protocol: 'stream' | 'single_op' | 'multiplex' | 'unknown' }
  | { kind: 'rmi_call'; strings: string[] }
  | {
      /** a captured server answered the connection (at its end: what was played) */
      kind: 'replayed_peer';
      sessionId: number;
      /** the real host's side of the captured session */
      capturedClient: NetworkAddress;
      serverTurns: number;
      bytesToDummy: number;
      /** SHA-256 of the bytes played to the dummy */
      sha256: string;
      /** every server turn of the session was played */
      complete: boolean;
    }
  | {
      /** a captured HTTP answer handed to the dummy's request: what it downloaded */
      kind: 'replayed_http_response';
      sessionId: number;
      host: string;
      url: string;
      status: number;
      contentType: string;
      bodyBytes: number;
      bodySha256: string;
    }
  | { kind: 'tls_client_hello'; sni: string; recordVersion: number; clientVersion: number; cipherSuites: number; alpn: string[] };

export type EgressKind = EgressFacts['kind'];

export interface EgressEvent {
  /** 1-based position in this containment's stream */
  sequence: number;
  /** virtual or real time, from the containment's clock */
  time: Timestamp;
  dummyId: string;
  profileId: string;
  protocol: EgressProtocol;
  transport: 'tcp' | 'udp' | 'icmp' | 'resolver';
  /** the dummy's side when known (a real socket's peer, an emulated socket's bound port) */
  source: NetworkAddress | null;
  /** where the dummy sent it; port 0 for ICMP and resolver lookups without a server */
  destination: NetworkAddress;
  /** the containment-wide id of the TCP connection or UDP flow, null for ICMP and resolver lookups */
  connectionId: number | null;
  facts: EgressFacts;
  /** anomalies the sink met in the bytes behind this event (hostile input is data) */
  anomalies: string[];
}
