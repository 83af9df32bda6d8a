import type { Counters } from './counters.ts';

/**
 * Hostile input is data: a decoder or reassembler that meets malformed traffic records a stable
 * snake_case anomaly name, bumps `<stage>.<name>` (`decoder.ipv4_header_truncated`,
 * `flow.reassembly_overlap_mismatch`), and carries on.
 */
export interface AnomalySink {
  anomaly(name: string): void;
}

/** Counts each anomaly under the stage's prefix. */
export class CountingAnomalySink implements AnomalySink {
  constructor(
    private readonly counters: Counters,
    private readonly prefix: string,
  ) {}

  anomaly(name: string): void {
    this.counters.add(`${this.prefix}.${name}`);
  }
}
