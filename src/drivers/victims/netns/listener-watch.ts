/**
 * New listening sockets in a netns dummy: the bind shell an exploit opened. The kernel lists a
 * namespace's sockets in /proc/<pid>/net/{tcp,tcp6,udp,udp6} of any process inside it (the copy's
 * launcher), so a scan is four small synchronous file reads, cheap enough to run at every
 * `observations()` call and on a short timer between them. A baseline taken when the services
 * are up (and again at every revert) is what the dummy is meant to listen on; anything else that
 * listens becomes the same `listen` observation an emulated dummy reports, once per lease, with
 * the owning process when it can be found through /proc/<pid>/fd.
 *
 * A TCP listener is a socket in state LISTEN. UDP has no listen: an unconnected socket bound to a
 * port counts, except ports in the kernel's ephemeral range, where clients are bound implicitly
 * (a resolver, a TFTP client) — those are counted (`netns.udp_ephemeral_ignored`) and not
 * reported.
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import type { Counters } from '../../../core/index.ts';
import type { Observation } from '../../../sandbox/index.ts';
import { procNetAddress } from './ip-address.ts';

export interface ListeningSocket {
  proto: 'tcp' | 'udp';
  address: string;
  port: number;
  /** the socket's inode: `socket:[inode]` in the owner's /proc/<pid>/fd */
  inode: number;
}

const TCP_LISTEN = '0A';
/** Linux's default ip_local_port_range; a namespace starts with it */
const EPHEMERAL_PORTS = { first: 32_768, last: 60_999 };
/** how often a leased dummy is scanned between observations() calls (ms), unless configured */
export const DEFAULT_LISTENER_POLL_MS = 500;
/** listen observations per lease; more are counted in `netns.listeners_dropped` */
export const MAX_LISTENERS_PER_LEASE = 256;
const TABLES = [
  ['tcp', 'tcp'],
  ['tcp6', 'tcp'],
  ['udp', 'udp'],
  ['udp6', 'udp'],
] as const;

/** One /proc/net table's lines: `sl local rem st tx:rx tr:when retrnsmt uid timeout inode …`. */
export function parseSocketTable(text: string, proto: 'tcp' | 'udp', ephemeral: (socket: ListeningSocket) => void): ListeningSocket[] {
  const found: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [localAddress, localPort] = fields[1]!.split(':');
    const remotePort = fields[2]!.split(':')[1];
    const port = Number.parseInt(localPort ?? '', 16);
    const socket = { proto, address: procNetAddress(localAddress ?? ''), port, inode: Number(fields[9]) };
    if (proto === 'tcp') {
      if (fields[3] === TCP_LISTEN) found.push(socket);
    } else if (remotePort === '0000' && port !== 0) {
      if (port >= EPHEMERAL_PORTS.first && port <= EPHEMERAL_PORTS.last) ephemeral(socket);
      else found.push(socket);
    }
  }
  return found;
}

const readBuffer = Buffer.alloc(65_536);

/** A /proc/net table: read() by read() into one buffer (readFileSync's size probe and copies cost more than the read). */
function readProcTable(path: string): string {
  const descriptor = openSync(path, 'r');
  try {
    const chunks: string[] = [];
    for (let bytes = readSync(descriptor, readBuffer, 0, readBuffer.length, null); bytes > 0; bytes = readSync(descriptor, readBuffer, 0, readBuffer.length, null)) {
      chunks.push(readBuffer.toString('latin1', 0, bytes));
    }
    return chunks.join('');
  } finally {
    closeSync(descriptor);
  }
}

/** The listening sockets of the network namespace `pid` lives in; null when the process is gone. */
export function readListeningSockets(pid: number, ephemeral: (socket: ListeningSocket) => void = () => {}): ListeningSocket[] | null {
  const sockets: ListeningSocket[] = [];
  for (const [table, proto] of TABLES) {
    let text: string;
    try {
      text = readProcTable(`/proc/${pid}/net/${table}`);
    } catch {
      return null;
    }
    sockets.push(...parseSocketTable(text, proto, ephemeral));
  }
  return sockets;
}

/** `pid 812 busybox nc -ll -p 4444 -e /bin/sh`: the process holding socket `inode` in the namespace of `pid`, or null. */
export function socketOwner(pid: number, inode: number): string | null {
  let namespace: number;
  try {
    namespace = statSync(`/proc/${pid}/ns/net`).ino;
  } catch {
    return null;
  }
  const link = `socket:[${inode}]`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (statSync(`/proc/${entry}/ns/net`).ino !== namespace) continue;
      if (!readdirSync(`/proc/${entry}/fd`).some((fd) => readlinkSync(`/proc/${entry}/fd/${fd}`) === link)) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
      return `pid ${entry} ${command.slice(0, 200)}`;
    } catch {
      // exited while we looked
    }
  }
  return null;
}

type DummyObservation = Extract<Observation, { source: 'dummy' }>['observation'];

/** Listeners of one lease of one copy: baseline at construction, new ones reported once. */
export class ListenerWatch {
  private readonly baseline = new Set<string>();
  private readonly reported = new Set<string>();
  private readonly ephemeralSeen = new Set<string>();
  private readonly startedAt = performance.now();
  private gone = false;

  constructor(
    /** a process inside the dummy's network namespace (its launcher) */
    private readonly pid: number,
    private readonly counters: Counters,
    private readonly report: (observation: DummyObservation) => void,
  ) {
    const addToBaseline = (socket: ListeningSocket): void => void this.baseline.add(key(socket));
    for (const socket of readListeningSockets(pid, addToBaseline) ?? []) addToBaseline(socket);
    this.counters.add('netns.listener_baselines');
  }

  /** Reads the namespace's sockets and reports listeners that are not in the baseline. */
  scan(): void {
    if (this.gone) return;
    const sockets = readListeningSockets(this.pid, (socket) => this.ephemeral(socket));
    if (sockets === null) {
      // the copy is gone (revert or death): its launcher's /proc entry went with it
      this.gone = true;
      this.counters.add('netns.listener_scans_lost');
      return;
    }
    this.counters.add('netns.listener_scans');
    for (const socket of sockets) {
      if (this.baseline.has(key(socket))) continue;
      const reportKey = `${socket.proto}/${socket.port}`;
      if (this.reported.has(reportKey)) continue;
      this.reported.add(reportKey);
      if (this.reported.size > MAX_LISTENERS_PER_LEASE) {
        this.counters.add('netns.listeners_dropped');
        continue;
      }
      this.counters.add('netns.listeners_new');
      const owner = socketOwner(this.pid, socket.inode) ?? 'owner unknown';
      this.report({ kind: 'listen', at: Math.round(performance.now() - this.startedAt), proto: socket.proto, port: socket.port, origin: `netns: ${owner} on ${socket.address}` });
    }
  }

  private ephemeral(socket: ListeningSocket): void {
    const socketKey = key(socket);
    if (this.baseline.has(socketKey) || this.ephemeralSeen.has(socketKey)) return;
    this.ephemeralSeen.add(socketKey);
    this.counters.add('netns.udp_ephemeral_ignored');
  }
}

function key(socket: ListeningSocket): string {
  return `${socket.proto}|${socket.address}|${socket.port}`;
}
