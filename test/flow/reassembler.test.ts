import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TcpReassembler, sequenceAdd, sequenceBefore, sequenceDiff } from '../../src/flow/index.ts';
import type { OverlapPolicy } from '../../src/flow/index.ts';

class Anomalies {
  names: string[] = [];
  anomaly(name: string): void {
    this.names.push(name);
  }
}

function make(initial: number, policy: OverlapPolicy = 'first', limits: { bytes?: number; segments?: number } = {}) {
  const anomalies = new Anomalies();
  const reassembler = new TcpReassembler(
    initial,
    { overlapPolicy: policy, maxQueuedBytes: limits.bytes ?? 1 << 20, maxQueuedSegments: limits.segments ?? 1000 },
    anomalies,
  );
  const text = () => reassembler.stream.view(0, reassembler.stream.length).toString();
  return { reassembler, anomalies, text };
}

describe('sequence arithmetic', () => {
  test('differences and additions wrap at 2^32', () => {
    assert.equal(sequenceDiff(5, 0xfffffffb), 10);
    assert.equal(sequenceDiff(0xfffffffb, 5), -10);
    assert.equal(sequenceAdd(0xffffffff, 1), 0);
    assert.equal(sequenceAdd(0xfffffff0, 0x20), 0x10);
    assert.ok(sequenceBefore(0xffffffff, 0));
    assert.ok(!sequenceBefore(0, 0xffffffff));
  });
});

