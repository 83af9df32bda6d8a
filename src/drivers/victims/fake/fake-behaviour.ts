/**
 * What a fake victim's ports do, scripted per test. Strings are bytes (latin1), so a test can
 * write `trigger: 'EXPLOIT'` and a binary trigger alike.
 */
import type { NetworkAddress } from '../../../containment/index.ts';
import type { DummyObservation } from '../../../emulator/index.ts';

export type FakeBytes = string | Uint8Array;

/** An observation as a test scripts it; the victim stamps the virtual time (`at`) when it happens. */
export type ScriptedObservation = DummyObservation extends infer Each ? (Each extends DummyObservation ? Omit<Each, 'at'> : never) : never;

export type FakePortBehaviour =
  /** answers every send with the same bytes */
  | { kind: 'echo'; greeting?: FakeBytes }
  /** answers every send with `answer` */
  | { kind: 'fixed'; greeting?: FakeBytes; answer: FakeBytes }
  /** answers with everything this port received since the last revert, over all connections: state that persists until revert */
  | { kind: 'remember'; greeting?: FakeBytes }
  /**
   * When `trigger` appears in a connection's bytes (split over sends or not), the victim is
   * compromised: it records `observation` (default: an `exec`), connects out to `egressTo` (an
   * egress event as containment would report it) and opens a listener on `opensPort` that answers
   * later connections until revert. `wakesAfterMs` delays all of it by that much virtual time, so
   * only a dwell reveals it (a sleeping payload).
   */
  | {
      kind: 'compromise';
      trigger: FakeBytes;
      greeting?: FakeBytes;
      /** what every send is answered with (default nothing) */
      answer?: FakeBytes;
      observation?: ScriptedObservation;
      egressTo?: NetworkAddress;
      opensPort?: number;
      wakesAfterMs?: number;
    }
  /** the victim dies (a crashed service taking the machine down) when `trigger` arrives */
  | { kind: 'crash'; trigger: FakeBytes; greeting?: FakeBytes }
  /** nothing listens: connect returns null even when the profile lists the port */
  | { kind: 'refuse' };

export type FakeDatagramBehaviour = { kind: 'echo' } | { kind: 'fixed'; answer: FakeBytes } | { kind: 'silent' };

export function toBytes(value: FakeBytes | undefined): Uint8Array {
  if (value === undefined) return EMPTY;
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
}

export const EMPTY = new Uint8Array(0);
