import { ByteReader } from './byte-reader.ts';

export interface FeaListOverflow {
  /** SizeOfListInBytes as the client declared it */
  declared: number;
  /** where the last complete entry ends: the list's real extent */
  extent: number;
  /** what srv.sys stores back after its 16-bit write: the size it goes on to convert */
  truncated: number;
}

/**
 * srv.sys's SrvOs2FeaListSizeToNt walks an OS/2 FEA list ([MS-CIFS] 2.2.1.2.2) up to its declared
 * size; when an entry runs past that end it shrinks the declared size to the real extent, but writes
 * only the low 16 bits. A list declared at 64 KiB or more whose entries stop short of it therefore
 * keeps a size larger than what was measured, and SrvOs2FeaListToNt copies past the buffer it
 * allocated (MS17-010, CVE-2017-0144). Returns the overflow, or null when the sizes agree.
 */
export function feaListOverflow(data: Uint8Array): FeaListOverflow | null {
  const reader = new ByteReader(data);
  const declared = reader.u32(0);
  if (declared === undefined) return null;
  const end = Math.min(declared, data.length);
  let offset = 4;
  let stoppedEarly = false;
  while (offset < end) {
    const nameLength = reader.u8(offset + 1);
    const valueLength = reader.u16(offset + 2);
    if (offset + 4 > end || nameLength === undefined || valueLength === undefined) {
      stoppedEarly = true;
      break;
    }
    const entryEnd = offset + 4 + nameLength + 1 + valueLength;
    if (entryEnd > end) {
      stoppedEarly = true;
      break;
    }
    offset = entryEnd;
  }
  if (!stoppedEarly && declared <= data.length) return null;
  const extent = offset;
  const truncated = ((declared & 0xffff0000) | (extent & 0xffff)) >>> 0;
  return truncated === extent ? null : { declared, extent, truncated };
}
