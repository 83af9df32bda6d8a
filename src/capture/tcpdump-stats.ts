/** Packet counts tcpdump prints on stderr, from libpcap's pcap_stats(). */
export interface TcpdumpStats {
  /** packets tcpdump wrote out */
  captured: number;
  /** packets that passed the filter (counted by the kernel: includes dropped ones) */
  receivedByFilter: number;
  /** ps_drop: packets the kernel dropped because the ring buffer was full */
  droppedByKernel: number;
  /** ps_ifdrop: packets the interface (driver) dropped; tcpdump prints it only when non-zero */
  droppedByInterface: number;
}

const PATTERNS: ReadonlyArray<[keyof TcpdumpStats, RegExp]> = [
  ['captured', /(\d+) packets? captured/],
  ['receivedByFilter', /(\d+) packets? received by filter/],
  ['droppedByKernel', /(\d+) packets? dropped by kernel/],
  ['droppedByInterface', /(\d+) packets? dropped by interface/],
];

/**
 * Reads one stderr line into `stats`. tcpdump reports on SIGUSR1 as one line ("tcpdump: 4 packets
 * captured, 4 packets received by filter, 0 packets dropped by kernel") and at exit as one line per
 * count; either way the kernel-drop count closes a report, so the return value says whether it did.
 */
export function parseTcpdumpStatsLine(line: string, stats: TcpdumpStats): boolean {
  for (const [field, pattern] of PATTERNS) {
    const match = pattern.exec(line);
    if (match !== null) stats[field] = Number(match[1]);
  }
  return PATTERNS[2][1].test(line);
}

export function emptyTcpdumpStats(): TcpdumpStats {
  return { captured: 0, receivedByFilter: 0, droppedByKernel: 0, droppedByInterface: 0 };
}
