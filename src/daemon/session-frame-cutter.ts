/**
 * Cuts chosen sessions' original frames out of a stream of captured frames, for the evidence
 * folder's session.pcap. One cutter serves both paths: `analyze` reads its capture file a second
 * time through it, the live sensor reads its capture spool through it (capture-spool.ts). A frame
 * belongs to a session when its protocol and address/port pair match either way round and, when
 * the session's capture-time span is known, it falls inside that span (a later session that reused
 * the same ports is not this one). A datagram reassembled from IP fragments is decoded on its last
 * fragment, so that is the frame kept; the earlier fragments are not.
 */
import { defaultConfig, type DecodeConfig } from '../config/index.ts';
import { Counters, type Frame } from '../core/index.ts';
import { PacketDecoder } from '../decode/index.ts';

/** frames kept per session in its evidence pcap; the rest are counted (evidence.frames_cut_off) */
export const MAX_EVIDENCE_FRAMES = 10_000;
/** frame times and session spans are compared with this slack (sender start times are whole seconds) */
const SPAN_SLACK_SECONDS = 1e-6;

export interface WantedSession {
  /** the caller's name for it; frames are returned under it */
  key: string;
  proto: 'tcp' | 'udp';
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  /** capture time of its first frame, seconds since 1970 (fractional); absent: no lower bound */
  fromSeconds?: number;
  /** capture time of its last frame; absent: no upper bound */
  toSeconds?: number;
}

export class SessionFrameCutter {
  private readonly byTuple = new Map<string, WantedSession[]>();
  private readonly cut = new Map<string, Frame[]>();
  private readonly decoder: PacketDecoder;
  private readonly counters: Counters;

  constructor(wanted: Iterable<WantedSession>, options: { decode?: DecodeConfig; counters?: Counters } = {}) {
    this.counters = options.counters ?? new Counters();
    // a decoder of its own (and its own counters): its fragment reassembly must see this read's frames only
    this.decoder = new PacketDecoder(options.decode ?? defaultConfig().decode, new Counters());
    const keys = new Set<string>();
    for (const session of wanted) {
      // one session wanted for several verdicts (one per profile) is cut once
      if (keys.has(session.key)) continue;
      keys.add(session.key);
      const key = tupleKey(session.proto, session.client.ip, session.client.port, session.server.ip, session.server.port);
      const list = this.byTuple.get(key);
      if (list) list.push(session);
      else this.byTuple.set(key, [session]);
    }
  }

  /** Offers one frame (its bytes may be reused after the call: a kept frame is copied). */
  offer(frame: Frame): void {
    const packet = this.decoder.decode(frame);
    const ip = packet?.ip;
    if (!packet || !ip) return;
    const proto = packet.tcp ? 'tcp' : packet.udp ? 'udp' : null;
    const ports = packet.tcp ?? packet.udp;
    if (proto === null || !ports) return;
    const sessions =
      this.byTuple.get(tupleKey(proto, ip.src, ports.srcPort, ip.dst, ports.dstPort)) ?? this.byTuple.get(tupleKey(proto, ip.dst, ports.dstPort, ip.src, ports.srcPort));
    if (sessions === undefined) return;
    const seconds = frame.seconds + frame.nanoseconds / 1e9;
    for (const session of sessions) {
      if (session.fromSeconds !== undefined && seconds < session.fromSeconds - SPAN_SLACK_SECONDS) continue;
      if (session.toSeconds !== undefined && seconds > session.toSeconds + SPAN_SLACK_SECONDS) continue;
      let list = this.cut.get(session.key);
      if (!list) this.cut.set(session.key, (list = []));
      if (list.length >= MAX_EVIDENCE_FRAMES) {
        this.counters.add('evidence.frames_cut_off');
        continue;
      }
      list.push({ ...frame, data: Buffer.from(frame.data) });
    }
  }

  /** The frames cut for a session, in the order offered; empty when none matched. */
  framesOf(key: string): Frame[] {
    return this.cut.get(key) ?? [];
  }
}

function tupleKey(proto: string, sourceIp: string, sourcePort: number, destinationIp: string, destinationPort: number): string {
  return `${proto}|${sourceIp}|${sourcePort}|${destinationIp}|${destinationPort}`;
}
