/**
 * Builds the benchmark captures in bench/out/ (gitignored), reusing a file whose name already says
 * what it holds. Nothing of the corpus is committed: the ingest capture is made from it on demand.
 */
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PcapWriter, readCaptureFile } from '../src/capture/index.ts';
import { LinkType } from '../src/core/index.ts';

export const benchOutDir = resolve(fileURLToPath(new URL('./out', import.meta.url)));

const ETHER_TYPE_IPV4 = 0x0800;
const ETHERNET_HEADER = 14;

interface TemplateFrame {
  /** microseconds since the start of its file */
  offsetMicros: number;
  data: Buffer;
  originalLength: number;
}

interface TemplateFile {
  frames: TemplateFrame[];
  durationMicros: number;
}

/** Two hours: longer than every idle timeout in the default config. */
const MAX_GAP_MICROS = 2 * 3600 * 1e6;

/** The Ethernet-linktype, untagged IPv4 frames of each capture, with times relative to the file's first frame. */
export async function loadIpv4Templates(files: readonly string[]): Promise<TemplateFile[]> {
  const templates: TemplateFile[] = [];
  for (const file of files) {
    const frames: TemplateFrame[] = [];
    let first = -1;
    // Gaps longer than MAX_GAP_MICROS are shortened to it: one corpus file spans six years, and
    // repeating that would push times past the pcap format's 32-bit seconds, which wrap to 1970 and
    // make capture time run backwards. Any gap over the longest idle timeout behaves the same.
    let previous = -1;
    let shift = 0;
    try {
      await readCaptureFile(file, (frame) => {
        if (frame.linkType !== LinkType.ETHERNET || frame.data.length < ETHERNET_HEADER + 20) return;
        if (frame.data.readUInt16BE(12) !== ETHER_TYPE_IPV4 || frame.data[ETHERNET_HEADER]! >> 4 !== 4) return;
        const micros = frame.seconds * 1e6 + Math.floor(frame.nanoseconds / 1000);
        if (first < 0) first = micros;
        if (previous >= 0 && micros - previous > MAX_GAP_MICROS) shift += micros - previous - MAX_GAP_MICROS;
        previous = micros;
        frames.push({ offsetMicros: micros - first - shift, data: Buffer.from(frame.data), originalLength: frame.originalLength });
      });
    } catch {
      continue; // a broken corpus file is the corpus test's business, not the benchmark's
    }
    if (frames.length === 0) continue;
    const durationMicros = Math.max(...frames.map((frame) => frame.offsetMicros));
    templates.push({ frames, durationMicros });
  }
  return templates;
}

/**
 * Repeats the templates until the file holds at least `targetBytes`. Repetition r XORs the middle two
 * octets of every IPv4 source and destination with r (a bijection, so both directions of a flow stay
 * one flow and repetitions never share a flow), fixes the IPv4 header checksum and the TCP/UDP checksum
 * incrementally (RFC 1624; non-first fragments carry no transport header and are left alone), and
 * shifts times so each file's frames follow the previous file's after a 1 s gap.
 */
export async function buildIngestCapture(templates: TemplateFile[], targetBytes: number): Promise<{ path: string; bytes: number; frames: number; reused: boolean }> {
  const path = join(benchOutDir, `ingest-${Math.round(targetBytes / 2 ** 20)}MiB.pcap`);
  if (existsSync(path)) return { path, bytes: statSync(path).size, frames: -1, reused: true };
  mkdirSync(benchOutDir, { recursive: true });
  const partial = `${path}.partial`;
  const writer = await PcapWriter.open(partial, { linkType: LinkType.ETHERNET, precision: 'micro' });
  let bytes = 24;
  let frames = 0;
  let clockMicros = 1_600_000_000 * 1e6;
  const scratch = Buffer.alloc(262_144);
  for (let repetition = 1; bytes < targetBytes; repetition++) {
    const mask = (repetition & 0xffff) << 8;
    for (const template of templates) {
      for (const frame of template.frames) {
        const data = scratch.subarray(0, frame.data.length);
        frame.data.copy(data);
        rewriteIpv4(data, ETHERNET_HEADER, mask);
        const micros = clockMicros + frame.offsetMicros;
        const seconds = Math.floor(micros / 1e6);
        if (!writer.write({ seconds, nanoseconds: (micros - seconds * 1e6) * 1000, data, originalLength: frame.originalLength })) await writer.flush();
        bytes += 16 + data.length;
        frames++;
      }
      clockMicros += template.durationMicros + 1_000_000;
    }
  }
  await writer.close();
  renameSync(partial, path);
  return { path, bytes, frames, reused: false };
}

