/**
 * The drops tcpdump cannot report: the capture interface's own counters and the host's softnet
 * backlog. A mirror-port NIC that overruns (its ring full, the host too slow to refill it) drops
 * frames before any packet socket sees them, so libpcap's ring counts nothing; the driver bumps
 * rx_missed_errors / rx_fifo_errors / rx_over_errors, and the kernel bumps rx_dropped when it throws
 * a frame away on the interface's behalf (backlog full, frame longer than the MTU, no memory).
 * Packets that go through the per-CPU backlog (veth, tun, RPS) and find it full are also counted in
 * /proc/net/softnet_stat's second column — per CPU and host-wide, for every interface at once.
 *
 * Read from /sys/class/net/IF/statistics/* and /proc/net/softnet_stat under an injectable root, so
 * tests can feed fake files. Values are deltas since the reader was made, kept monotonic across a
 * counter that goes back (an interface re-created, a 32-bit counter wrapping).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** the interface statistics that count frames the host lost before capture */
export const INTERFACE_DROP_FIELDS = ['rx_dropped', 'rx_missed_errors', 'rx_fifo_errors', 'rx_over_errors'] as const;

export type InterfaceDropField = (typeof INTERFACE_DROP_FIELDS)[number];
export type InterfaceDropCounts = Record<InterfaceDropField, number>;

export interface DropCounterSample {
  /** per interface, drops since the reader was made; null while its statistics cannot be read */
  interfaces: Record<string, InterfaceDropCounts | null>;
  /** the interfaces' drops summed, field by field */
  total: InterfaceDropCounts;
  /** host-wide softnet backlog drops since the reader was made, all CPUs; null when unreadable */
  backlogDropped: number | null;
}

export interface InterfaceDropReaderOptions {
  /** where /sys and /proc are, default '/' (tests point it at fake files) */
  root?: string;
}

/** The raw drop statistics of one interface, or null when it has none (no such interface). */
export function readInterfaceDropCounts(interfaceName: string, root = '/'): InterfaceDropCounts | null {
  const directory = join(root, 'sys', 'class', 'net', interfaceName, 'statistics');
  const counts = emptyInterfaceDropCounts();
  for (const field of INTERFACE_DROP_FIELDS) {
    const value = readCount(join(directory, field));
    if (value === null) return null;
    counts[field] = value;
  }
  return counts;
}

/** The host's softnet backlog drops (all CPUs summed), or null when /proc/net/softnet_stat cannot be read. */
export function readBacklogDrops(root = '/'): number | null {
  let text: string;
  try {
    text = readFileSync(join(root, 'proc', 'net', 'softnet_stat'), 'utf8');
  } catch {
    return null;
  }
  return parseSoftnetDropped(text);
}

/** softnet_stat: one line per CPU, hexadecimal columns; the second is "dropped" (backlog full). */
export function parseSoftnetDropped(text: string): number {
  let dropped = 0;
  for (const line of text.split('\n')) {
    const columns = line.trim().split(/\s+/);
    if (columns.length < 2) continue;
    const value = Number.parseInt(columns[1]!, 16);
    if (Number.isFinite(value)) dropped += value;
  }
  return dropped;
}

export function emptyInterfaceDropCounts(): InterfaceDropCounts {
  return { rx_dropped: 0, rx_missed_errors: 0, rx_fifo_errors: 0, rx_over_errors: 0 };
}

/**
 * Drop counters of the capture interfaces and the host, as deltas since construction. The first
 * successful read of each counter is its baseline, so drops from before the sensor started never
 * count; a counter that goes back restarts from its new value rather than going negative.
 */
export class InterfaceDropReader {
  private readonly root: string;
  private readonly interfaceDeltas = new Map<string, Record<InterfaceDropField, MonotonicDelta>>();
  private readonly backlogDelta = new MonotonicDelta();

  constructor(
    private readonly interfaceNames: readonly string[],
    options: InterfaceDropReaderOptions = {},
  ) {
    this.root = options.root ?? '/';
    for (const name of interfaceNames) {
      const deltas = {} as Record<InterfaceDropField, MonotonicDelta>;
      for (const field of INTERFACE_DROP_FIELDS) deltas[field] = new MonotonicDelta();
      this.interfaceDeltas.set(name, deltas);
    }
    this.sample();
  }

  sample(): DropCounterSample {
    const interfaces: Record<string, InterfaceDropCounts | null> = {};
    const total = emptyInterfaceDropCounts();
    for (const name of this.interfaceNames) {
      const raw = readInterfaceDropCounts(name, this.root);
      const deltas = this.interfaceDeltas.get(name)!;
      const counts = emptyInterfaceDropCounts();
      for (const field of INTERFACE_DROP_FIELDS) {
        counts[field] = raw === null ? deltas[field].total : deltas[field].update(raw[field]);
        total[field] += counts[field];
      }
      interfaces[name] = raw === null ? null : counts;
    }
    const backlog = readBacklogDrops(this.root);
    return { interfaces, total, backlogDropped: backlog === null ? null : this.backlogDelta.update(backlog) };
  }
}

/** A cumulative kernel counter turned into "how much since the first reading". */
class MonotonicDelta {
  private last: number | null = null;
  total = 0;

  update(raw: number): number {
    if (this.last !== null) this.total += raw >= this.last ? raw - this.last : raw;
    this.last = raw;
    return this.total;
  }
}

function readCount(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const value = Number(text.trim());
  return Number.isFinite(value) && text.trim() !== '' ? value : null;
}
