/**
 * Hostile input through capture → decode → flow. Nothing may throw out of decode or flow; the capture
 * reader may only reject a broken file with a CrashtestError naming the file and byte offset; every
 * run is bounded in time; the flow table and fragment store stay under their caps.
 *
 * Seeded: the seed is in each test's name, and CRASHTEST_FUZZ_SEED=<n> replays one. Under `npm test`
 * the sample is small (a few seconds); CRASHTEST_FUZZ_LONG=1 (`npm run fuzz:long`) runs 50 times more.
 * Frames come from the corpus when it is there, else from the project's packet builders.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildPcap, parseCaptureBuffer } from '../../src/capture/index.ts';
import { validateConfig } from '../../src/config/index.ts';
import { Counters, isCrashtestError, LinkType, TcpFlag, type Frame, type Session } from '../../src/core/index.ts';
import { runSessionsJob } from '../../src/daemon/index.ts';
import { PacketDecoder } from '../../src/decode/index.ts';
import { FLOW_BASE_BYTES, FlowTable } from '../../src/flow/index.ts';
import { corpusCaptures } from '../helpers/corpus.ts';
import { ethernet, ipv4, ipv6, tcp, udp } from '../helpers/packets.ts';
import { seededRandom } from '../helpers/random.ts';

const LONG = process.env.CRASHTEST_FUZZ_LONG === '1';
const SCALE = LONG ? 50 : 1;
const SEED = Number(process.env.CRASHTEST_FUZZ_SEED ?? 20_261_126);

/** Small caps so the fuzz reaches them. */
const config = validateConfig({
  decode: { fragmentMemcapBytes: 256 * 1024, maxFragmentsPerDatagram: 64 },
  flow: { maxFlows: 2_000, memcapBytes: 8 * 1024 * 1024, reassemblyDepthBytes: 256 * 1024, tcpIdleTimeoutMs: 60_000 },
});

const random = seededRandom;

interface SeedFrame {
  linkType: number;
  data: Buffer;
}

function syntheticFrames(): SeedFrame[] {
  const tcpFrame = (flags: number, payload: Buffer): Buffer =>
    ethernet('02:00:00:00:00:01', '02:00:00:00:00:02', 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6 }, tcp({ srcPort: 1234, dstPort: 80, seq: 1, flags }, payload)));
  const frames = [
    tcpFrame(TcpFlag.SYN, Buffer.alloc(0)),
    tcpFrame(TcpFlag.ACK | TcpFlag.PSH, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
    ethernet('02:00:00:00:00:01', '02:00:00:00:00:02', 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.3', protocol: 17, moreFragments: true, id: 7 }, udp({ srcPort: 53, dstPort: 53 }, Buffer.alloc(64, 1)))),
    ethernet('02:00:00:00:00:01', '02:00:00:00:00:02', 0x86dd, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 17 }, udp({ srcPort: 5000, dstPort: 53 }, Buffer.from('query')))),
  ];
  return frames.map((data) => ({ linkType: LinkType.ETHERNET, data }));
}

function corpusFrames(limit: number): SeedFrame[] {
  const frames: SeedFrame[] = [];
  for (const file of corpusCaptures()) {
    try {
      parseCaptureBuffer(readFileSync(file), (frame) => {
        if (frames.length < limit) frames.push({ linkType: frame.linkType, data: Buffer.from(frame.data) });
      });
    } catch {
      // a corpus file the reader rejects still gave its frames before the fault
    }
  }
  return frames;
}

const seeds = (() => {
  const fromCorpus = corpusFrames(40_000);
  return fromCorpus.length > 0 ? fromCorpus : syntheticFrames();
})();

const LINK_TYPES = Object.values(LinkType);

/** One hostile variation of a frame: bit flips, cuts, corrupted length fields, or a wrong link type. */
function mutate(frame: SeedFrame, next: () => number): SeedFrame {
  const data = Buffer.from(frame.data);
  let linkType = frame.linkType;
  const pick = (n: number): number => Math.floor(next() * n);
  const kind = pick(6);
  if (kind === 0 || data.length === 0) {
    for (let flips = 1 + pick(8); flips > 0 && data.length > 0; flips--) data[pick(data.length)]! ^= 1 << pick(8);
  } else if (kind === 1) {
    return { linkType, data: data.subarray(0, pick(data.length)) };
  } else if (kind === 2) {
    // a 16-bit field somewhere in the first 64 bytes (where every length lives) set to an extreme
    const at = pick(Math.max(1, Math.min(64, data.length - 1)));
    const values = [0, 1, 0xffff, 0x7fff, data.length, data.length + 1, pick(0x10000)];
    if (at + 2 <= data.length) data.writeUInt16BE(values[pick(values.length)]!, at);
  } else if (kind === 3) {
    // IPv4 total length / IHL / TCP data offset for a plain Ethernet+IPv4 frame
    if (data.length > 34) {
      data[14] = (data[14]! & 0xf0) | pick(16);
      data.writeUInt16BE(pick(0x10000), 16);
      if (data.length > 46) data[46] = pick(256);
    }
  } else if (kind === 4) {
    linkType = LINK_TYPES[pick(LINK_TYPES.length)]!;
  } else {
    const random = Buffer.alloc(pick(200));
    for (let index = 0; index < random.length; index++) random[index] = pick(256);
    return { linkType, data: random };
  }
  return { linkType, data };
}

