import { IpProtocol, TcpFlag } from '../core/index.ts';
import type { Counters, Packet, Session, SessionEndReason, TcpHeader, Turn } from '../core/index.ts';
import type { FlowConfig } from '../config/index.ts';
import { ChunkPool } from './chunk-pool.ts';
import { sourceLooksLikeClient, udpSourceLooksLikeClient } from './client-guess.ts';
import { DatagramStream } from './datagram-stream.ts';
import { FlowAnomalies, FlowLists, FlowPayload, FlowState, FlowStore, NONE, TURN_FIELDS } from './flow.ts';
import { defaultReassemblerOptions, TcpReassembler } from './tcp/reassembler.ts';
import type { TcpReassemblerOptions } from './tcp/reassembler.ts';
import { sequenceAdd } from './tcp/sequence.ts';

/**
 * What one idle flow costs, charged against `memcapBytes` on top of buffered payload. Measured
 * (test/flow/flow-bench.ts footprint, Node 20 x64): ≈ 105 heap bytes (key string, map entry) plus
 * ≈ 110 bytes of store columns per SYN-only flow; charged with room for the columns' growth slack.
 */
export const FLOW_BASE_BYTES = 320;

/** Extra options for tests and tuning; the config covers everything an operator sets. */
export interface FlowTableOptions {
  /** bounds on each direction's out-of-order queue (the overlap policy comes from the config) */
  maxQueuedBytes?: number;
  maxQueuedSegments?: number;
  /**
   * Who owns an emitted session's turn bytes. 'owned' (the default): each session gets a buffer of
   * its own that the consumer may keep. 'callback': the turns are views of one buffer the table
   * reuses, valid only until `onSession` returns; a consumer that keeps a session copies what it
   * keeps. On machines where touching fresh memory is slow (virtual machines fault each new page
   * in), 'callback' spares a copy of every payload byte into new pages.
   */
  turnLifetime?: 'owned' | 'callback';
}

// module-local copies: imported bindings cost an accessor call per use on the hot path under tsx
const { TCP, UDP } = IpProtocol;
const { SYN, ACK, FIN, RST } = TcpFlag;
const SYN_ACK = SYN | ACK;
const { CLIENT_FIN, SERVER_FIN, RST: RST_SEEN, ESTABLISHED, MIDSTREAM, TRUNCATED, CLIENT_SEQUENCE_KNOWN, SERVER_SEQUENCE_KNOWN, CLIENT_IS_LOW } =
  FlowState;
const UDP_FLOW = FlowState.UDP;

/** the four idle-timeout lists */
const EMBRYONIC = 0;
const ESTABLISHED_LIST = 1;
const CLOSING = 2;
const UDP_LIST = 3;
const LIST_PROTOCOL = ['tcp', 'tcp', 'tcp', 'udp'];

