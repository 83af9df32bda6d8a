/** The EternalBlue bound: an OS/2 FEA list whose declared size, after srv.sys's 16-bit update, is not its real extent. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { feaListOverflow } from '../../../../src/emulator/services/smb/index.ts';

function feaList(declared: number, entries: { name: number; value: number }[], total: number): Uint8Array {
  const bytes = Buffer.alloc(total);
  bytes.writeUInt32LE(declared, 0);
  let offset = 4;
  for (const entry of entries) {
    bytes[offset + 1] = entry.name;
    bytes.writeUInt16LE(entry.value, offset + 2);
    offset += 4 + entry.name + 1 + entry.value;
  }
  return bytes;
}

describe('feaListOverflow', () => {
  it('a 64 KiB declaration whose entries stop short keeps its high word: overflow', () => {
    const entries = Array.from({ length: 600 }, () => ({ name: 0, value: 100 }));
    // 600 entries of 105 bytes end at 63,004; the next header claims a value past the declared end
    entries.push({ name: 0, value: 0xf000 });
    const overflow = feaListOverflow(feaList(0x10000, entries, 0x10400));
    assert.ok(overflow);
    assert.equal(overflow.declared, 0x10000);
    assert.equal(overflow.extent, 4 + 600 * 105);
    assert.equal(overflow.truncated, 0x10000 + overflow.extent);
  });

  it('a list whose entries fill its declaration, or a short list cut short, is not an overflow', () => {
    assert.equal(feaListOverflow(feaList(4 + 3 * 105, [{ name: 0, value: 100 }, { name: 0, value: 100 }, { name: 0, value: 100 }], 4 + 3 * 105)), null);
    assert.equal(feaListOverflow(feaList(400, [{ name: 0, value: 100 }, { name: 0, value: 0x1000 }], 400)), null, 'below 64 KiB the 16-bit update is exact');
    assert.equal(feaListOverflow(new Uint8Array(2)), null);
  });
});
