import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LinkType } from '../../src/core/index.ts';
import { buildPcap, buildPcapng } from '../../src/capture/index.ts';
import { corpusCaptures, skipWithoutCorpus } from '../helpers/corpus.ts';
import { parseInChunks, payload } from './frames.ts';

const pcap = buildPcap(
  LinkType.ETHERNET,
  Array.from({ length: 40 }, (_, index) => ({ seconds: 1000 + index, nanoseconds: index * 1000, data: payload(20 + ((index * 97) % 1500), index) })),
  { precision: 'nano', byteOrder: 'big' },
);
const pcapng = buildPcapng([
  {
    blocks: [
      { kind: 'interface', linkType: LinkType.ETHERNET, snaplen: 512 },
      { kind: 'interface', linkType: LinkType.RAW, tsresol: 9 },
      ...Array.from({ length: 30 }, (_, index) => ({
        kind: 'enhanced' as const,
        interfaceId: index % 2,
        seconds: 2000 + index,
        nanoseconds: index * 1000,
        data: payload(1 + ((index * 131) % 3000), index),
      })),
      { kind: 'simple', data: payload(800, 99) },
    ],
  },
  { byteOrder: 'big', blocks: [{ kind: 'interface', linkType: LinkType.IPV4 }, { kind: 'packet', interfaceId: 0, seconds: 3, nanoseconds: 0, data: payload(33, 3) }] },
]);

describe('chunk boundaries', () => {
  for (const [name, file] of [
    ['pcap', pcap],
    ['pcapng', pcapng],
  ] as const) {
    it(`${name}: chunks of 1, 7, 4096 bytes give the same frames as one buffer`, () => {
      const whole = parseInChunks(file, file.length);
      assert.equal(whole.error, undefined);
      assert.ok(whole.frames.length > 30);
      for (const chunkBytes of [1, 2, 3, 7, 13, 4096]) {
        const chunked = parseInChunks(file, chunkBytes);
        assert.equal(chunked.error, undefined, `chunks of ${chunkBytes}`);
        assert.deepEqual(chunked.frames, whole.frames, `chunks of ${chunkBytes}`);
        assert.deepEqual(chunked.summary, whole.summary, `chunks of ${chunkBytes}`);
      }
    });
  }

  it('corpus captures read the same in chunks of 7 and 4096 bytes', { skip: skipWithoutCorpus() }, () => {
    for (const path of corpusCaptures().filter((file) => readFileSync(file).length < 300_000)) {
      const file = readFileSync(path);
      const whole = parseInChunks(file, file.length, path);
      for (const chunkBytes of [7, 4096]) {
        assert.deepEqual(parseInChunks(file, chunkBytes, path).frames, whole.frames, `${path} in chunks of ${chunkBytes}`);
      }
    }
  });
});
