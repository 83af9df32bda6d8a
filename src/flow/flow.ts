import type { AnomalySink, Counters } from '../core/index.ts';
import type { DatagramStream } from './datagram-stream.ts';
import type { TcpReassembler } from './tcp/reassembler.ts';

export const FlowState = {
  CLIENT_FIN: 1,
  SERVER_FIN: 2,
  RST: 4,
  /** SYN-ACK or payload seen: idle timeout is the established one */
  ESTABLISHED: 8,
  MIDSTREAM: 16,
  TRUNCATED: 32,
  CLIENT_SEQUENCE_KNOWN: 64,
  SERVER_SEQUENCE_KNOWN: 128,
  /** the client is the endpoint that sorts first in the key */
  CLIENT_IS_LOW: 256,
  UDP: 512,
} as const;

/** Turn bookkeeping is a flat number array: direction (0 to_server, 1 to_client), seconds, nanoseconds, stored offset. */
export const TURN_FIELDS = 4;

/** No flow / no list. */
export const NONE = -1;

/** What a flow holds once payload arrives: allocated lazily, so idle and SYN-only flows have none. */
export class FlowPayload {
  toServer: TcpReassembler | DatagramStream | null = null;
  toClient: TcpReassembler | DatagramStream | null = null;
  turns: number[] = [];
  lastTurnDirection = -1;
  anomalies: string[] | null = null;
}

/**
 * The live flows, stored column-wise in typed arrays indexed by a slot number, like Suricata's flow
 * pool. A SYN flood holds a million flows: as JavaScript objects they would cost ~400 bytes each on
 * the collected heap (which V8 lets grow to several times the live size); as columns they cost about
 * 140 bytes each outside it, and the collector only sees the key strings. Slots are reused through a
 * free list; the columns double when full (never beyond `maxSlots`).
 */
export class FlowStore {
  capacity = 0;
  private free: number[] = [];
  private used = 0;

  keys: string[] = [];
  payload: (FlowPayload | null)[] = [];
  prev = new Int32Array(0);
  next = new Int32Array(0);
  list = new Int8Array(0);
  state = new Int32Array(0);
  id = new Float64Array(0);
  /** capture time (seconds) of the last packet, as the table's clock saw it */
  lastSeen = new Float64Array(0);
  startSeconds = new Float64Array(0);
  startNanoseconds = new Int32Array(0);
  endSeconds = new Float64Array(0);
  endNanoseconds = new Int32Array(0);
  clientTtl = new Int16Array(0);
  serverTtl = new Int16Array(0);
  clientMac = new Float64Array(0);
  serverMac = new Float64Array(0);
  toServerFrames = new Uint32Array(0);
  toClientFrames = new Uint32Array(0);
  toServerBytes = new Float64Array(0);
  toClientBytes = new Float64Array(0);
  /** next sequence expected from each side, learnt from SYN / SYN-ACK (see *_SEQUENCE_KNOWN) */
  clientSequence = new Uint32Array(0);
  serverSequence = new Uint32Array(0);
  /** bytes charged against the memory cap */
  memory = new Float64Array(0);

  constructor(private readonly maxSlots: number) {}

