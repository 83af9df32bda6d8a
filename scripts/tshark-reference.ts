/**
 * Reference outputs from tshark for one capture, cached by the file's SHA-256 under
 * .cache/tshark-ref/<sha256>/ (gitignored: capture content and anything derived from it must never be
 * committed, several corpus licences forbid it).
 *
 * What it records:
 * - conversations: `tshark -q -z conv,tcp -z conv,udp`, one row per tshark conversation, with exact
 *   frame and byte counts per direction. tshark 4.0 prints bytes with SI units once they reach 10 000
 *   ("1573 kB", truncated, not rounded) and has no option for raw numbers, so the exact byte totals come
 *   from a second pass over the same file (`-T fields -e frame.len …`, frames inside ICMP errors left
 *   out as conv leaves them out). Every conv row is checked against that pass: frames must be equal and
 *   bytes must print the same way, else generation fails loudly rather than producing a wrong reference.
 * - streams: per tcp.stream, the reassembled bytes each endpoint sent (`-z follow,tcp,raw,N`, many
 *   streams per tshark run).
 *
 * Column order of conv (checked on a broadcast-only capture where only A sends): the first
 * frames/bytes pair is B→A ("<-"), the second is A→B ("->").
 *
 * Usage: tsx scripts/tshark-reference.ts FILE... [--force]   (prints a one-line summary per file)
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const FORMAT_VERSION = 2;
/** follow options per tshark run: each one is a tap that keeps its stream's bytes in memory */
const FOLLOW_BATCH = 400;
const MAX_BUFFER = 1024 * 1024 * 1024;

export interface ConvEndpoint {
  ip: string;
  port: number;
}

export interface Conversation {
  proto: 'tcp' | 'udp';
  a: ConvEndpoint;
  b: ConvEndpoint;
  framesAtoB: number;
  bytesAtoB: number;
  framesBtoA: number;
  bytesBtoA: number;
  /** seconds since the first frame of the capture, as tshark prints it */
  relativeStart: number;
}

export interface TcpStreamReference {
  stream: number;
  /** endpoints as the first frame of the stream had them (source first) */
  first: ConvEndpoint;
  second: ConvEndpoint;
  /** bytes `first` sent, as tshark reassembled them */
  fromFirst: Buffer;
  fromSecond: Buffer;
}

export interface TsharkReference {
  file: string;
  sha256: string;
  tsharkVersion: string;
  conversations: Conversation[];
  streams: TcpStreamReference[];
}

interface CachedIndex {
  formatVersion: number;
  file: string;
  sha256: string;
  tsharkVersion: string;
  conversations: Conversation[];
  streams: { stream: number; first: ConvEndpoint; second: ConvEndpoint }[];
}

export function defaultCacheDir(): string {
  return resolve(fileURLToPath(new URL('..', import.meta.url)), '.cache', 'tshark-ref');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Returns the reference for `file`, from the cache when the file's hash is already there. */
export async function tsharkReference(file: string, options: { cacheDir?: string; force?: boolean } = {}): Promise<TsharkReference> {
  const sha256 = await sha256File(file);
  const dir = join(options.cacheDir ?? defaultCacheDir(), sha256);
  const indexPath = join(dir, 'index.json');
  if (!options.force && existsSync(indexPath)) {
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as CachedIndex;
    if (index.formatVersion === FORMAT_VERSION) return loadCached(dir, index, file);
  }
  const reference = await generate(file, sha256);
  store(dir, reference);
  return reference;
}

function loadCached(dir: string, index: CachedIndex, file: string): TsharkReference {
  return {
    file,
    sha256: index.sha256,
    tsharkVersion: index.tsharkVersion,
    conversations: index.conversations,
    streams: index.streams.map((stream) => ({
      ...stream,
      fromFirst: readFileSync(join(dir, `${stream.stream}.first.bin`)),
      fromSecond: readFileSync(join(dir, `${stream.stream}.second.bin`)),
    })),
  };
}

function store(dir: string, reference: TsharkReference): void {
  // write beside, then rename: a test killed half-way never leaves a half cache behind
  const temporary = `${dir}.tmp-${process.pid}`;
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary, { recursive: true });
  for (const stream of reference.streams) {
    writeFileSync(join(temporary, `${stream.stream}.first.bin`), stream.fromFirst);
    writeFileSync(join(temporary, `${stream.stream}.second.bin`), stream.fromSecond);
  }
  const index: CachedIndex = {
    formatVersion: FORMAT_VERSION,
    file: basename(reference.file),
    sha256: reference.sha256,
    tsharkVersion: reference.tsharkVersion,
    conversations: reference.conversations,
    streams: reference.streams.map(({ stream, first, second }) => ({ stream, first, second })),
  };
  writeFileSync(join(temporary, 'index.json'), JSON.stringify(index));
  rmSync(dir, { recursive: true, force: true });
  renameSync(temporary, dir);
}