/**
 * The flow table: packets in, sessions out.
 *
 * Flows are keyed direction-independently by (protocol, VLAN, inner VLAN, both address/port pairs in
 * sorted order); the key maps to a slot of the column store (flow.ts), which is what keeps a
 * million-flow SYN flood small. Each live flow sits on exactly one of four lists — TCP embryonic, TCP established,
 * TCP closed, UDP — each with one idle timeout and kept in last-activity order, so expiry pops list
 * heads (O(expired)) and the `oldest_idle_first` eviction compares four heads (O(1)).
 * Time is capture time: the table's clock is the latest packet timestamp seen, and expiry runs
 * whenever that clock has advanced by a second.
 *
 * Bounded resources and what fires when they are hit:
 * - `maxFlows`: the oldest idle flow is ended with `evicted` (`flow.max_flows_evictions`);
 * - `memcapBytes` (flow state + stored and queued payload): oldest idle flows are evicted until under
 *   the cap (`flow.memcap_evictions`); the flow being updated is never the victim;
 * - `reassemblyDepthBytes` per session (both directions): bytes past it are counted but not stored,
 *   the session is `truncated` (`flow.truncated`).
 *
 * TCP close: FIN both ways or an RST moves a flow to the closed list, where it ends after
 * `tcpClosedTimeoutMs` without packets. Packets after an RST are still reassembled (a forged RST must
 * not blind us: Ptacek & Newsham's TCB teardown); a new SYN (another initial sequence number) on a
 * closed flow starts a new session (`flow.port_reuse`).
 *
 * Client/server: the SYN sender is the client; with only a SYN-ACK seen, its receiver; otherwise
 * (mid-stream pick-up, `midstream` set) the port heuristic in client-guess.ts. UDP: the first sender,
 * unless only its port is a service port.
 *
 * Counters: `flow.packets.{tcp,udp,other_ip,non_ip}`, `flow.active`, `flow.active_peak`,
 * `flow.memory_bytes` (published at each expiry tick and at flush), `flow.timeouts.{tcp,udp}`,
 * `flow.ended.<reason>`, `flow.max_flows_evictions`, `flow.memcap_evictions`, `flow.port_reuse`,
 * `flow.truncated`, `flow.reassembly_gap`, `flow.reassembly_overlap_mismatch`.
 *
 * Turns: a turn is a run of bytes one direction made available in order before the other direction
 * made any available; its time is that of the packet that made its first bytes available. For UDP
 * every datagram is its own turn, so replay keeps datagram boundaries. Either way the concatenation
 * of a direction's turns is exactly that direction's stored stream.
 *
 * Payload memory: streams store into chunks from one pool per table. When a session ends its bytes
 * are copied out into one buffer that the session owns (its turns are views of it; consumers may
 * keep them), and the chunks go back to the pool for the next sessions. Flows are charged for the
 * chunks they hold; the pool carves new memory only when no idle chunk fits, so what it holds stays
 * near the peak of what flows were charged (it is dropped at `flush`). Not charged: the collector's
 * young generation and slack, and session buffers the consumer has not released yet. Measured on the
 * 1 GiB ingest benchmark, which runs at the cap: peak RSS ≈ memcap + 270 MiB, 120 MiB of it node
 * and tsx before the first packet.
 */
export class FlowTable {
  private readonly flows = new Map<string, number>();
  private readonly store: FlowStore;
  private readonly lists: FlowLists;
  private readonly reassemblerOptions: TcpReassemblerOptions;
  /** set when sessions' turns are lent for the callback only (turnLifetime 'callback') */
  private readonly turnBuffer: LentBuffer | null;
  private readonly anomalies: FlowAnomalies;
  /** replaced at flush, which lets the collector have the old one's slabs */
  private pool = new ChunkPool();
  /** latest capture time seen, seconds */
  private clock = -Infinity;
  private nextExpiry = -Infinity;
  private nextId = 1;
  private memoryUsed = 0;
  private peakFlows = 0;
  private tcpPackets = 0;
  private udpPackets = 0;
  private otherPackets = 0;
  /** packets whose time was more than timeBackwardsToleranceSeconds behind the latest one */
  private timeWentBackwards = 0;
  /** reordering between interfaces or capture threads is normal; beyond this it is a clock problem */
  private readonly timeBackwardsToleranceSeconds = 60;
  private nonIpPackets = 0;
  /**
   * The last packet's flow: a bulk transfer's segments and ACKs follow each other, and comparing a
   * few fields is cheaper than building the key and hashing it. Endpoints in key order.
   */
  private cachedSlot = NONE;
  private cachedProtocol = -1;
  private cachedVlan = -1;
  private cachedInnerVlan = -1;
  private cachedLowIp = '';
  private cachedLowPort = -1;
  private cachedHighIp = '';
  private cachedHighPort = -1;

