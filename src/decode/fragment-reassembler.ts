import type { Counters, Packet } from '../core/index.ts';
import type { DecodeConfig } from '../config/index.ts';
import type { DecoderAnomaly } from './anomalies.ts';

/** IPv4 and IPv6 (non-jumbo) datagrams cannot be longer than this, headers aside. */
const MAX_DATAGRAM_PAYLOAD = 65_535;
/**
 * Bookkeeping charged to the memcap for each held fragment besides its bytes, so a flood of empty
 * fragments (each a new datagram) still runs into the cap instead of growing the table forever.
 */
export const FRAGMENT_OVERHEAD_BYTES = 64;

interface Fragment {
  offset: number;
  end: number;
  /** a copy: frame buffers are reused by the reader */
  data: Buffer;
}

class PendingDatagram {
  readonly fragments: Fragment[] = [];
  /** payload length, known once the last fragment (MF clear) arrived; -1 before */
  totalLength = -1;
  bytesHeld = 0;
  /** protocol / next header announced by the fragment at offset 0; -1 until it arrives */
  nextHeader = -1;

  constructor(
    readonly key: string,
    readonly deadlineSeconds: number,
  ) {}
}

/** Where an anomaly found while reassembling goes: the packet being decoded. */
export interface FragmentAnomalySink {
  anomaly(packet: Packet, name: DecoderAnomaly): void;
}

export interface FragmentReassemblerStats {
  pendingDatagrams: number;
  bytesHeld: number;
  reassembled: number;
}

/**
 * IPv4 and IPv6 fragment reassembly, bounded by the decode config.
 *
 * - Overlaps: first wins. Bytes already received are kept; a later fragment that overlaps them
 *   with different bytes records `frag_overlap_mismatch` (agreeing overlaps, e.g. retransmits, are
 *   silent). The same rule applies to the datagram length: the first last-fragment sets it.
 * - Timeout: a datagram not complete `fragmentTimeoutMs` after its first fragment is dropped
 *   (`decoder.frag_timeout_datagrams`); a fragment that arrives for a timed-out datagram carries
 *   `frag_timeout` and starts a new one.
 * - Memcap: held bytes (payload plus FRAGMENT_OVERHEAD_BYTES per fragment) never pass
 *   `fragmentMemcapBytes`: the oldest pending datagrams are dropped first; a fragment that cannot
 *   fit even then is dropped with its datagram. The fragment that forced it carries
 *   `frag_memcap_drop`; `decoder.frag_memcap_drop_datagrams` counts the datagrams lost.
 * - More than `maxFragmentsPerDatagram` fragments drops the datagram (`frag_too_many`).
 */
export class FragmentReassembler {
  /** insertion order is creation order, which with a fixed timeout is also deadline order */
  private readonly pending = new Map<string, PendingDatagram>();
  private readonly timeoutSeconds: number;
  private heldBytes = 0;
  private reassembledCount = 0;
  /** the next header of the datagram `add` last completed (IPv6 needs it after the fragment header) */
  completedNextHeader = -1;

  constructor(
    private readonly config: DecodeConfig,
    private readonly counters: Counters,
  ) {
    this.timeoutSeconds = config.fragmentTimeoutMs / 1000;
  }

  get stats(): FragmentReassemblerStats {
    return { pendingDatagrams: this.pending.size, bytesHeld: this.heldBytes, reassembled: this.reassembledCount };
  }