async function tshark(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('tshark', ['-n', ...args], { maxBuffer: MAX_BUFFER, encoding: 'utf8' });
  return stdout;
}

let versionPromise: Promise<string> | null = null;

function cachedVersion(): Promise<string> {
  versionPromise ??= tsharkVersion();
  return versionPromise;
}

export async function tsharkVersion(): Promise<string> {
  const text = await tshark(['--version']);
  return /TShark \(Wireshark\) (\S+)/.exec(text)?.[1] ?? 'unknown';
}

async function generate(file: string, sha256: string): Promise<TsharkReference> {
  // one pass prints the per-frame fields, then (after the frames) the conv tables: tshark's start-up
  // costs more than reading a corpus file, so every saved run counts
  const [version, output] = await Promise.all([
    cachedVersion(),
    tshark(['-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', ...FIELDS.flatMap((field) => ['-e', field]), '-z', 'conv,tcp', '-z', 'conv,udp']),
  ]);
  const statsStart = output.search(/^={10,}$/m);
  const fieldsText = statsStart < 0 ? output : output.slice(0, statsStart);
  const convText = statsStart < 0 ? '' : output.slice(statsStart);
  const frames = parseFields(fieldsText);
  const conversations = exactConversations(parseConv(convText), frames, file);
  const streams = await followStreams(file, frames);
  return { file, sha256, tsharkVersion: version, conversations, streams };
}

// ---- conv ----------------------------------------------------------------------------------

/** A conv row as printed: bytes may be "644 bytes" (exact) or "11 kB" (truncated to the unit). */
export interface PrintedConversation {
  proto: 'tcp' | 'udp';
  a: ConvEndpoint;
  b: ConvEndpoint;
  framesBtoA: number;
  printedBytesBtoA: string;
  framesAtoB: number;
  printedBytesAtoB: string;
  relativeStart: number;
}

const ROW = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+ (?:bytes|[kMGT]B))\s+(\d+)\s+(\d+ (?:bytes|[kMGT]B))\s+(\d+)\s+(\d+ (?:bytes|[kMGT]B))\s+(\S+)\s+(\S+)\s*$/;

export function parseConv(text: string): PrintedConversation[] {
  const rows: PrintedConversation[] = [];
  let proto: 'tcp' | 'udp' | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('TCP Conversations')) proto = 'tcp';
    else if (line.startsWith('UDP Conversations')) proto = 'udp';
    else if (line.startsWith('====')) continue;
    const match = ROW.exec(line);
    if (!match || !proto) continue;
    rows.push({
      proto,
      a: parseEndpoint(match[1]!),
      b: parseEndpoint(match[2]!),
      framesBtoA: Number(match[3]),
      printedBytesBtoA: match[4]!,
      framesAtoB: Number(match[5]),
      printedBytesAtoB: match[6]!,
      relativeStart: Number(match[9]),
    });
  }
  return rows;
}

/** "10.0.0.1:80", "fe80::1:5353" (tshark 4.0 prints IPv6 without brackets: the port is after the last colon) */
export function parseEndpoint(text: string): ConvEndpoint {
  const colon = text.lastIndexOf(':');
  const ip = text.slice(0, colon).replace(/^\[|\]$/g, '');
  return { ip, port: Number(text.slice(colon + 1)) };
}

