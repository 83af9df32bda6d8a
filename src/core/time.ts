/**
 * Capture timestamps are kept as whole seconds plus nanoseconds: a double of nanoseconds since 1970
 * loses precision, a double of seconds keeps only about a microsecond, which is what pcap gives.
 */
export interface Timestamp {
  seconds: number;
  nanoseconds: number;
}

export function timestampToSeconds(ts: Timestamp): number {
  return ts.seconds + ts.nanoseconds / 1e9;
}

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.seconds !== b.seconds ? a.seconds - b.seconds : a.nanoseconds - b.nanoseconds;
}

/** ISO 8601 in UTC with microseconds, the way EVE and Zeek print times. */
export function formatTimestamp(ts: Timestamp): string {
  const date = new Date(ts.seconds * 1000);
  const base = date.toISOString().slice(0, 19);
  const micros = Math.floor(ts.nanoseconds / 1000).toString().padStart(6, '0');
  return `${base}.${micros}Z`;
}