  constructor(
    private readonly config: FlowConfig,
    private readonly counters: Counters,
    private readonly onSession: (session: Session) => void,
    options: FlowTableOptions = {},
  ) {
    this.store = new FlowStore(config.maxFlows);
    const timeouts = [config.tcpEmbryonicTimeoutMs, config.tcpIdleTimeoutMs, config.tcpClosedTimeoutMs, config.udpIdleTimeoutMs];
    this.lists = new FlowLists(this.store, timeouts.map((milliseconds) => milliseconds / 1000));
    this.anomalies = new FlowAnomalies(counters);
    this.turnBuffer = options.turnLifetime === 'callback' ? new LentBuffer() : null;
    this.reassemblerOptions = {
      overlapPolicy: config.overlapPolicy,
      maxQueuedBytes: options.maxQueuedBytes ?? Math.min(defaultReassemblerOptions.maxQueuedBytes, config.reassemblyDepthBytes),
      maxQueuedSegments: options.maxQueuedSegments ?? defaultReassemblerOptions.maxQueuedSegments,
    };
  }

  /** live flows */
  get size(): number {
    return this.flows.size;
  }

  /** bytes currently charged against `memcapBytes` */
  get memoryBytes(): number {
    return this.memoryUsed;
  }

  add(packet: Packet): void {
    const ip = packet.ip;
    if (ip === null) {
      this.nonIpPackets++;
      return;
    }
    const tcp = packet.tcp;
    const udp = packet.udp;
    let protocol: number;
    let sourcePort: number;
    let destinationPort: number;
    if (tcp !== null) {
      protocol = TCP;
      sourcePort = tcp.srcPort;
      destinationPort = tcp.dstPort;
      this.tcpPackets++;
    } else if (udp !== null) {
      protocol = UDP;
      sourcePort = udp.srcPort;
      destinationPort = udp.dstPort;
      this.udpPackets++;
    } else {
      this.otherPackets++;
      return;
    }
    const frame = packet.frame;
    const now = frame.seconds + frame.nanoseconds * 1e-9;
    if (now > this.clock) {
      this.clock = now;
      if (now >= this.nextExpiry) this.expire(now);
    } else if (now < this.clock - this.timeBackwardsToleranceSeconds) {
      // Timeouts run on the latest time seen, so while capture time runs backwards (merged files,
      // a clock reset, pcap's 32-bit seconds wrapping) nothing times out and only the memcap bounds
      // the table: count it so an operator sees why.
      this.timeWentBackwards++;
    }

    const source = ip.src;
    const destination = ip.dst;
    const store = this.store;
    let slot: number | undefined;
    let sourceIsLow: boolean;
    if (
      this.cachedSlot !== NONE &&
      protocol === this.cachedProtocol &&
      packet.vlan === this.cachedVlan &&
      packet.innerVlan === this.cachedInnerVlan &&
      sourcePort === this.cachedLowPort &&
      destinationPort === this.cachedHighPort &&
      source === this.cachedLowIp &&
      destination === this.cachedHighIp
    ) {
      slot = this.cachedSlot;
      sourceIsLow = true;
    } else if (
      this.cachedSlot !== NONE &&
      protocol === this.cachedProtocol &&
      packet.vlan === this.cachedVlan &&
      packet.innerVlan === this.cachedInnerVlan &&
      sourcePort === this.cachedHighPort &&
      destinationPort === this.cachedLowPort &&
      source === this.cachedHighIp &&
      destination === this.cachedLowIp
    ) {
      slot = this.cachedSlot;
      sourceIsLow = false;
    } else {
      sourceIsLow = source < destination || (source === destination && sourcePort <= destinationPort);
      slot = this.lookup(packet, protocol, sourceIsLow, source, sourcePort, destination, destinationPort);
    }
    if (tcp !== null && (tcp.flags & SYN_ACK) === SYN && store.closed(slot) && this.startsNewConnection(slot, tcp, sourceIsLow)) {
      this.counters.add('flow.port_reuse');
      const key = store.keys[slot];
      this.end(slot, closedReason(store.state[slot]));
      slot = this.create(packet, key, sourceIsLow, sourcePort, destinationPort);
      this.cachedSlot = slot;
    }

    const fromClient = sourceIsLow === ((store.state[slot] & CLIENT_IS_LOW) !== 0);
    this.account(slot, packet, fromClient);
    if (tcp !== null) this.updateTcp(slot, packet, tcp, fromClient);
    else if (packet.payload.length > 0) this.updateUdp(slot, packet, fromClient);

    store.lastSeen[slot] = this.clock;
    const state = store.state[slot];
    const list = tcp === null ? UDP_LIST : store.closed(slot) ? CLOSING : (state & ESTABLISHED) !== 0 ? ESTABLISHED_LIST : EMBRYONIC;
    if (store.list[slot] !== list || this.lists.tail[list] !== slot) {
      this.lists.remove(slot);
      this.lists.push(list, slot);
    }
    if (this.memoryUsed > this.config.memcapBytes) this.enforceMemcap(slot);
  }

