import { formatTimestamp, type Session } from '../core/index.ts';

/** One session as the JSON line `crashtest sessions --json` prints. src is the client. */
export interface SessionJson {
  file: string;
  id: number;
  proto: 'tcp' | 'udp';
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  src_mac: string | null;
  dest_mac: string | null;
  vlan: number | null;
  inner_vlan: number | null;
  start: string;
  end: string;
  duration: number;
  frames_to_server: number;
  frames_to_client: number;
  bytes_to_server: number;
  bytes_to_client: number;
  payload_bytes_to_server: number;
  payload_bytes_to_client: number;
  missing_bytes_to_server: number;
  missing_bytes_to_client: number;
  midstream: boolean;
  truncated: boolean;
  end_reason: string;
  anomalies: string[];
  turns: number;
}

export function sessionToJson(session: Session, file: string): SessionJson {
  return {
    file,
    id: session.id,
    proto: session.proto,
    src_ip: session.client.ip,
    src_port: session.client.port,
    dest_ip: session.server.ip,
    dest_port: session.server.port,
    src_mac: formatMac(session.client.mac),
    dest_mac: formatMac(session.server.mac),
    vlan: session.vlan >= 0 ? session.vlan : null,
    inner_vlan: session.innerVlan >= 0 ? session.innerVlan : null,
    start: formatTimestamp({ seconds: session.startSeconds, nanoseconds: session.startNanoseconds }),
    end: formatTimestamp({ seconds: session.endSeconds, nanoseconds: session.endNanoseconds }),
    duration: durationSeconds(session),
    frames_to_server: session.toServer.frames,
    frames_to_client: session.toClient.frames,
    bytes_to_server: session.toServer.bytes,
    bytes_to_client: session.toClient.bytes,
    payload_bytes_to_server: session.toServer.payloadBytes,
    payload_bytes_to_client: session.toClient.payloadBytes,
    missing_bytes_to_server: session.toServer.missingBytes,
    missing_bytes_to_client: session.toClient.missingBytes,
    midstream: session.midstream,
    truncated: session.truncated,
    end_reason: session.endReason,
    anomalies: session.anomalies,
    turns: session.turns.length,
  };
}

/** Microsecond precision, like the timestamps. */
export function durationSeconds(session: Session): number {
  const micros =
    (session.endSeconds - session.startSeconds) * 1_000_000 +
    (Math.floor(session.endNanoseconds / 1000) - Math.floor(session.startNanoseconds / 1000));
  return micros / 1_000_000;
}

/** A 48-bit MAC held in a double as aa:bb:cc:dd:ee:ff; null when unknown (-1). */
export function formatMac(mac: number): string | null {
  if (mac < 0) return null;
  const hex = mac.toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}
