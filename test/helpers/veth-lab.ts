/**
 * A veth pair for live-capture tests and the live bench: tcpreplay writes into the end that lives
 * in a network namespace made for the purpose; the sensor's tcpdump reads the other end, which stays
 * in the host namespace like a mirror-port NIC would, so the sensor can read its
 * /sys/class/net/IF/statistics drop counters. The host end has no address and IPv6 is off on both
 * ends before they come up, so the kernel adds no packets of its own (router solicitations, MLD)
 * and what is captured is exactly what tcpreplay sent. Nothing is routed anywhere.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PcapWriter, readCaptureFile } from '../../src/capture/index.ts';
import { corpusDir } from './corpus.ts';

export interface VethLab {
  namespace: string;
  /** the end the sensor captures on, in the host namespace */
  captureInterface: string;
  /** the end tcpreplay writes to, inside `namespace` */
  replayInterface: string;
  /** the tcpdump to run (sensor.tcpdumpPath) */
  tcpdumpPath: string;
  /** plays a capture into the replay end (see ethernetCopy for non-Ethernet captures) */
  replay(file: string, speed: { mbps: number } | 'topspeed', options?: { loop?: number; limit?: number }): Promise<ReplayReport>;
  /** one of the capture end's /sys/class/net statistics (rx_packets, rx_dropped, …) */
  captureStatistic(name: string): number;
  teardown(): void;
}

/** What tcpreplay printed, and its counts. */
export interface ReplayReport {
  output: string;
  /** packets the kernel accepted from tcpreplay */
  sent: number;
  /** packets tcpreplay gave up on (send failed); never on the wire, so never a capture loss */
  failed: number;
  /**
   * sends the kernel refused (ENOBUFS, EAGAIN) and tcpreplay tried again: each was counted as a drop
   * by the interface that refused it, yet the packet got through on a later try
   */
  retried: number;
  achievedMbps: number;
}

export interface VethLabOptions {
  /**
   * MTU of the capture end, default 65535 like the replay end (captures made with offload hold
   * 64 KiB "frames"). A smaller one makes the kernel drop longer frames on the capture end's
   * behalf and count them in its rx_dropped, as a NIC counts the frames it could not take.
   */
  captureMtu?: number;
  /**
   * Put a mirror between tcpreplay and the capture end, as a switch's SPAN port is: tcpreplay's
   * link ends in the namespace, where a tc rule (u32 + mirred) copies everything it receives out of
   * a second veth pair whose other end is captured. A frame the capture end drops is then lost
   * the way a mirror port loses it — tcpreplay never hears of it. Without the mirror the veth hands
   * the drop back to tcpreplay, which retries it (ENOBUFS) and the frame arrives after all.
   */
  mirror?: boolean;
}

/** the shared corpus ($CRASHTEST_CORPUS, else ../shared/corpus beside the repository) */
export const CORPUS_DIR = corpusDir();

/** Why a live test cannot run here, or null. */
export function liveLabUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, tcpdump)';
  for (const program of ['ip', 'tc', 'tcpdump', 'tcpreplay']) {
    if (spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0) return `needs ${program}`;
  }
  if (!existsSync(CORPUS_DIR)) return `needs the corpus at ${CORPUS_DIR}`;
  return null;
}

let labs = 0;