  /**
   * A SYN on a closed flow is a new connection unless it repeats the client's initial sequence
   * number (a retransmitted SYN, or a crafted SYN|FIN on the same connection) — tshark's rule too.
   */
  private startsNewConnection(slot: number, tcp: TcpHeader, sourceIsLow: boolean): boolean {
    const state = this.store.state[slot];
    const fromClient = sourceIsLow === ((state & CLIENT_IS_LOW) !== 0);
    if (!fromClient || (state & CLIENT_SEQUENCE_KNOWN) === 0) return true;
    return ((tcp.seq + 1) >>> 0) !== this.store.clientSequence[slot];
  }

  /** The flow for this packet, created when new; remembered as the cached flow. */
  private lookup(
    packet: Packet,
    protocol: number,
    sourceIsLow: boolean,
    source: string,
    sourcePort: number,
    destination: string,
    destinationPort: number,
  ): number {
    const key = sourceIsLow
      ? flowKey(protocol, packet.vlan, packet.innerVlan, source, sourcePort, destination, destinationPort)
      : flowKey(protocol, packet.vlan, packet.innerVlan, destination, destinationPort, source, sourcePort);
    let slot = this.flows.get(key);
    if (slot === undefined) slot = this.create(packet, key, sourceIsLow, sourcePort, destinationPort);
    this.cachedSlot = slot;
    this.cachedProtocol = protocol;
    this.cachedVlan = packet.vlan;
    this.cachedInnerVlan = packet.innerVlan;
    this.cachedLowIp = sourceIsLow ? source : destination;
    this.cachedLowPort = sourceIsLow ? sourcePort : destinationPort;
    this.cachedHighIp = sourceIsLow ? destination : source;
    this.cachedHighPort = sourceIsLow ? destinationPort : sourcePort;
    return slot;
  }

  /** Ends every flow idle longer than its timeout at capture time `nowSeconds`. */
  expire(nowSeconds: number): void {
    if (nowSeconds > this.clock) this.clock = nowSeconds;
    this.nextExpiry = nowSeconds + 1;
    for (const list of [EMBRYONIC, ESTABLISHED_LIST, UDP_LIST, CLOSING]) this.expireList(list, nowSeconds);
    this.publishCounters();
  }

  /** Ends every live flow (closed ones keep 'fin'/'rst'), in the order they started. */
  flush(reason: SessionEndReason): void {
    const store = this.store;
    const slots = [...this.flows.values()].sort((a, b) => store.id[a] - store.id[b]);
    for (const slot of slots) this.end(slot, store.closed(slot) ? closedReason(store.state[slot]) : reason);
    this.pool = new ChunkPool();
    this.publishCounters();
  }