  /**
   * Adds one fragment's payload (`payload` is a view; it is copied). Returns the whole datagram
   * payload when this fragment completed it, else null (waiting, or dropped with an anomaly).
   */
  add(
    sink: FragmentAnomalySink,
    packet: Packet,
    key: string,
    nowSeconds: number,
    offset: number,
    payload: Buffer,
    moreFragments: boolean,
    nextHeader: number,
  ): Buffer | null {
    let datagram = this.pending.get(key);
    if (datagram !== undefined && nowSeconds > datagram.deadlineSeconds) {
      this.drop(datagram, 'frag_timeout');
      sink.anomaly(packet, 'frag_timeout');
      datagram = undefined;
    }
    const end = offset + payload.length;
    if (end > MAX_DATAGRAM_PAYLOAD) {
      sink.anomaly(packet, 'frag_too_large');
      return null;
    }
    if (datagram === undefined) {
      datagram = new PendingDatagram(key, nowSeconds + this.timeoutSeconds);
      this.pending.set(key, datagram);
    }
    if (datagram.fragments.length >= this.config.maxFragmentsPerDatagram) {
      this.drop(datagram, null);
      sink.anomaly(packet, 'frag_too_many');
      return null;
    }
    const charge = payload.length + FRAGMENT_OVERHEAD_BYTES;
    if (!this.makeRoom(sink, packet, datagram, charge)) return null;

    if (!moreFragments) {
      if (datagram.totalLength < 0) datagram.totalLength = end;
      else if (datagram.totalLength !== end) sink.anomaly(packet, 'frag_length_mismatch');
    }
    if (datagram.totalLength >= 0 && end > datagram.totalLength) sink.anomaly(packet, 'frag_length_mismatch');
    if (offset === 0 && datagram.nextHeader < 0) datagram.nextHeader = nextHeader;
    if (overlapsDiffer(datagram.fragments, offset, end, payload)) sink.anomaly(packet, 'frag_overlap_mismatch');

    datagram.fragments.push({ offset, end, data: Buffer.from(payload) });
    datagram.bytesHeld += charge;
    this.heldBytes += charge;
    this.counters.max('decoder.frag_bytes_held_peak', this.heldBytes);

    if (datagram.totalLength < 0 || datagram.nextHeader < 0 || !isCovered(datagram.fragments, datagram.totalLength)) return null;
    this.drop(datagram, null);
    this.reassembledCount++;
    this.counters.add('decoder.frag_reassembled');
    this.completedNextHeader = datagram.nextHeader;
    return assemble(datagram);
  }

  /** Drops every datagram whose timeout has passed at `nowSeconds`. */
  expire(nowSeconds: number): void {
    for (const datagram of this.pending.values()) {
      if (datagram.deadlineSeconds >= nowSeconds) break;
      this.drop(datagram, 'frag_timeout');
    }
  }

  private makeRoom(sink: FragmentAnomalySink, packet: Packet, current: PendingDatagram, bytes: number): boolean {
    const memcap = this.config.fragmentMemcapBytes;
    if (this.heldBytes + bytes <= memcap) return true;
    for (const datagram of this.pending.values()) {
      if (this.heldBytes + bytes <= memcap) break;
      if (datagram === current) continue;
      this.drop(datagram, 'frag_memcap_drop');
    }
    if (this.heldBytes + bytes <= memcap) {
      sink.anomaly(packet, 'frag_memcap_drop');
      return true;
    }
    // even alone this fragment does not fit: give up on its datagram
    this.drop(current, null);
    sink.anomaly(packet, 'frag_memcap_drop');
    return false;
  }

  /** `counted` names the counter for a drop no packet will carry as an anomaly */
  private drop(datagram: PendingDatagram, counted: DecoderAnomaly | null): void {
    if (this.pending.get(datagram.key) === datagram) this.pending.delete(datagram.key);
    this.heldBytes -= datagram.bytesHeld;
    datagram.bytesHeld = 0;
    if (counted !== null) this.counters.add(`decoder.${counted}_datagrams`);
  }
}

function overlapsDiffer(fragments: Fragment[], offset: number, end: number, payload: Buffer): boolean {
  for (const fragment of fragments) {
    const low = Math.max(offset, fragment.offset);
    const high = Math.min(end, fragment.end);
    if (low >= high) continue;
    const mine = payload.subarray(low - offset, high - offset);
    const theirs = fragment.data.subarray(low - fragment.offset, high - fragment.offset);
    if (!mine.equals(theirs)) return true;
  }
  return false;
}

function isCovered(fragments: Fragment[], totalLength: number): boolean {
  const sorted = fragments.slice().sort((a, b) => a.offset - b.offset);
  let covered = 0;
  for (const fragment of sorted) {
    if (fragment.offset > covered) return false;
    if (fragment.end > covered) covered = fragment.end;
    if (covered >= totalLength) return true;
  }
  return covered >= totalLength;
}

/** Later fragments are written first so the first copy of every byte ends up on top. */
function assemble(datagram: PendingDatagram): Buffer {
  const total = datagram.totalLength;
  const out = Buffer.allocUnsafe(total);
  for (let index = datagram.fragments.length - 1; index >= 0; index--) {
    const fragment = datagram.fragments[index]!;
    if (fragment.offset >= total) continue;
    fragment.data.copy(out, fragment.offset, 0, Math.min(fragment.data.length, total - fragment.offset));
  }
  return out;
}
