/**
 * A network namespace with a veth pair, both ends inside it, for live-capture tests and the live
 * bench: tcpreplay writes into one end, the sensor's tcpdump reads the other (through a wrapper
 * that enters the namespace). Nothing is routed anywhere: the namespace has no other link.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PcapWriter, readCaptureFile } from '../../src/capture/index.ts';

export interface VethLab {
  namespace: string;
  /** the end the sensor captures on */
  captureInterface: string;
  /** the end tcpreplay writes to */
  replayInterface: string;
  /** a tcpdump that runs inside the namespace (sensor.tcpdumpPath) */
  tcpdumpPath: string;
  /** plays a capture into the replay end; returns what tcpreplay printed (see ethernetCopy for non-Ethernet captures) */
  replay(file: string, speed: { mbps: number } | 'topspeed', options?: { loop?: number; limit?: number }): Promise<string>;
  teardown(): void;
}

export const CORPUS_DIR = new URL('../../../shared/corpus/', import.meta.url).pathname;

/** Why a live test cannot run here, or null. */
export function liveLabUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, tcpdump)';
  for (const program of ['ip', 'tcpdump', 'tcpreplay']) {
    if (spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0) return `needs ${program}`;
  }
  if (!existsSync(CORPUS_DIR)) return `needs the corpus at ${CORPUS_DIR}`;
  return null;
}

export function createVethLab(tag: string): VethLab {
  const namespace = `ct-${tag}-${process.pid}`;
  const suffix = String(process.pid % 100_000);
  const captureInterface = `ctc${suffix}`;
  const replayInterface = `ctr${suffix}`;
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-lab-'));
  const tcpdumpPath = join(dir, 'tcpdump-in-netns');
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' });
  ip('netns', 'add', namespace);
  try {
    ip('link', 'add', captureInterface, 'netns', namespace, 'type', 'veth', 'peer', 'name', replayInterface, 'netns', namespace);
    for (const name of ['lo', captureInterface, replayInterface]) ip('-n', namespace, 'link', 'set', name, 'up');
    // big enough for a jumbo-ish replayed frame (captures made with offload hold 64 KiB "frames")
    for (const name of [captureInterface, replayInterface]) ip('-n', namespace, 'link', 'set', name, 'mtu', '65535');
  } catch (error) {
    spawnSync('ip', ['netns', 'del', namespace]);
    throw error;
  }
  writeFileSync(tcpdumpPath, `#!/bin/sh\nexec ip netns exec ${namespace} tcpdump "$@"\n`);
  chmodSync(tcpdumpPath, 0o755);
  return {
    namespace,
    captureInterface,
    replayInterface,
    tcpdumpPath,
    replay(file, speed, options = {}) {
      const args = ['netns', 'exec', namespace, 'tcpreplay', '-i', replayInterface, ...(speed === 'topspeed' ? ['--topspeed'] : ['--mbps', String(speed.mbps)])];
      if (options.loop !== undefined) args.push('--loop', String(options.loop));
      if (options.limit !== undefined) args.push('--limit', String(options.limit));
      // asynchronous: the sensor in this process must keep reading its capture while tcpreplay plays
      return new Promise((resolve, reject) => {
        execFile('ip', [...args, file], { encoding: 'utf8', maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
          if (error) reject(new Error(`tcpreplay failed: ${stderr || stdout || error.message}`));
          else resolve(stdout + stderr);
        });
      });
    },
    teardown() {
      spawnSync('ip', ['netns', 'del', namespace]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;

/**
 * An Ethernet copy of a capture, for tcpreplay onto a veth: a Linux cooked (SLL) capture keeps its
 * payload and ethertype, with the SLL source address as source MAC. Ethernet captures come back as
 * they are.
 */
export async function ethernetCopy(file: string, dir: string): Promise<string> {
  const frames: Array<{ seconds: number; nanoseconds: number; data: Buffer }> = [];
  let linkType = -1;
  await readCaptureFile(file, (frame) => {
    linkType = frame.linkType;
    if (frame.linkType === LINKTYPE_LINUX_SLL && frame.data.length >= 16) {
      const header = Buffer.alloc(14);
      Buffer.from([0x02, 0, 0, 0, 0, 0x02]).copy(header, 0);
      frame.data.copy(header, 6, 6, 12);
      frame.data.copy(header, 12, 14, 16);
      frames.push({ seconds: frame.seconds, nanoseconds: frame.nanoseconds, data: Buffer.concat([header, frame.data.subarray(16)]) });
    }
  });
  if (linkType === LINKTYPE_ETHERNET) return file;
  if (linkType !== LINKTYPE_LINUX_SLL) throw new Error(`${file}: link type ${linkType} cannot be replayed onto a veth here`);
  const path = join(dir, `${basename(file)}.enet.pcap`);
  const writer = await PcapWriter.open(path, { linkType: LINKTYPE_ETHERNET });
  for (const frame of frames) writer.write(frame);
  await writer.close();
  return path;
}
