import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counters } from '../../src/core/index.ts';
import type { Packet, Session } from '../../src/core/index.ts';
import { FlowTable } from '../../src/flow/index.ts';
import { Conversation, TcpFlag, flowConfig } from './factory.ts';
import { seededRandom } from '../helpers/random.ts';

const random = seededRandom;

interface DialogTurn {
  toServer: boolean;
  data: Buffer;
}

function dialog(next: () => number): DialogTurn[] {
  const turns: DialogTurn[] = [];
  const count = 2 + Math.floor(next() * 12);
  for (let index = 0; index < count; index++) {
    const data = Buffer.alloc(1 + Math.floor(next() * (next() < 0.2 ? 40_000 : 3000)));
    for (let byte = 0; byte < data.length; byte++) data[byte] = Math.floor(next() * 256);
    turns.push({ toServer: index % 2 === 0, data });
  }
  return turns;
}

/** The packets of one turn: MSS-or-smaller segments, some reordered, some retransmitted. */
function segments(conversation: Conversation, turn: DialogTurn, next: () => number): Packet[] {
  const packets: Packet[] = [];
  let offset = 0;
  const start = turn.toServer ? conversation.clientSeq : conversation.serverSeq;
  while (offset < turn.data.length) {
    const length = Math.min(turn.data.length - offset, 1 + Math.floor(next() * 1460));
    const seq = (start + offset) >>> 0;
    const piece = turn.data.subarray(offset, offset + length);
    const send = turn.toServer ? conversation.fromClient.bind(conversation) : conversation.fromServer.bind(conversation);
    packets.push(send(TcpFlag.ACK, piece, seq));
    if (next() < 0.1) packets.push(send(TcpFlag.ACK, piece, seq)); // retransmission
    offset += length;
  }
  if (turn.toServer) conversation.clientSeq = (start + offset) >>> 0;
  else conversation.serverSeq = (start + offset) >>> 0;
  for (let index = 0; index + 1 < packets.length; index++) {
    if (next() < 0.2) [packets[index], packets[index + 1]] = [packets[index + 1], packets[index]];
  }
  return packets;
}

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  test(`turns alternate and concatenate to each direction's stream (seed ${seed})`, () => {
    const next = random(seed);
    const turns = dialog(next);
    const sessions: Session[] = [];
    const table = new FlowTable(flowConfig(), new Counters(), (session) => sessions.push(session));
    // start both sides close to the wrap so the sequence space wraps mid-dialog
    const conversation = new Conversation(undefined, undefined, {
      clientIsn: 0xffffffff - Math.floor(next() * 20_000),
      serverIsn: 0xffffffff - Math.floor(next() * 20_000),
    });
    for (const packet of conversation.handshake()) table.add(packet);
    for (const turn of turns) for (const packet of segments(conversation, turn, next)) table.add(packet);
    table.flush('end_of_capture');
    assert.equal(sessions.length, 1);
    const session = sessions[0];
    assert.deepEqual(session.anomalies, []);
    assert.equal(session.turns.length, turns.length);
    for (let index = 0; index < turns.length; index++) {
      assert.equal(session.turns[index].direction, turns[index].toServer ? 'to_server' : 'to_client');
      assert.ok(session.turns[index].data.equals(turns[index].data), `turn ${index}`);
      if (index > 0) assert.notEqual(session.turns[index].direction, session.turns[index - 1].direction);
    }
    for (const direction of ['to_server', 'to_client'] as const) {
      const expected = Buffer.concat(turns.filter((turn) => turn.toServer === (direction === 'to_server')).map((turn) => turn.data));
      const actual = Buffer.concat(session.turns.filter((turn) => turn.direction === direction).map((turn) => turn.data));
      assert.ok(actual.equals(expected), direction);
      const stats = direction === 'to_server' ? session.toServer : session.toClient;
      assert.equal(stats.payloadBytes, expected.length);
    }
  });
}

test("turnLifetime 'callback': turns are right during the callback and their buffer is reused after it", () => {
  const next = random(99);
  const dialogs = [dialog(next), dialog(next), dialog(next)];
  const seenDuringCallback: Buffer[][] = [];
  const kept: Session[] = [];
  const table = new FlowTable(
    flowConfig(),
    new Counters(),
    (session) => {
      seenDuringCallback.push(session.turns.map((turn) => Buffer.from(turn.data)));
      kept.push(session);
    },
    { turnLifetime: 'callback' },
  );
  dialogs.forEach((turns, index) => {
    const conversation = new Conversation({ ip: `10.1.0.${index + 1}`, port: 40000 + index });
    for (const packet of conversation.handshake()) table.add(packet);
    for (const turn of turns) for (const packet of segments(conversation, turn, next)) table.add(packet);
  });
  table.flush('end_of_capture');
  assert.equal(seenDuringCallback.length, dialogs.length);
  const byFirstTurn = (turns: Buffer[]) => dialogs.findIndex((dialogTurns) => dialogTurns[0]!.data.equals(turns[0]!));
  for (const copies of seenDuringCallback) {
    const expected = dialogs[byFirstTurn(copies)];
    assert.ok(expected, 'every session matches one dialog');
    assert.deepEqual(copies, expected.map((turn) => turn.data));
  }
  // the contract: a session kept past its callback shares the table's buffer with later sessions
  // (the buffer only changes when a larger session makes it grow)
  const buffers = new Set(kept.map((session) => session.turns[0]!.data.buffer));
  assert.ok(buffers.size < kept.length, 'sessions share one reused buffer');
});
