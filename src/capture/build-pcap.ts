import { PcapEncoder, type FrameLike, type PcapFormatOptions } from './pcap-encoder.ts';

/** A whole pcap file in memory, for tests and small evidence files. */
export function buildPcap(linkType: number, frames: readonly FrameLike[], options: Omit<PcapFormatOptions, 'linkType'> = {}): Buffer {
  const encoder = new PcapEncoder({ ...options, linkType });
  const header = encoder.fileHeader();
  let total = header.length;
  for (const frame of frames) total += encoder.recordLength(frame);
  const file = Buffer.alloc(total);
  let offset = header.copy(file, 0);
  for (const frame of frames) offset += encoder.encodeRecord(frame, file, offset);
  return file;
}
