import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counters } from '../../src/core/index.ts';
import type { Session } from '../../src/core/index.ts';
import { ChunkPool, FlowTable } from '../../src/flow/index.ts';
import { Conversation, TcpFlag, flowConfig } from './factory.ts';

test('a chunk given back is taken again, and a larger idle chunk is split before a slab grows', () => {
  const pool = new ChunkPool();
  const first = pool.take(16384);
  assert.equal(pool.reservedBytes, 1024 * 1024);
  pool.give(first);
  assert.equal(pool.usedBytes, 0);
  assert.equal(pool.take(16384), first);
  pool.give(first);
  const small = pool.take(512);
  assert.equal(small.buffer, first.buffer);
  assert.equal(small.byteOffset, first.byteOffset);
  assert.equal(pool.usedBytes, 512);
  // sizes that are not a class are plain allocations the pool does not track
  assert.equal(pool.take(60).length, 60);
  assert.equal(pool.usedBytes, 512);
});

test("a session's turns stay intact after its chunks are reused by later sessions", () => {
  const sessions: Session[] = [];
  const table = new FlowTable(flowConfig(), new Counters(), (session) => sessions.push(session));
  const sent: Buffer[] = [];
  for (let index = 0; index < 3; index++) {
    const conversation = new Conversation({ ip: '10.0.0.1', port: 40000 + index });
    const request = Buffer.alloc(3000 + index * 700, 0x41 + index);
    const response = Buffer.alloc(20_000, 0x61 + index);
    sent.push(request, response);
    for (const packet of conversation.handshake()) table.add(packet);
    for (let offset = 0; offset < request.length; offset += 1400) table.add(conversation.fromClient(TcpFlag.ACK, request.subarray(offset, offset + 1400)));
    for (let offset = 0; offset < response.length; offset += 1400) table.add(conversation.fromServer(TcpFlag.ACK, response.subarray(offset, offset + 1400)));
    table.add(conversation.fromClient(TcpFlag.RST | TcpFlag.ACK));
    table.expire(conversation.time + 60);
  }
  table.flush('end_of_capture');
  assert.equal(sessions.length, 3);
  sessions.forEach((session, index) => {
    assert.deepEqual(
      session.turns.map((turn) => turn.data),
      [sent[index * 2], sent[index * 2 + 1]],
    );
  });
});