  private create(packet: Packet, key: string, sourceIsLow: boolean, sourcePort: number, destinationPort: number): number {
    if (this.flows.size >= this.config.maxFlows) {
      const victim = this.oldestIdle(NONE);
      if (victim !== NONE) {
        this.counters.add('flow.max_flows_evictions');
        this.end(victim, 'evicted');
      }
    }
    const tcp = packet.tcp;
    let sourceIsClient: boolean;
    let state = 0;
    if (tcp !== null) {
      const handshake = tcp.flags & SYN_ACK;
      if (handshake === SYN) sourceIsClient = true;
      else if (handshake === SYN_ACK) sourceIsClient = false;
      else {
        sourceIsClient = sourceLooksLikeClient(sourcePort, destinationPort);
        state |= MIDSTREAM;
      }
    } else {
      sourceIsClient = udpSourceLooksLikeClient(sourcePort, destinationPort);
      state |= UDP_FLOW;
    }
    if (sourceIsClient === sourceIsLow) state |= CLIENT_IS_LOW;
    const frame = packet.frame;
    const slot = this.store.allocate(key, this.nextId++, state, frame.seconds, frame.nanoseconds, FLOW_BASE_BYTES);
    this.memoryUsed += FLOW_BASE_BYTES;
    this.flows.set(key, slot);
    if (this.flows.size > this.peakFlows) this.peakFlows = this.flows.size;
    return slot;
  }

  /** Frame counts, endpoint facts and the session's end time. */
  private account(slot: number, packet: Packet, fromClient: boolean): void {
    const store = this.store;
    const frame = packet.frame;
    if (fromClient) {
      store.toServerFrames[slot]++;
      store.toServerBytes[slot] += frame.originalLength;
      if (store.clientTtl[slot] < 0) {
        store.clientTtl[slot] = packet.ip!.ttl;
        store.clientMac[slot] = packet.srcMac;
      }
    } else {
      store.toClientFrames[slot]++;
      store.toClientBytes[slot] += frame.originalLength;
      if (store.serverTtl[slot] < 0) {
        store.serverTtl[slot] = packet.ip!.ttl;
        store.serverMac[slot] = packet.srcMac;
      }
    }
    const endSeconds = store.endSeconds[slot];
    if (frame.seconds > endSeconds || (frame.seconds === endSeconds && frame.nanoseconds > store.endNanoseconds[slot])) {
      store.endSeconds[slot] = frame.seconds;
      store.endNanoseconds[slot] = frame.nanoseconds;
    }
  }

  private updateTcp(slot: number, packet: Packet, tcp: TcpHeader, fromClient: boolean): void {
    const store = this.store;
    const flags = tcp.flags;
    let state = store.state[slot];
    if ((flags & SYN) !== 0) {
      if ((flags & ACK) !== 0) state |= ESTABLISHED;
      if (fromClient) {
        store.clientSequence[slot] = tcp.seq + 1;
        state |= CLIENT_SEQUENCE_KNOWN;
      } else if ((flags & ACK) !== 0) {
        store.serverSequence[slot] = tcp.seq + 1;
        state |= SERVER_SEQUENCE_KNOWN;
        if ((state & CLIENT_SEQUENCE_KNOWN) === 0) {
          store.clientSequence[slot] = tcp.ack;
          state |= CLIENT_SEQUENCE_KNOWN;
        }
      }
    }
    if ((flags & RST) !== 0) state |= RST_SEEN;
    if ((flags & FIN) !== 0) state |= fromClient ? CLIENT_FIN : SERVER_FIN;
    const payloadBytes = packet.payload;
    if (payloadBytes.length > 0) state |= ESTABLISHED;
    store.state[slot] = state;
    if (payloadBytes.length === 0) return;

    // a SYN's own payload (TCP Fast Open, odd stacks) starts one after its sequence number
    const sequence = (flags & SYN) !== 0 ? sequenceAdd(tcp.seq, 1) : tcp.seq;
    const payload = (store.payload[slot] ??= new FlowPayload());
    let stream = (fromClient ? payload.toServer : payload.toClient) as TcpReassembler | null;
    if (stream === null) {
      const knownBit = fromClient ? CLIENT_SEQUENCE_KNOWN : SERVER_SEQUENCE_KNOWN;
      const initial = (state & knownBit) !== 0 ? (fromClient ? store.clientSequence[slot] : store.serverSequence[slot]) : sequence;
      stream = new TcpReassembler(initial, this.reassemblerOptions, this.anomalies, this.pool);
      if (fromClient) payload.toServer = stream;
      else payload.toClient = stream;
    }
    const before = this.beginDelivery(payload, stream);
    this.anomalies.payload = payload;
    stream.insert(sequence, payloadBytes);
    this.endDelivery(slot, payload, stream, fromClient ? 0 : 1, packet, before);
  }