function frameOf(seed: SeedFrame, index: number, seconds: number): Frame {
  return { seconds, nanoseconds: (index * 997) % 1e9, linkType: seed.linkType, originalLength: seed.data.length, data: seed.data, interfaceId: 0, fileOffset: -1, index };
}

const work = mkdtempSync(join(tmpdir(), 'crashtest-fuzz-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe(`pipeline fuzz (seed ${SEED}${LONG ? ', long' : ''})`, { timeout: LONG ? 3_600_000 : 60_000 }, () => {
  it(`mutated frames through decode and flow never throw and stay under the caps (seed ${SEED})`, () => {
    const next = random(SEED);
    const counters = new Counters();
    const decoder = new PacketDecoder(config.decode, counters);
    const sessions: Session[] = [];
    let sessionCount = 0;
    const table = new FlowTable(config.flow, counters, (session) => {
      sessionCount++;
      if (sessions.length < 100) sessions.push(session);
    });
    const iterations = 60_000 * SCALE;
    const started = Date.now();
    let peakFlows = 0;
    let peakMemory = 0;
    for (let index = 0; index < iterations; index++) {
      const seed = seeds[Math.floor(next() * seeds.length)]!;
      const hostile = next() < 0.8 ? mutate(seed, next) : seed;
      // time mostly advances, sometimes jumps back (broken clocks) or far ahead (timeouts)
      const seconds = 1_700_000_000 + Math.floor(index / 100) + (next() < 0.01 ? -1_000 : 0) + (next() < 0.001 ? 100_000 : 0);
      const packet = decoder.decode(frameOf(hostile, index, seconds));
      if (packet !== null) table.add(packet);
      peakFlows = Math.max(peakFlows, table.size);
      peakMemory = Math.max(peakMemory, table.memoryBytes);
      assert.ok(decoder.stats.fragmentBytesHeld <= config.decode.fragmentMemcapBytes, `fragments hold ${decoder.stats.fragmentBytesHeld} bytes at frame ${index}`);
    }
    table.flush('end_of_capture');
    assert.ok(peakFlows <= config.flow.maxFlows, `peak flows ${peakFlows} > ${config.flow.maxFlows}`);
    // the cap is enforced after each packet; one packet's worth of state may sit above it meanwhile
    assert.ok(peakMemory <= config.flow.memcapBytes + 256 * 1024 + FLOW_BASE_BYTES, `peak flow memory ${peakMemory}`);
    assert.equal(table.size, 0);
    assert.ok(sessionCount > 0);
    for (const session of sessions) {
      const stored = session.turns.reduce((sum, turn) => sum + turn.data.length, 0);
      assert.ok(stored <= config.flow.reassemblyDepthBytes, `session ${session.id} stores ${stored} bytes`);
    }
    assert.ok(Date.now() - started < (LONG ? 3_000_000 : 30_000), 'fuzz took too long');
  });

  it(`random, truncated and bit-flipped capture files fail only with CrashtestError naming file and offset (seed ${SEED})`, async () => {
    const next = random(SEED ^ 0x5eed);
    const pick = (n: number): number => Math.floor(next() * n);
    const base = buildPcap(LinkType.ETHERNET, seeds.slice(0, 200).filter((seed) => seed.linkType === LinkType.ETHERNET).map((seed, index) => ({ seconds: 1_700_000_000 + index, nanoseconds: 0, data: seed.data })));
    const files = 60 * SCALE;
    for (let round = 0; round < files; round++) {
      let bytes: Buffer;
      const kind = round % 4;
      if (kind === 0) {
        bytes = Buffer.alloc(pick(4096));
        for (let index = 0; index < bytes.length; index++) bytes[index] = pick(256);
      } else if (kind === 1) {
        bytes = base.subarray(0, pick(base.length));
      } else if (kind === 2) {
        bytes = Buffer.from(base);
        for (let flips = 1 + pick(16); flips > 0; flips--) bytes[24 + pick(bytes.length - 24)]! ^= 1 << pick(8);
      } else {
        // a record header's lengths replaced: huge, zero, or captured > original
        bytes = Buffer.from(base);
        const at = 24 + 8;
        bytes.writeUInt32LE([0xffffffff, 0, 0x7fffffff, 300_000][pick(4)]!, at + pick(2) * 4);
      }
      const path = join(work, `fuzz-${SEED}-${round}.pcap`);
      writeFileSync(path, bytes);
      const result = await runSessionsJob([path], { config, onSession: () => undefined });
      const error = result.files[0]!.error;
      if (error === null) continue;
      assert.ok(isCrashtestError(error), `round ${round}: not a CrashtestError: ${error.stack}`);
      assert.equal(error.details.file, path, `round ${round}: ${error.message}`);
      assert.equal(typeof error.details.offset, 'number', `round ${round}: no offset in ${error.message}`);
      assert.ok(error.details.offset! >= 0 && error.details.offset! <= bytes.length, `round ${round}: offset ${error.details.offset} outside the file`);
    }
  });
});
