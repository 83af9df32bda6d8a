/**
 * A session's companions: the sender's other TCP connections to the same host and port that opened
 * while it was open (EternalBlue's grooms), nothing else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Session } from '../../src/core/index.ts';
import { CompanionIndex, companionSessions } from '../../src/replay/index.ts';

function session(id: number, start: number, end: number, changes: { clientIp?: string; serverPort?: number; proto?: 'tcp' | 'udp' } = {}): Session {
  const stats = { frames: 1, bytes: 0, payloadBytes: 0, missingBytes: 0 };
  return {
    id,
    proto: changes.proto ?? 'tcp',
    client: { ip: changes.clientIp ?? '10.0.0.1', port: 40_000 + id, mac: -1, ttl: -1 },
    server: { ip: '10.0.0.2', port: changes.serverPort ?? 445, mac: -1, ttl: -1 },
    vlan: -1,
    innerVlan: -1,
    startSeconds: start,
    startNanoseconds: 0,
    endSeconds: end,
    endNanoseconds: 0,
    toServer: stats,
    toClient: stats,
    midstream: false,
    truncated: false,
    endReason: 'fin',
    turns: [],
    anomalies: [],
  };
}

describe('companionSessions', () => {
  const overflow = session(1, 100, 118);
  const sessions = [
    session(5, 119, 120), // opened after it ended
    session(3, 101, 112),
    overflow,
    session(2, 100, 101),
    session(4, 102, 103, { clientIp: '10.0.0.9' }), // another sender
    session(6, 103, 104, { serverPort: 139 }), // another port
    session(7, 99, 130), // opened before it
  ];

  it('are the same sender\'s connections to the same port opened while it was open, in start order', () => {
    assert.deepEqual(companionSessions(overflow, sessions).map((companion) => companion.id), [2, 3]);
  });

  it('are capped, and a UDP session has none', () => {
    assert.deepEqual(companionSessions(overflow, sessions, 1).map((companion) => companion.id), [2]);
    assert.deepEqual(companionSessions(session(8, 100, 118, { proto: 'udp' }), [...sessions, session(9, 101, 102, { proto: 'udp' })]), []);
  });

  it('from the index agree with a plain filter over random captures', () => {
    let seed = 7;
    const random = (below: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % below;
    };
    const all: Session[] = [];
    for (let id = 1; id <= 400; id++) {
      const start = random(200);
      all.push(session(id, start, start + random(30), { clientIp: `10.0.0.${1 + random(3)}`, serverPort: [445, 139][random(2)]!, proto: random(10) === 0 ? 'udp' : 'tcp' }));
    }
    const index = new CompanionIndex(all);
    const plain = (of: Session): number[] =>
      all
        .filter((other) => other.id !== of.id && of.proto === 'tcp' && other.proto === 'tcp' && other.client.ip === of.client.ip && other.server.port === of.server.port && other.startSeconds >= of.startSeconds && other.startSeconds <= of.endSeconds)
        .sort((a, b) => a.startSeconds - b.startSeconds || a.id - b.id)
        .slice(0, 5)
        .map((other) => other.id);
    let nonEmpty = 0;
    for (const of of all) {
      const expected = plain(of);
      if (expected.length > 0) nonEmpty++;
      assert.deepEqual(index.of(of, 5).map((companion) => companion.id), expected, `session ${of.id}`);
    }
    assert.ok(nonEmpty > 100, 'the random capture should give most sessions companions');
  });
});