  /** A fresh slot with every column reset. */
  allocate(key: string, id: number, state: number, seconds: number, nanoseconds: number, memory: number): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    }
    this.keys[slot] = key;
    this.payload[slot] = null;
    this.prev[slot] = NONE;
    this.next[slot] = NONE;
    this.list[slot] = NONE;
    this.state[slot] = state;
    this.id[slot] = id;
    this.lastSeen[slot] = 0;
    this.startSeconds[slot] = seconds;
    this.startNanoseconds[slot] = nanoseconds;
    this.endSeconds[slot] = seconds;
    this.endNanoseconds[slot] = nanoseconds;
    this.clientTtl[slot] = -1;
    this.serverTtl[slot] = -1;
    this.clientMac[slot] = -1;
    this.serverMac[slot] = -1;
    this.toServerFrames[slot] = 0;
    this.toClientFrames[slot] = 0;
    this.toServerBytes[slot] = 0;
    this.toClientBytes[slot] = 0;
    this.clientSequence[slot] = 0;
    this.serverSequence[slot] = 0;
    this.memory[slot] = memory;
    return slot;
  }

  release(slot: number): void {
    this.keys[slot] = '';
    this.payload[slot] = null;
    this.free.push(slot);
  }

  closed(slot: number): boolean {
    const state = this.state[slot];
    return (state & FlowState.RST) !== 0 || (state & (FlowState.CLIENT_FIN | FlowState.SERVER_FIN)) === 3;
  }

  private grow(): void {
    const capacity = Math.max(1024, Math.min(this.capacity * 2, this.maxSlots));
    if (capacity <= this.capacity) throw new Error(`flow store full at ${this.capacity} slots (maxFlows); eviction should have run`);
    this.prev = resized(this.prev, capacity);
    this.next = resized(this.next, capacity);
    this.list = resized(this.list, capacity);
    this.state = resized(this.state, capacity);
    this.id = resized(this.id, capacity);
    this.lastSeen = resized(this.lastSeen, capacity);
    this.startSeconds = resized(this.startSeconds, capacity);
    this.startNanoseconds = resized(this.startNanoseconds, capacity);
    this.endSeconds = resized(this.endSeconds, capacity);
    this.endNanoseconds = resized(this.endNanoseconds, capacity);
    this.clientTtl = resized(this.clientTtl, capacity);
    this.serverTtl = resized(this.serverTtl, capacity);
    this.clientMac = resized(this.clientMac, capacity);
    this.serverMac = resized(this.serverMac, capacity);
    this.toServerFrames = resized(this.toServerFrames, capacity);
    this.toClientFrames = resized(this.toClientFrames, capacity);
    this.toServerBytes = resized(this.toServerBytes, capacity);
    this.toClientBytes = resized(this.toClientBytes, capacity);
    this.clientSequence = resized(this.clientSequence, capacity);
    this.serverSequence = resized(this.serverSequence, capacity);
    this.memory = resized(this.memory, capacity);
    this.capacity = capacity;
  }
}

type Column = Int8Array | Int16Array | Int32Array | Uint32Array | Float64Array;

function resized<T extends Column>(column: T, capacity: number): T {
  const next = new (column.constructor as new (length: number) => T)(capacity);
  next.set(column);
  return next;
}

/**
 * Doubly-linked lists of slots through the store's prev/next columns, one per idle timeout, each
 * ordered by last activity (head = idle longest).
 */
export class FlowLists {
  readonly head: Int32Array;
  readonly tail: Int32Array;

  constructor(
    private readonly store: FlowStore,
    /** idle timeout per list, seconds */
    readonly timeouts: readonly number[],
  ) {
    this.head = new Int32Array(timeouts.length).fill(NONE);
    this.tail = new Int32Array(timeouts.length).fill(NONE);
  }

  /** Appends `slot` (on no list) to `list` as the most recently active. */
  push(list: number, slot: number): void {
    const store = this.store;
    const tail = this.tail[list];
    store.list[slot] = list;
    store.prev[slot] = tail;
    store.next[slot] = NONE;
    if (tail === NONE) this.head[list] = slot;
    else store.next[tail] = slot;
    this.tail[list] = slot;
  }

  remove(slot: number): void {
    const store = this.store;
    const list = store.list[slot];
    if (list === NONE) return;
    const prev = store.prev[slot];
    const next = store.next[slot];
    if (prev === NONE) this.head[list] = next;
    else store.next[prev] = next;
    if (next === NONE) this.tail[list] = prev;
    else store.prev[next] = prev;
    store.prev[slot] = NONE;
    store.next[slot] = NONE;
    store.list[slot] = NONE;
  }
}

/**
 * Attributes reassembly anomalies to the flow being updated: one shared sink instead of one per
 * flow (reassembly runs synchronously inside the table, which sets `payload` first).
 */
export class FlowAnomalies implements AnomalySink {
  payload: FlowPayload | null = null;

  constructor(private readonly counters: Counters) {}

  anomaly(name: string): void {
    this.counters.add(`flow.${name}`);
    const payload = this.payload;
    if (payload === null) return;
    const anomalies = (payload.anomalies ??= []);
    if (!anomalies.includes(name)) anomalies.push(name);
  }
}
