/**
 * Finds the NDR conformant varying wide strings in a stub whose structure the emulator does not
 * decode field by field (DCOM activation property blobs, each serialised with its own alignment
 * base): every position where max_count, offset 0 and actual_count ≤ max_count frame a string that
 * fits the stub. A predicate on the text keeps only the strings a check cares about, so a chance
 * framing in unrelated bytes does not matter.
 */
import { NdrReader, type NdrString } from './ndr-reader.ts';

export function scanWideStrings(stub: Uint8Array, littleEndian: boolean, wanted: (text: string) => boolean): NdrString[] {
  const found: NdrString[] = [];
  const view = new DataView(stub.buffer, stub.byteOffset, stub.byteLength);
  for (let position = 0; position + 12 <= stub.length; position++) {
    const maxCount = view.getUint32(position, littleEndian);
    const offset = view.getUint32(position + 4, littleEndian);
    const actualCount = view.getUint32(position + 8, littleEndian);
    if (offset !== 0 || actualCount === 0 || actualCount > maxCount || position + 12 + actualCount * 2 > stub.length) continue;
    const reader = new NdrReader(stub.subarray(position), littleEndian);
    const candidate = reader.wideString();
    if (reader.overrun || !wanted(candidate.text)) continue;
    found.push({ ...candidate, dataOffset: position + candidate.dataOffset });
    position += 11 + actualCount * 2; // the string's own bytes hold no further string
  }
  return found;
}
