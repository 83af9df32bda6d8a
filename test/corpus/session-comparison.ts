/**
 * Compares our sessions of one capture with tshark's reference (scripts/tshark-reference.ts) and
 * lists every difference as text, so a failing test says exactly which pair or stream differs.
 */
import type { Session } from '../../src/core/index.ts';
import { streamBytes } from '../../src/daemon/index.ts';
import type { ConvEndpoint, TsharkReference } from '../../scripts/tshark-reference.ts';

export interface DirectedTotals {
  frames: number;
  bytes: number;
}

function endpointText(endpoint: ConvEndpoint): string {
  return endpoint.ip.includes(':') ? `[${endpoint.ip}]:${endpoint.port}` : `${endpoint.ip}:${endpoint.port}`;
}

/** "tcp 10.0.0.1:1 > 10.0.0.2:80": one direction of an address+port pair, whatever the VLAN */
export function directionKey(proto: string, src: ConvEndpoint, dst: ConvEndpoint): string {
  return `${proto} ${endpointText(src)} > ${endpointText(dst)}`;
}

/** Our per-direction totals, summed over every session of the pair (tshark's conv keys by pair only). */
export function ourTotals(sessions: readonly Session[]): Map<string, DirectedTotals> {
  const totals = new Map<string, DirectedTotals>();
  const add = (key: string, frames: number, bytes: number): void => {
    const entry = totals.get(key) ?? { frames: 0, bytes: 0 };
    entry.frames += frames;
    entry.bytes += bytes;
    totals.set(key, entry);
  };
  for (const session of sessions) {
    add(directionKey(session.proto, session.client, session.server), session.toServer.frames, session.toServer.bytes);
    add(directionKey(session.proto, session.server, session.client), session.toClient.frames, session.toClient.bytes);
  }
  return totals;
}

export function tsharkTotals(reference: TsharkReference): Map<string, DirectedTotals> {
  const totals = new Map<string, DirectedTotals>();
  for (const conversation of reference.conversations) {
    totals.set(directionKey(conversation.proto, conversation.a, conversation.b), { frames: conversation.framesAtoB, bytes: conversation.bytesAtoB });
    totals.set(directionKey(conversation.proto, conversation.b, conversation.a), { frames: conversation.framesBtoA, bytes: conversation.bytesBtoA });
  }
  return totals;
}

export interface TotalsDifference {
  key: string;
  ours: DirectedTotals;
  tshark: DirectedTotals;
}

export function compareTotals(ours: Map<string, DirectedTotals>, tshark: Map<string, DirectedTotals>): TotalsDifference[] {
  const differences: TotalsDifference[] = [];
  const none = { frames: 0, bytes: 0 };
  for (const key of new Set([...ours.keys(), ...tshark.keys()])) {
    const mine = ours.get(key) ?? none;
    const theirs = tshark.get(key) ?? none;
    if (mine.frames !== theirs.frames || mine.bytes !== theirs.bytes) differences.push({ key, ours: mine, tshark: theirs });
  }
  return differences.sort((a, b) => (a.key < b.key ? -1 : 1));
}

export interface StreamDifference {
  pair: string;
  /** 0-based position among the pair's sessions (port reuse gives several) */
  index: number;
  problem: string;
}

function pairKey(a: ConvEndpoint, b: ConvEndpoint): string {
  const [first, second] = [endpointText(a), endpointText(b)].sort();
  return `${first} <-> ${second}`;
}

/**
 * Each TCP session's two streams against tshark's follow of the same pair, in start order. tshark
 * splits a pair into several tcp.streams on port reuse as we split it into several sessions; the
 * n-th of ours is compared with the n-th of theirs.
 *
 * Only sessions and streams that carry payload are paired. Where the number of payload-less ones
 * differs, the sessions are split differently without any byte being at stake: listed in
 * `payloadlessSplits` (causes in the test's header), not as differences — provided every extra
 * session of ours is a mid-stream pick-up (a FIN or RST after our timeout ended the session).
 */
export function compareStreams(sessions: readonly Session[], reference: TsharkReference): { differences: StreamDifference[]; payloadlessSplits: string[] } {
  const oursByPair = new Map<string, Session[]>();
  for (const session of sessions) {
    if (session.proto !== 'tcp') continue;
    const key = pairKey(session.client, session.server);
    oursByPair.set(key, [...(oursByPair.get(key) ?? []), session]);
  }
  const theirsByPair = new Map<string, TsharkReference['streams']>();
  for (const stream of reference.streams) {
    const key = pairKey(stream.first, stream.second);
    theirsByPair.set(key, [...(theirsByPair.get(key) ?? []), stream]);
  }
  const differences: StreamDifference[] = [];
  const payloadlessSplits: string[] = [];
  for (const pair of new Set([...oursByPair.keys(), ...theirsByPair.keys()])) {
    const allMine = (oursByPair.get(pair) ?? []).sort((a, b) => a.startSeconds - b.startSeconds || a.startNanoseconds - b.startNanoseconds || a.id - b.id);
    const allTheirs = theirsByPair.get(pair) ?? [];
    const mine = allMine.filter((session) => session.turns.some((turn) => turn.data.length > 0));
    const theirs = allTheirs.filter((stream) => stream.fromFirst.length + stream.fromSecond.length > 0);
    if (mine.length !== theirs.length) {
      differences.push({ pair, index: -1, problem: `${mine.length} session(s) with payload here, ${theirs.length} tcp.stream(s) with payload in tshark (${theirs.map((stream) => stream.stream).join(',')})` });
    } else if (allMine.length > allTheirs.length && allMine.filter((session) => session.midstream && !mine.includes(session)).length < allMine.length - allTheirs.length) {
      // our extra sessions must be late mid-stream pick-ups (FIN/RST after a timeout), nothing else
      differences.push({ pair, index: -1, problem: `${allMine.length - allTheirs.length} more payload-less session(s) here than tshark has streams, not all of them mid-stream pick-ups` });
    } else if (allMine.length !== allTheirs.length) {
      payloadlessSplits.push(`${pair}: ${allMine.length} session(s) here, ${allTheirs.length} tcp.stream(s) in tshark, the difference carrying no payload`);
    }
    for (let index = 0; index < Math.min(mine.length, theirs.length); index++) {
      const session = mine[index]!;
      const stream = theirs[index]!;
      const clientIsFirst = endpointText(stream.first) === endpointText(session.client);
      const expectedToServer = clientIsFirst ? stream.fromFirst : stream.fromSecond;
      const expectedToClient = clientIsFirst ? stream.fromSecond : stream.fromFirst;
      for (const [direction, expected] of [['to_server', expectedToServer], ['to_client', expectedToClient]] as const) {
        const actual = streamBytes(session, direction);
        if (!actual.equals(expected)) {
          differences.push({ pair, index, problem: `session ${session.id} vs tcp.stream ${stream.stream} ${direction}: ${describeBytes(actual, expected)}` });
        }
      }
    }
  }
  return { differences, payloadlessSplits };
}

function describeBytes(actual: Buffer, expected: Buffer): string {
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  return `${actual.length} bytes here, ${expected.length} in tshark, first difference at byte ${at}`;
}