  private updateUdp(slot: number, packet: Packet, fromClient: boolean): void {
    const payload = (this.store.payload[slot] ??= new FlowPayload());
    let stream = (fromClient ? payload.toServer : payload.toClient) as DatagramStream | null;
    if (stream === null) {
      stream = new DatagramStream(this.pool);
      if (fromClient) payload.toServer = stream;
      else payload.toClient = stream;
    }
    const before = this.beginDelivery(payload, stream);
    stream.insert(packet.payload);
    // one turn per datagram: a merged run would lose the datagram boundaries replay needs
    payload.lastTurnDirection = -1;
    this.endDelivery(slot, payload, stream, fromClient ? 0 : 1, packet, before);
  }

  /** Gives the stream its share of the session's depth budget; returns its stored length. */
  private beginDelivery(payload: FlowPayload, stream: TcpReassembler | DatagramStream): number {
    const before = stream.stream.length;
    stream.storeLimit = before + (this.config.reassemblyDepthBytes - storedBytes(payload));
    return before;
  }

  /** Records a new turn when this direction's stored bytes grew after the other's, truncation and memory. */
  private endDelivery(
    slot: number,
    payload: FlowPayload,
    stream: TcpReassembler | DatagramStream,
    direction: number,
    packet: Packet,
    before: number,
  ): void {
    if (stream.stream.length > before && payload.lastTurnDirection !== direction) {
      pushTurn(payload, direction, packet.frame.seconds, packet.frame.nanoseconds, before);
    }
    const store = this.store;
    if (stream.truncated && (store.state[slot] & TRUNCATED) === 0) {
      store.state[slot] |= TRUNCATED;
      this.counters.add('flow.truncated');
    }
    this.recharge(slot, payload);
  }

  /** Re-estimates what the flow holds and updates the table total. */
  private recharge(slot: number, payload: FlowPayload): void {
    let memory = FLOW_BASE_BYTES + PAYLOAD_OVERHEAD_BYTES + payload.turns.length * 8;
    if (payload.toServer !== null) memory += payload.toServer.memoryBytes;
    if (payload.toClient !== null) memory += payload.toClient.memoryBytes;
    this.memoryUsed += memory - this.store.memory[slot];
    this.store.memory[slot] = memory;
  }

  private enforceMemcap(current: number): void {
    while (this.memoryUsed > this.config.memcapBytes) {
      const victim = this.oldestIdle(current);
      if (victim === NONE) return;
      this.counters.add('flow.memcap_evictions');
      this.end(victim, 'evicted');
    }
  }

  /** oldest_idle_first: the least recently active flow over all lists, never `protect`. */
  private oldestIdle(protect: number): number {
    const store = this.store;
    let oldest = NONE;
    for (let list = 0; list < 4; list++) {
      let candidate = this.lists.head[list];
      if (candidate === protect && candidate !== NONE) candidate = store.next[candidate];
      if (candidate !== NONE && (oldest === NONE || store.lastSeen[candidate] < store.lastSeen[oldest])) oldest = candidate;
    }
    return oldest;
  }

