import type { Counters } from './counters.ts';

/**
 * Hostile input is data: a decoder or reassembler that meets malformed traffic records a stable
 * snake_case anomaly name, bumps `anomaly.<name>`, and carries on.
 */
export interface AnomalySink {
  anomaly(name: string): void;
}

export class CountingAnomalySink implements AnomalySink {
  constructor(private readonly counters: Counters) {}

  anomaly(name: string): void {
    this.counters.add(`anomaly.${name}`);
  }
}