/** XORs both IPv4 addresses with `mask` and patches the checksums that cover them. */
export function rewriteIpv4(data: Buffer, ip: number, mask: number): void {
  const headerLength = (data[ip]! & 0x0f) * 4;
  if (headerLength < 20 || ip + headerLength > data.length) return;
  const oldWords = [data.readUInt16BE(ip + 12), data.readUInt16BE(ip + 14), data.readUInt16BE(ip + 16), data.readUInt16BE(ip + 18)];
  data.writeUInt32BE((data.readUInt32BE(ip + 12) ^ mask) >>> 0, ip + 12);
  data.writeUInt32BE((data.readUInt32BE(ip + 16) ^ mask) >>> 0, ip + 16);
  const newWords = [data.readUInt16BE(ip + 12), data.readUInt16BE(ip + 14), data.readUInt16BE(ip + 16), data.readUInt16BE(ip + 18)];
  patchChecksum(data, ip + 10, oldWords, newWords);
  const fragmentOffset = data.readUInt16BE(ip + 6) & 0x1fff;
  if (fragmentOffset !== 0) return;
  const protocol = data[ip + 9];
  const transport = ip + headerLength;
  if (protocol === 6 && transport + 18 <= data.length) patchChecksum(data, transport + 16, oldWords, newWords);
  else if (protocol === 17 && transport + 8 <= data.length && data.readUInt16BE(transport + 6) !== 0) patchChecksum(data, transport + 6, oldWords, newWords);
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over each changed 16-bit word. */
function patchChecksum(data: Buffer, at: number, oldWords: number[], newWords: number[]): void {
  let sum = ~data.readUInt16BE(at) & 0xffff;
  for (let index = 0; index < oldWords.length; index++) sum += (~oldWords[index]! & 0xffff) + newWords[index]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  data.writeUInt16BE(~sum & 0xffff, at);
}

/**
 * `flows` TCP SYNs, each from a distinct source (10.a.b.c:port toward 192.0.2.1:80), 1 µs apart: a
 * SYN flood that never completes a handshake, so every flow stays embryonic until evicted.
 */
export async function buildSynFloodCapture(flows: number): Promise<{ path: string; bytes: number; reused: boolean }> {
  const path = join(benchOutDir, `synflood-${flows}.pcap`);
  if (existsSync(path)) return { path, bytes: statSync(path).size, reused: true };
  mkdirSync(benchOutDir, { recursive: true });
  const partial = `${path}.partial`;
  const writer = await PcapWriter.open(partial, { linkType: LinkType.ETHERNET, precision: 'micro' });
  const frame = synTemplate();
  const startMicros = 1_600_000_000 * 1e6;
  for (let index = 0; index < flows; index++) {
    const host = 1 + Math.floor(index / 50_000); // 50 000 ports per source address
    const port = 1024 + (index % 50_000);
    frame.writeUInt32BE((0x0a000000 | host) >>> 0, 26);
    frame.writeUInt16BE(port, 34);
    frame.writeUInt32BE((index * 2654435761) >>> 0, 38);
    frame.writeUInt16BE(0, 24);
    frame.writeUInt16BE(ipChecksum(frame, 14, 20), 24);
    const micros = startMicros + index;
    const seconds = Math.floor(micros / 1e6);
    if (!writer.write({ seconds, nanoseconds: (micros - seconds * 1e6) * 1000, data: frame })) await writer.flush();
  }
  await writer.close();
  renameSync(partial, path);
  return { path, bytes: statSync(path).size, reused: false };
}

function synTemplate(): Buffer {
  const frame = Buffer.alloc(54);
  Buffer.from('0200000000010200000000020800', 'hex').copy(frame, 0);
  frame[14] = 0x45;
  frame.writeUInt16BE(40, 16); // total length
  frame[22] = 64; // TTL
  frame[23] = 6; // TCP
  frame.writeUInt32BE(0xc0000201, 30); // 192.0.2.1
  frame.writeUInt16BE(80, 36);
  frame[46] = 0x50; // data offset 5 words
  frame[47] = 0x02; // SYN
  frame.writeUInt16BE(64_240, 48);
  return frame;
}

function ipChecksum(data: Buffer, offset: number, length: number): number {
  let sum = 0;
  for (let index = offset; index < offset + length; index += 2) sum += data.readUInt16BE(index);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