const UNIT: Record<string, number> = { bytes: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** The exact byte counts a list of printed values can stand for, summed: [lowest, highest]. */
function sumRanges(printed: string[]): [number, number] {
  let low = 0;
  let high = 0;
  for (const text of printed) {
    const [value, unit] = text.split(' ');
    const scale = UNIT[unit!] ?? 1;
    low += Number(value) * scale;
    high += Number(value) * scale + scale - 1;
  }
  return [low, high];
}

// ---- per-frame pass --------------------------------------------------------------------------

const FIELDS = [
  'frame.len',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  'tcp.stream',
  'icmp.type',
  'icmpv6.type',
  'frame.number',
];

interface FrameFacts {
  number: number;
  length: number;
  proto: 'tcp' | 'udp' | null;
  src: ConvEndpoint;
  dst: ConvEndpoint;
  tcpStream: number;
}

function last(field: string): string {
  const parts = field.split(',');
  return parts[parts.length - 1] ?? '';
}

function parseFields(text: string): FrameFacts[] {
  const frames: FrameFacts[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [length, ipSrc, ipDst, ip6Src, ip6Dst, tcpSrc, tcpDst, udpSrc, udpDst, stream, icmpType, icmp6Type, number] = line.split('\t');
    // conv leaves out TCP/UDP headers quoted inside ICMP errors; so do we
    const inIcmpError = (icmpType ?? '') !== '' || (icmp6Type ?? '') !== '';
    const proto = inIcmpError ? null : tcpSrc ? 'tcp' : udpSrc ? 'udp' : null;
    // the innermost IP header carries the transport header; IPv6 wins only when there is no IPv4 inside it
    const v6 = (ip6Src ?? '') !== '' && (ipSrc ?? '') === '';
    const srcIp = v6 ? last(ip6Src!) : last(ipSrc ?? '');
    const dstIp = v6 ? last(ip6Dst!) : last(ipDst ?? '');
    frames.push({
      number: Number(number),
      length: Number(length),
      proto,
      src: { ip: srcIp, port: Number(last(proto === 'tcp' ? tcpSrc! : (udpSrc ?? ''))) },
      dst: { ip: dstIp, port: Number(last(proto === 'tcp' ? tcpDst! : (udpDst ?? ''))) },
      tcpStream: proto === 'tcp' && stream ? Number(last(stream)) : -1,
    });
  }
  return frames;
}

function endpointKey(endpoint: ConvEndpoint): string {
  return `${endpoint.ip}|${endpoint.port}`;
}

export function directedKey(proto: string, src: ConvEndpoint, dst: ConvEndpoint): string {
  return `${proto} ${endpointKey(src)} > ${endpointKey(dst)}`;
}

/**
 * One entry per address+port pair (the unit the equality test compares) with exact counts from the
 * frame pass. tshark may split a pair into several conv rows (port reuse); frames are checked on the
 * pair's sum, bytes against the range the printed (truncated) values allow.
 */
function exactConversations(rows: PrintedConversation[], frames: FrameFacts[], file: string): Conversation[] {
  const exact = new Map<string, { frames: number; bytes: number }>();
  for (const frame of frames) {
    if (!frame.proto) continue;
    const key = directedKey(frame.proto, frame.src, frame.dst);
    const entry = exact.get(key) ?? { frames: 0, bytes: 0 };
    entry.frames++;
    entry.bytes += frame.length;
    exact.set(key, entry);
  }
  // sum the printed rows per directed pair to check frames; byte checks need one row per pair
  const printedFrames = new Map<string, number>();
  const rowsPerPair = new Map<string, PrintedConversation[]>();
  for (const row of rows) {
    const ab = directedKey(row.proto, row.a, row.b);
    const ba = directedKey(row.proto, row.b, row.a);
    printedFrames.set(ab, (printedFrames.get(ab) ?? 0) + row.framesAtoB);
    printedFrames.set(ba, (printedFrames.get(ba) ?? 0) + row.framesBtoA);
    rowsPerPair.set(ab, [...(rowsPerPair.get(ab) ?? []), row]);
  }
  const problems: string[] = [];
  for (const [key, count] of printedFrames) {
    const mine = exact.get(key)?.frames ?? 0;
    if (mine !== count) problems.push(`${key}: conv says ${count} frames, frame pass found ${mine}`);
  }
  for (const [key, entry] of exact) {
    if (!printedFrames.has(key) && entry.frames > 0) problems.push(`${key}: frame pass found ${entry.frames} frames, conv has no row`);
  }
  const out: Conversation[] = [];
  for (const [pairKey, pairRows] of rowsPerPair) {
    const first = pairRows[0]!;
    const ab = exact.get(directedKey(first.proto, first.a, first.b)) ?? { frames: 0, bytes: 0 };
    const ba = exact.get(directedKey(first.proto, first.b, first.a)) ?? { frames: 0, bytes: 0 };
    const rangeAtoB = sumRanges(pairRows.map((row) => row.printedBytesAtoB));
    const rangeBtoA = sumRanges(pairRows.map((row) => row.printedBytesBtoA));
    if (ab.bytes < rangeAtoB[0] || ab.bytes > rangeAtoB[1] || ba.bytes < rangeBtoA[0] || ba.bytes > rangeBtoA[1]) {
      const printed = pairRows.map((row) => `${row.printedBytesAtoB} / ${row.printedBytesBtoA}`).join(' + ');
      problems.push(`${pairKey}: conv prints ${printed}, frame pass gives ${ab.bytes} / ${ba.bytes}`);
    }
    out.push({
      proto: first.proto,
      a: first.a,
      b: first.b,
      framesAtoB: ab.frames,
      bytesAtoB: ab.bytes,
      framesBtoA: ba.frames,
      bytesBtoA: ba.bytes,
      relativeStart: Math.min(...pairRows.map((row) => row.relativeStart)),
    });
  }
  if (problems.length > 0) {
    throw new Error(`tshark reference for ${file}: conv and the frame pass disagree:\n  ${problems.slice(0, 20).join('\n  ')}`);
  }
  return out;
}

// ---- follow ----------------------------------------------------------------------------------

async function followStreams(file: string, frames: FrameFacts[]): Promise<TcpStreamReference[]> {
  const firstFrame = new Map<number, FrameFacts>();
  for (const frame of frames) {
    if (frame.tcpStream >= 0 && !firstFrame.has(frame.tcpStream)) firstFrame.set(frame.tcpStream, frame);
  }
  const ids = [...firstFrame.keys()].sort((x, y) => x - y);
  const followed = new Map<number, ParsedFollow>();
  const batches: number[][] = [];
  for (let start = 0; start < ids.length; start += FOLLOW_BATCH) batches.push(ids.slice(start, start + FOLLOW_BATCH));
  for (const batch of batches) {
    const text = await tshark(['-r', file, '-q', ...batch.flatMap((id) => ['-z', `follow,tcp,raw,${id}`])]);
    for (const follow of parseFollow(text)) followed.set(follow.stream, follow);
  }
  return ids.map((id) => {
    const frame = firstFrame.get(id)!;
    const follow = followed.get(id);
    if (!follow) throw new Error(`tshark reference for ${file}: no follow output for tcp.stream ${id}`);
    const firstKey = endpointKey(frame.src);
    // a node header of ":0" means that node sent nothing; otherwise match it by address and port
    const node0IsFirst = follow.node0 === null ? follow.node1 !== null && endpointKey(follow.node1) !== firstKey : endpointKey(follow.node0) === firstKey;
    return {
      stream: id,
      first: frame.src,
      second: frame.dst,
      fromFirst: node0IsFirst ? follow.fromNode0 : follow.fromNode1,
      fromSecond: node0IsFirst ? follow.fromNode1 : follow.fromNode0,
    };
  });
}

interface ParsedFollow {
  stream: number;
  node0: ConvEndpoint | null;
  node1: ConvEndpoint | null;
  fromNode0: Buffer;
  fromNode1: Buffer;
}

/** Parses `-z follow,tcp,raw,N` blocks: node 0's chunks start at column 0, node 1's after a tab. */
export function parseFollow(text: string): ParsedFollow[] {
  const out: ParsedFollow[] = [];
  let current: { stream: number; node0: ConvEndpoint | null; node1: ConvEndpoint | null; chunks0: Buffer[]; chunks1: Buffer[] } | null = null;
  const finish = (): void => {
    if (current) out.push({ stream: current.stream, node0: current.node0, node1: current.node1, fromNode0: Buffer.concat(current.chunks0), fromNode1: Buffer.concat(current.chunks1) });
    current = null;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('=====')) continue;
    if (line.startsWith('Follow: ')) {
      finish();
      continue;
    }
    const filter = /^Filter: tcp\.stream eq (\d+)/.exec(line);
    if (filter) {
      current = { stream: Number(filter[1]), node0: null, node1: null, chunks0: [], chunks1: [] };
      continue;
    }
    if (!current) continue;
    const node = /^Node ([01]): (.*)$/.exec(line);
    if (node) {
      const endpoint = node[2] === ':0' ? null : parseEndpoint(node[2]!);
      if (node[1] === '0') current.node0 = endpoint;
      else current.node1 = endpoint;
      continue;
    }
    if (line === '') continue;
    const state: { chunks0: Buffer[]; chunks1: Buffer[] } = current;
    if (line.startsWith('\t')) state.chunks1.push(Buffer.from(line.slice(1), 'hex'));
    else state.chunks0.push(Buffer.from(line, 'hex'));
  }
  finish();
  return out;
}

// ---- command line ----------------------------------------------------------------------------

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const force = process.argv.includes('--force');
  if (files.length === 0) {
    console.error('usage: tsx scripts/tshark-reference.ts FILE... [--force]');
    process.exit(2);
  }
  let failed = 0;
  for (const file of files) {
    const started = Date.now();
    try {
      const reference = await tsharkReference(file, { force });
      const bytes = reference.streams.reduce((sum, stream) => sum + stream.fromFirst.length + stream.fromSecond.length, 0);
      console.log(`${basename(file)}: ${reference.conversations.length} conversations, ${reference.streams.length} tcp streams (${bytes} bytes) in ${Date.now() - started} ms → ${join(defaultCacheDir(), reference.sha256)}`);
    } catch (error) {
      failed++;
      console.error(`${basename(file)}: ${(error as Error).message}`);
    }
  }
  process.exit(failed > 0 ? 1 : 0);
}
