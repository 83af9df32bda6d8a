/**
 * Hostile input: thousands of randomly damaged files (seeded, so failures reproduce). Each must
 * either read or fail with a CrashtestError; never a RangeError, a hang, or a huge allocation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isCrashtestError, LinkType } from '../../src/core/index.ts';
import { buildPcap, buildPcapng } from '../../src/capture/index.ts';
import { parseInChunks, payload } from './frames.ts';
import { seededRandom } from '../helpers/random.ts';

const random = seededRandom;

const samples = {
  pcap: buildPcap(
    LinkType.ETHERNET,
    Array.from({ length: 12 }, (_, index) => ({ seconds: index, nanoseconds: index, data: payload(10 + index * 30, index) })),
    { precision: 'nano' },
  ),
  pcapng: buildPcapng([
    {
      blocks: [
        { kind: 'interface', linkType: LinkType.ETHERNET, snaplen: 200, tsresol: 0x80 | 10, name: 'x' },
        { kind: 'enhanced', interfaceId: 0, seconds: 5, nanoseconds: 7, data: payload(90, 1), comment: 'c' },
        { kind: 'simple', data: payload(300, 2) },
        { kind: 'packet', interfaceId: 0, seconds: 6, nanoseconds: 8, data: payload(20, 3) },
        { kind: 'statistics', interfaceId: 0, ifDrop: 4 },
      ],
    },
    { byteOrder: 'big', blocks: [{ kind: 'interface', linkType: LinkType.RAW, tsresol: 12 }, { kind: 'enhanced', interfaceId: 0, seconds: 9, nanoseconds: 1, data: payload(64, 4) }] },
  ]),
};

describe('randomly damaged files', () => {
  for (const [name, sample] of Object.entries(samples)) {
    it(`${name}: every mutation reads or fails with a CrashtestError`, () => {
      const next = random(name.length * 7919);
      for (let round = 0; round < 3000; round += 1) {
        const file = Buffer.from(sample);
        const edits = 1 + Math.floor(next() * 4);
        for (let edit = 0; edit < edits; edit += 1) {
          const at = Math.floor(next() * file.length);
          // mostly single bytes; sometimes a whole 32-bit field set to an extreme
          if (next() < 0.7) file[at] = Math.floor(next() * 256);
          else if (at + 4 <= file.length) file.writeUInt32LE([0, 0xffffffff, 0x7ffffffc, 12, 0x10000000][Math.floor(next() * 5)], at & ~3);
        }
        const cut = next() < 0.3 ? Math.floor(next() * file.length) : file.length;
        const chunkBytes = [1, 5, 64, file.length][Math.floor(next() * 4)] || 1;
        const { error } = parseInChunks(file.subarray(0, cut), chunkBytes, `${name}-${round}`);
        if (error !== undefined) assert.ok(isCrashtestError(error), `round ${round}: ${String(error)}`);
      }
    });
  }
});
