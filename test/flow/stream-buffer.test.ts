import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamBuffer } from '../../src/flow/index.ts';

function filled(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let index = 0; index < length; index++) out[index] = (index * 31 + seed) & 255;
  return out;
}

test('chunks grow without copying and views across chunks are exact', () => {
  const buffer = new StreamBuffer();
  const parts = [filled(700, 1), filled(700, 2), filled(5000, 3), filled(30, 4), filled(20000, 5)];
  for (const part of parts) assert.equal(buffer.append(part, 0, part.length, Number.MAX_SAFE_INTEGER), part.length);
  const whole = Buffer.concat(parts);
  assert.equal(buffer.length, whole.length);
  assert.ok(buffer.capacity >= whole.length);
  assert.deepEqual(buffer.view(0, whole.length), whole);
  for (const [start, end] of [[0, 1024], [1000, 1100], [1023, 1025], [5000, 6500], [6400, 25000]]) {
    assert.deepEqual(buffer.view(start, end), whole.subarray(start, end), `${start}..${end}`);
  }
});

test('matches and overwrite work across chunk boundaries', () => {
  const buffer = new StreamBuffer();
  const data = filled(3000, 9);
  buffer.append(data, 0, 1500, Number.MAX_SAFE_INTEGER);
  buffer.append(data, 1500, 3000, Number.MAX_SAFE_INTEGER);
  assert.ok(buffer.matches(1000, data, 1000, 2000));
  const changed = Buffer.from(data.subarray(1000, 2000));
  changed[500] ^= 0xff;
  assert.ok(!buffer.matches(1000, changed, 0, 1000));
  buffer.overwrite(1000, changed, 0, 1000);
  assert.ok(buffer.matches(1000, changed, 0, 1000));
  assert.equal(buffer.view(1500, 1501)[0], data[1500] ^ 0xff);
});

test('the limit caps what is stored and what is reserved', () => {
  const buffer = new StreamBuffer();
  assert.equal(buffer.append(filled(100, 0), 0, 100, 60), 60);
  assert.equal(buffer.append(filled(100, 0), 0, 100, 60), 0);
  assert.equal(buffer.length, 60);
  assert.equal(buffer.capacity, 60);
});