export function createVethLab(tag: string, options: VethLabOptions = {}): VethLab {
  // several labs in one process (one per test) need names of their own; interface names ≤ 15 bytes
  const suffix = `${process.pid % 100_000}${String.fromCharCode(97 + (labs++ % 26))}`;
  const namespace = `ct-${tag}-${suffix}`;
  const captureInterface = `ctc${suffix}`;
  const replayInterface = `ctr${suffix}`;
  const mirrorIn = `ctm${suffix}`;
  const mirrorOut = `cts${suffix}`;
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' });
  const teardown = (): void => {
    // deleting the namespace deletes the replay end and with it the pair; the capture end is a fallback
    spawnSync('ip', ['netns', 'del', namespace]);
    spawnSync('ip', ['link', 'del', captureInterface]);
  };
  ip('netns', 'add', namespace);
  try {
    if (options.mirror) {
      ip('-n', namespace, 'link', 'add', replayInterface, 'type', 'veth', 'peer', 'name', mirrorIn);
      ip('link', 'add', captureInterface, 'type', 'veth', 'peer', 'name', mirrorOut, 'netns', namespace);
      for (const name of [mirrorIn, mirrorOut]) {
        execFileSync('ip', ['netns', 'exec', namespace, 'sysctl', '-q', '-w', `net.ipv6.conf.${name}.disable_ipv6=1`], { stdio: 'pipe' });
        ip('-n', namespace, 'link', 'set', name, 'mtu', '65535');
        ip('-n', namespace, 'link', 'set', name, 'up');
      }
      execFileSync('tc', ['-n', namespace, 'qdisc', 'add', 'dev', mirrorIn, 'ingress'], { stdio: 'pipe' });
      execFileSync('tc', ['-n', namespace, 'filter', 'add', 'dev', mirrorIn, 'ingress', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', mirrorOut], { stdio: 'pipe' });
    } else {
      ip('link', 'add', captureInterface, 'type', 'veth', 'peer', 'name', replayInterface, 'netns', namespace);
    }
    // the host end takes no part in the host's networking: no IPv6, never forwards what tcpreplay
    // sends (a host with ip_forward=1 would route corpus traffic), answers no ARP; these settings
    // belong to the interface and go away with it
    for (const setting of [`net.ipv6.conf.${captureInterface}.disable_ipv6=1`, `net.ipv4.conf.${captureInterface}.forwarding=0`, `net.ipv4.conf.${captureInterface}.arp_ignore=8`]) {
      execFileSync('sysctl', ['-q', '-w', setting], { stdio: 'pipe' });
    }
    execFileSync('ip', ['netns', 'exec', namespace, 'sysctl', '-q', '-w', `net.ipv6.conf.${replayInterface}.disable_ipv6=1`], { stdio: 'pipe' });
    ip('link', 'set', captureInterface, 'mtu', String(options.captureMtu ?? 65_535));
    ip('-n', namespace, 'link', 'set', replayInterface, 'mtu', '65535');
    ip('link', 'set', captureInterface, 'up');
    for (const name of ['lo', replayInterface]) ip('-n', namespace, 'link', 'set', name, 'up');
  } catch (error) {
    teardown();
    throw error;
  }
  return {
    namespace,
    captureInterface,
    replayInterface,
    tcpdumpPath: 'tcpdump',
    replay(file, speed, options = {}) {
      const args = ['netns', 'exec', namespace, 'tcpreplay', '-i', replayInterface, ...(speed === 'topspeed' ? ['--topspeed'] : ['--mbps', String(speed.mbps)])];
      if (options.loop !== undefined) args.push('--loop', String(options.loop));
      if (options.limit !== undefined) args.push('--limit', String(options.limit));
      // asynchronous: the sensor in this process must keep reading its capture while tcpreplay plays
      return new Promise((resolve, reject) => {
        execFile('ip', [...args, file], { encoding: 'utf8', maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
          if (error) reject(new Error(`tcpreplay failed: ${stderr || stdout || error.message}`));
          else resolve(replayReport(stdout + stderr));
        });
      });
    },
    captureStatistic(name) {
      return Number(readFileSync(`/sys/class/net/${captureInterface}/statistics/${name}`, 'utf8'));
    },
    teardown,
  };
}

/** tcpreplay's summary: "Successful packets: N", "Failed packets: N", "Retried packets (ENOBUFS): N", "Rated: …, X Mbps, …". */
export function replayReport(output: string): ReplayReport {
  const count = (pattern: RegExp): number => Number(pattern.exec(output)?.[1] ?? Number.NaN);
  const report = {
    output,
    sent: count(/Successful packets:\s+(\d+)/),
    failed: count(/Failed packets:\s+(\d+)/),
    retried: count(/Retried packets \(ENOBUFS\):\s+(\d+)/) + count(/Retried packets \(EAGAIN\):\s+(\d+)/),
    achievedMbps: count(/([\d.]+) Mbps/),
  };
  if (!Number.isFinite(report.sent) || !Number.isFinite(report.failed) || !Number.isFinite(report.retried)) throw new Error(`tcpreplay printed no packet counts: ${output}`);
  return report;
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