describe('TcpReassembler', () => {
  test('in-order segments append', () => {
    const { reassembler, text, anomalies } = make(100);
    reassembler.insert(100, Buffer.from('hello '));
    reassembler.insert(106, Buffer.from('world'));
    assert.equal(text(), 'hello world');
    assert.equal(reassembler.deliveredBytes, 11);
    assert.equal(reassembler.expectedSequence, 111);
    assert.deepEqual(anomalies.names, []);
  });

  test('copies the payload: the caller may reuse its buffer', () => {
    const { reassembler, text } = make(0);
    const reused = Buffer.from('abcd');
    reassembler.insert(0, reused);
    reused.write('zzzz');
    reassembler.insert(4, reused.subarray(0, 2));
    assert.equal(text(), 'abcdzz');
  });

  test('out-of-order segments wait for the hole to fill', () => {
    const { reassembler, text } = make(0);
    reassembler.insert(6, Buffer.from('CC'));
    reassembler.insert(3, Buffer.from('BBB'));
    assert.equal(text(), '');
    assert.equal(reassembler.queuedSegments, 2);
    reassembler.insert(0, Buffer.from('AAA'));
    assert.equal(text(), 'AAABBBCC');
    assert.equal(reassembler.queuedSegments, 0);
    assert.equal(reassembler.deliveredBytes, 8);
  });

  test('exact retransmissions are ignored without an anomaly', () => {
    const { reassembler, text, anomalies } = make(0);
    reassembler.insert(0, Buffer.from('abc'));
    reassembler.insert(0, Buffer.from('abc'));
    reassembler.insert(5, Buffer.from('fg'));
    reassembler.insert(5, Buffer.from('fg'));
    reassembler.insert(3, Buffer.from('de'));
    assert.equal(text(), 'abcdefg');
    assert.equal(reassembler.deliveredBytes, 7);
    assert.deepEqual(anomalies.names, []);
  });

  test('a retransmission that extends past the delivered bytes adds only the new part', () => {
    const { reassembler, text, anomalies } = make(0);
    reassembler.insert(0, Buffer.from('abcd'));
    reassembler.insert(2, Buffer.from('cdef'));
    assert.equal(text(), 'abcdef');
    assert.deepEqual(anomalies.names, []);
  });

  for (const policy of ['first', 'last'] as const) {
    test(`overlap with delivered bytes, agreeing and conflicting (${policy})`, () => {
      const { reassembler, text, anomalies } = make(0, policy);
      reassembler.insert(0, Buffer.from('abcdef'));
      reassembler.insert(2, Buffer.from('cd'));
      assert.deepEqual(anomalies.names, []);
      reassembler.insert(2, Buffer.from('XYefgh'));
      assert.deepEqual(anomalies.names, ['reassembly_overlap_mismatch']);
      assert.equal(text(), policy === 'first' ? 'abcdefgh' : 'abXYefgh');
    });

    test(`overlap in the out-of-order queue, agreeing and conflicting (${policy})`, () => {
      const { reassembler, text, anomalies } = make(0, policy);
      reassembler.insert(4, Buffer.from('efgh'));
      reassembler.insert(6, Buffer.from('gh'));
      assert.deepEqual(anomalies.names, []);
      reassembler.insert(2, Buffer.from('cdEFGHij')); // covers the queued segment entirely and beyond
      assert.deepEqual(anomalies.names, ['reassembly_overlap_mismatch']);
      reassembler.insert(0, Buffer.from('ab'));
      assert.equal(text(), policy === 'first' ? 'abcdefghij' : 'abcdEFGHij');
      assert.equal(reassembler.deliveredBytes, 10);
    });

    test(`a new segment inside a queued one splits it (${policy})`, () => {
      const { reassembler, text, anomalies } = make(0, policy);
      reassembler.insert(2, Buffer.from('cdefgh'));
      reassembler.insert(4, Buffer.from('EF'));
      reassembler.insert(0, Buffer.from('ab'));
      assert.equal(text(), policy === 'first' ? 'abcdefgh' : 'abcdEFgh');
      assert.deepEqual(anomalies.names, ['reassembly_overlap_mismatch']);
    });
  }

  test('the sequence space wraps past 0xFFFFFFFF', () => {
    const { reassembler, text } = make(0xfffffffc);
    reassembler.insert(0xfffffffc, Buffer.from('ab'));
    reassembler.insert(0x00000000, Buffer.from('ef')); // after the wrap, out of order
    reassembler.insert(0xfffffffe, Buffer.from('cd')); // fills 0xfffffffe..0xffffffff
    assert.equal(text(), 'abcdef');
    assert.equal(reassembler.expectedSequence, 2);
    reassembler.insert(0xfffffffd, Buffer.from('bc')); // old retransmission from before the wrap
    assert.equal(text(), 'abcdef');
    assert.equal(reassembler.deliveredBytes, 6);
  });

  test('a gap that never fills is skipped at finish and counted', () => {
    const { reassembler, text, anomalies } = make(0);
    reassembler.insert(0, Buffer.from('abc'));
    reassembler.insert(6, Buffer.from('ghi'));
    reassembler.insert(12, Buffer.from('mn'));
    assert.equal(text(), 'abc');
    reassembler.finish();
    assert.equal(text(), 'abcghimn');
    assert.equal(reassembler.missingBytes, 6);
    assert.equal(reassembler.deliveredBytes, 8);
    assert.deepEqual(anomalies.names, ['reassembly_gap', 'reassembly_gap']);
    reassembler.insert(3, Buffer.from('def')); // too late: ignored
    assert.equal(text(), 'abcghimn');
  });

  test('the queue limit skips the gap and carries on', () => {
    const { reassembler, text, anomalies } = make(0, 'first', { bytes: 4 });
    reassembler.insert(0, Buffer.from('ab'));
    reassembler.insert(4, Buffer.from('ef'));
    reassembler.insert(6, Buffer.from('gh'));
    assert.equal(text(), 'ab');
    reassembler.insert(8, Buffer.from('ij')); // 6 queued bytes > 4
    assert.equal(text(), 'abefghij');
    assert.equal(reassembler.missingBytes, 2);
    assert.deepEqual(anomalies.names, ['reassembly_gap']);
    reassembler.insert(10, Buffer.from('k'));
    assert.equal(text(), 'abefghijk');
  });

  test('the segment-count limit also skips the gap', () => {
    const { reassembler, text } = make(0, 'first', { segments: 2 });
    reassembler.insert(2, Buffer.from('c'));
    reassembler.insert(4, Buffer.from('e'));
    reassembler.insert(6, Buffer.from('g'));
    assert.equal(text(), 'c');
    assert.equal(reassembler.missingBytes, 2);
  });

  test('overlaps with delivered bytes are still compared after a skipped gap', () => {
    const { reassembler, text, anomalies } = make(0, 'last');
    reassembler.insert(0, Buffer.from('ab'));
    reassembler.insert(4, Buffer.from('efgh'));
    reassembler.finish();
    reassembler.insert(5, Buffer.from('FG'));
    assert.equal(text(), 'abeFGh');
    assert.deepEqual(anomalies.names, ['reassembly_gap', 'reassembly_overlap_mismatch']);
  });

  test('storeLimit cuts what is stored but keeps counting delivered bytes', () => {
    const { reassembler, text } = make(0);
    reassembler.storeLimit = 5;
    reassembler.insert(0, Buffer.from('abcd'));
    reassembler.insert(4, Buffer.from('efgh'));
    assert.equal(text(), 'abcde');
    assert.equal(reassembler.truncated, true);
    assert.equal(reassembler.deliveredBytes, 8);
  });

  test('a large stream grows its buffer and survives many wraps of the buffer size', () => {
    const { reassembler } = make(0xffff0000);
    const chunk = Buffer.alloc(1460, 7);
    let seq = 0xffff0000;
    for (let index = 0; index < 1000; index++) {
      reassembler.insert(seq, chunk);
      seq = sequenceAdd(seq, chunk.length);
    }
    assert.equal(reassembler.deliveredBytes, 1_460_000);
    assert.equal(reassembler.stream.length, 1_460_000);
  });
});
