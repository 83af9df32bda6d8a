import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { eventsOf, makeContainment, randomBytes } from './helpers.ts';

function request(opcode: 1 | 2, fileName: string, mode = 'octet'): Uint8Array {
  return Uint8Array.from([0, opcode, ...Buffer.from(fileName, 'latin1'), 0, ...Buffer.from(mode, 'latin1'), 0]);
}

describe('TFTP sink', () => {
  it('answers RRQ with the download from a fresh transfer port, block by block', () => {
    const file = randomBytes(700, 7);
    const containment = makeContainment({ download: { body: file } });
    const server = { address: '192.0.2.69', port: 69 };
    const [first] = containment.sendDatagram(server, request(1, 'msblast.exe'));
    assert.ok(first);
    assert.notEqual(first.from.port, 69);
    assert.deepEqual([...first.bytes.subarray(0, 4)], [0, 3, 0, 1]);
    assert.equal(first.bytes.length, 4 + 512);
    const [second] = containment.sendDatagram(first.from, Uint8Array.of(0, 4, 0, 1));
    assert.deepEqual([...second!.bytes.subarray(0, 4)], [0, 3, 0, 2]);
    assert.equal(second!.bytes.length, 4 + 188);
    assert.deepEqual(containment.sendDatagram(first.from, Uint8Array.of(0, 4, 0, 2)), [], 'the last ACK ends it');
    const [event] = eventsOf(containment.events, 'tftp_request');
    assert.deepEqual(event!.facts, { kind: 'tftp_request', opcode: 'RRQ', fileName: 'msblast.exe', mode: 'octet' });
    // the transfer port is gone: a later datagram there is just a datagram
    containment.sendDatagram(first.from, Uint8Array.of(0, 4, 0, 3));
    assert.equal(eventsOf(containment.events, 'udp_datagram').length, 1);
  });

  it('accepts a WRQ upload and records its size and hash', () => {
    const containment = makeContainment();
    const [ack0] = containment.sendDatagram({ address: '192.0.2.69', port: 69 }, request(2, 'loot.bin', 'netascii'));
    assert.deepEqual([...ack0!.bytes], [0, 4, 0, 0]);
    const block1 = randomBytes(512, 1);
    const block2 = randomBytes(10, 2);
    const [ack1] = containment.sendDatagram(ack0!.from, Uint8Array.from([0, 3, 0, 1, ...block1]));
    assert.deepEqual([...ack1!.bytes], [0, 4, 0, 1]);
    const [ack2] = containment.sendDatagram(ack0!.from, Uint8Array.from([0, 3, 0, 2, ...block2]));
    assert.deepEqual([...ack2!.bytes], [0, 4, 0, 2]);
    const [transfer] = eventsOf(containment.events, 'tftp_transfer');
    assert.equal(transfer!.facts.bytes, 522);
    assert.equal(transfer!.facts.complete, true);
    assert.equal(transfer!.facts.sha256, createHash('sha256').update(block1).update(block2).digest('hex'));
  });

  it('is found by its shape on another port, and answers garbage with an error packet', () => {
    const containment = makeContainment();
    const [reply] = containment.sendDatagram({ address: '192.0.2.70', port: 6969 }, request(1, 'a'));
    assert.equal(reply!.bytes[1], 3);
    const [error] = containment.sendDatagram({ address: '192.0.2.69', port: 69 }, Uint8Array.of(0, 9, 1, 2));
    assert.equal(error!.bytes[1], 5);
    containment.sendDatagram({ address: '192.0.2.69', port: 69 }, Uint8Array.of(0, 1, 0x41));
    for (let seed = 1; seed <= 1_000; seed++) containment.sendDatagram({ address: '192.0.2.69', port: 69 }, randomBytes(seed % 40, seed));
    assert.equal(containment.counters.get('containment.tftp.tftp_opcode_unknown') > 0, true);
    assert.equal(containment.counters.get('containment.tftp.tftp_request_malformed') > 0, true);
  });
});