  private expireList(list: number, now: number): void {
    const store = this.store;
    const deadline = now - this.lists.timeouts[list];
    let slot = this.lists.head[list];
    while (slot !== NONE && store.lastSeen[slot] < deadline) {
      const next = store.next[slot];
      if (list === CLOSING) this.end(slot, closedReason(store.state[slot]));
      else {
        this.counters.add(`flow.timeouts.${LIST_PROTOCOL[list]}`);
        this.end(slot, 'timeout');
      }
      slot = next;
    }
  }

  private end(slot: number, reason: SessionEndReason): void {
    const store = this.store;
    if (slot === this.cachedSlot) this.cachedSlot = NONE;
    this.lists.remove(slot);
    this.flows.delete(store.keys[slot]);
    const payload = store.payload[slot];
    if (payload !== null) {
      if (payload.toServer !== null) this.finishStream(slot, payload, payload.toServer, 0);
      if (payload.toClient !== null) this.finishStream(slot, payload, payload.toClient, 1);
    }
    this.memoryUsed -= store.memory[slot];
    this.counters.add(`flow.ended.${reason}`);
    const session = toSession(store, slot, payload, reason, this.turnBuffer);
    if (payload !== null) {
      payload.toServer?.stream.release();
      payload.toClient?.stream.release();
    }
    store.release(slot);
    this.onSession(session);
  }

  /** Skips the holes still open; what that delivers joins the turns at the session's end time. */
  private finishStream(slot: number, payload: FlowPayload, stream: TcpReassembler | DatagramStream, direction: number): void {
    const before = stream.stream.length;
    this.anomalies.payload = payload;
    stream.finish();
    if (stream.stream.length > before && payload.lastTurnDirection !== direction) {
      pushTurn(payload, direction, this.store.endSeconds[slot], this.store.endNanoseconds[slot], before);
    }
  }

  private publishCounters(): void {
    const counters = this.counters;
    counters.set('flow.active', this.flows.size);
    counters.set('flow.time_went_backwards', this.timeWentBackwards);
    counters.max('flow.active_peak', this.peakFlows);
    counters.set('flow.memory_bytes', this.memoryUsed);
    counters.set('flow.packets.tcp', this.tcpPackets);
    counters.set('flow.packets.udp', this.udpPackets);
    counters.set('flow.packets.other_ip', this.otherPackets);
    counters.set('flow.packets.non_ip', this.nonIpPackets);
  }
}

/**
 * What a flow's payload bookkeeping costs on the heap once payload arrives: the FlowPayload, both
 * reassemblers and stream buffers and their arrays. Measured with a heap snapshot of the 256 MiB
 * ingest capture's live flows (Node 20 x64): ≈ 1.3 KiB per flow with payload; chunks and turns are
 * charged on top as they grow.
 */
const PAYLOAD_OVERHEAD_BYTES = 1344;

function pushTurn(payload: FlowPayload, direction: number, seconds: number, nanoseconds: number, offset: number): void {
  payload.turns.push(direction, seconds, nanoseconds, offset);
  payload.lastTurnDirection = direction;
}

function closedReason(state: number): SessionEndReason {
  return (state & RST_SEEN) !== 0 ? 'rst' : 'fin';
}

function storedBytes(payload: FlowPayload): number {
  return (payload.toServer?.stream.length ?? 0) + (payload.toClient?.stream.length ?? 0);
}

/**
 * `protocol|vlan|innerVlan|lowIp|lowPort|highIp|highPort`, parsed back only when the session ends.
 * `join` builds one flat string; a template literal builds a tree of cons strings that the Map then
 * flattens, which is slower and keeps twice the memory per flow.
 */
function flowKey(protocol: number, vlan: number, innerVlan: number, lowIp: string, lowPort: number, highIp: string, highPort: number): string {
  return [protocol, vlan, innerVlan, lowIp, lowPort, highIp, highPort].join('|');
}

