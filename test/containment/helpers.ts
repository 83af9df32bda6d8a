/** Shared pieces of the containment tests: a fake clock, a containment, a conversation helper. */
import type { Timestamp } from '../../src/core/index.ts';
import { Containment, type ContainedConnection, type ContainmentOptions, type EgressEvent, type EgressKind } from '../../src/containment/index.ts';

export function fakeClock(start = 1_700_000_000): () => Timestamp {
  let tick = 0;
  return () => ({ seconds: start + tick++, nanoseconds: 0 });
}

export function makeContainment(options: Partial<ContainmentOptions> = {}): Containment {
  return new Containment({ dummyId: 'dummy-1', profileId: 'win-xp-sp1', clock: fakeClock(), ...options });
}

/** Sends `bytes` (text is latin1) and returns everything the sink said, as latin1 text. */
export function exchange(connection: ContainedConnection, bytes: Uint8Array | string): string {
  connection.send(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  return drain(connection);
}

export function drain(connection: ContainedConnection): string {
  let out = '';
  for (let chunk = connection.read(65_536); chunk; chunk = connection.read(65_536)) out += Buffer.from(chunk).toString('latin1');
  return out;
}

export function eventsOf<K extends EgressKind>(events: readonly EgressEvent[], kind: K): Array<EgressEvent & { facts: Extract<EgressEvent['facts'], { kind: K }> }> {
  return events.filter((event) => event.facts.kind === kind) as Array<EgressEvent & { facts: Extract<EgressEvent['facts'], { kind: K }> }>;
}

/** Deterministic pseudo-random bytes (fixed seed, as the tests pin everything). */
export function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    out[index] = state >>> 16;
  }
  return out;
}

/** A DNS query message for `name` of type `qtype`. */
export function dnsQuery(name: string, qtype = 1, id = 0x1234): Uint8Array {
  const labels = name.split('.').filter(Boolean).flatMap((label) => [label.length, ...Buffer.from(label, 'latin1')]);
  return Uint8Array.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, qtype >> 8, qtype & 0xff, 0, 1]);
}
