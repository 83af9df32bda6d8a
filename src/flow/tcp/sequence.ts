/**
 * TCP sequence numbers are unsigned 32-bit and wrap (RFC 9293 §3.4): compare them by the signed
 * 32-bit difference, never with `<` on the raw values.
 */

/** `a - b` as a signed 32-bit number: positive when `a` is after `b` (within 2^31). */
export function sequenceDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `sequence + amount` modulo 2^32. */
export function sequenceAdd(sequence: number, amount: number): number {
  return (sequence + amount) >>> 0;
}

/** true when `a` comes strictly before `b` in sequence space. */
export function sequenceBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