function toSession(store: FlowStore, slot: number, payload: FlowPayload | null, reason: SessionEndReason, lent: LentBuffer | null): Session {
  const toServer = payload?.toServer ?? null;
  const toClient = payload?.toClient ?? null;
  const [, vlan, innerVlan, lowIp, lowPort, highIp, highPort] = store.keys[slot].split('|');
  const state = store.state[slot];
  const low = (state & CLIENT_IS_LOW) !== 0;
  return {
    id: store.id[slot],
    proto: (state & UDP_FLOW) !== 0 ? 'udp' : 'tcp',
    client: { ip: low ? lowIp : highIp, port: Number(low ? lowPort : highPort), mac: store.clientMac[slot], ttl: store.clientTtl[slot] },
    server: { ip: low ? highIp : lowIp, port: Number(low ? highPort : lowPort), mac: store.serverMac[slot], ttl: store.serverTtl[slot] },
    vlan: Number(vlan),
    innerVlan: Number(innerVlan),
    startSeconds: store.startSeconds[slot],
    startNanoseconds: store.startNanoseconds[slot],
    endSeconds: store.endSeconds[slot],
    endNanoseconds: store.endNanoseconds[slot],
    toServer: {
      frames: store.toServerFrames[slot],
      bytes: store.toServerBytes[slot],
      payloadBytes: toServer === null ? 0 : toServer.deliveredBytes,
      missingBytes: toServer === null ? 0 : toServer.missingBytes,
    },
    toClient: {
      frames: store.toClientFrames[slot],
      bytes: store.toClientBytes[slot],
      payloadBytes: toClient === null ? 0 : toClient.deliveredBytes,
      missingBytes: toClient === null ? 0 : toClient.missingBytes,
    },
    midstream: (state & MIDSTREAM) !== 0,
    truncated: (state & TRUNCATED) !== 0,
    endReason: reason,
    turns: payload === null ? [] : buildTurns(payload, lent),
    anomalies: payload?.anomalies ?? [],
  };
}

/**
 * Copies both directions' stored bytes into one buffer the session owns (the chunks go back to the
 * pool); each turn is a view of it, ending where the next turn of its direction starts.
 */
/** The one buffer 'callback' sessions' turns are views of; it grows to the largest session seen. */
class LentBuffer {
  private buffer = Buffer.allocUnsafeSlow(64 * 1024);

  take(length: number): Buffer {
    if (length > this.buffer.length) this.buffer = Buffer.allocUnsafeSlow(Math.max(length, this.buffer.length * 2));
    return this.buffer.subarray(0, length);
  }
}

function buildTurns(payload: FlowPayload, lent: LentBuffer | null): Turn[] {
  const meta = payload.turns;
  const count = meta.length / TURN_FIELDS;
  if (count === 0) return [];
  const toServer = payload.toServer?.stream ?? null;
  const toClient = payload.toClient?.stream ?? null;
  const toServerLength = toServer === null ? 0 : toServer.length;
  const total = toServerLength + (toClient === null ? 0 : toClient.length);
  const bytes = lent === null ? Buffer.allocUnsafe(total) : lent.take(total);
  if (toServer !== null) toServer.copyTo(bytes, 0);
  if (toClient !== null) toClient.copyTo(bytes, toServerLength);
  // where each direction's bytes start in `bytes`, and where its last turn seen so far ends
  const bases = [0, toServerLength];
  const ends = [toServerLength, bytes.length];
  const turns: Turn[] = new Array<Turn>(count);
  for (let turn = count - 1; turn >= 0; turn--) {
    const base = turn * TURN_FIELDS;
    const direction = meta[base];
    const start = bases[direction] + meta[base + 3];
    turns[turn] = {
      direction: direction === 0 ? 'to_server' : 'to_client',
      seconds: meta[base + 1],
      nanoseconds: meta[base + 2],
      data: bytes.subarray(start, ends[direction]),
    };
    ends[direction] = start;
  }
  return turns;
}
