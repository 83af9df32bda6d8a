/**
 * What shell commands do on the network, all through the dummy's endpoint: resolve names, ICMP
 * echo on a raw socket, TCP connects (reverse shells, nc), HTTP downloads, TFTP read requests,
 * FTP sessions. Each returns what a command needs to print; none throws.
 */
import { httpFetch, resolveAddress, type HttpFetchResult } from '../services/http/http-client.ts';
import { parseHttpUrl } from '../services/http/http-url.ts';
import type { ShellRun } from './shell-run.ts';

const encoder = new TextEncoder();
const ICMP_ECHO_REQUEST = 8;
const TFTP_PORT = 69;
const TFTP_BLOCK = 512;
/** TFTP blocks read per transfer (8 MiB at most) */
const MAX_TFTP_BLOCKS = 16_384;
/** echo requests one ping sends at most, whatever -c or -n asks */
export const MAX_PINGS = 10;

export function resolveName(run: ShellRun, host: string): string | null {
  return resolveAddress(run.context.network, host);
}

/** ICMP echo requests to `host`; returns the replies received (the sink may answer none) */
export function ping(run: ShellRun, address: string, count: number, payloadBytes: number): number {
  const socket = run.openSocket('raw');
  const network = run.context.network;
  let replies = 0;
  for (let sequence = 1; sequence <= Math.min(Math.max(count, 1), MAX_PINGS); sequence++) {
    network.sendTo(socket, icmpEcho(0x1337, sequence, payloadBytes), address, 0);
    const answer = network.receive(socket, 1_500);
    if (answer.kind === 'data') replies++;
  }
  network.close(socket);
  return replies;
}

function icmpEcho(identifier: number, sequence: number, payloadBytes: number): Uint8Array {
  const packet = new Uint8Array(8 + Math.min(payloadBytes, 1_472));
  packet[0] = ICMP_ECHO_REQUEST;
  packet[4] = identifier >> 8;
  packet[5] = identifier & 0xff;
  packet[6] = sequence >> 8;
  packet[7] = sequence & 0xff;
  for (let index = 8; index < packet.length; index++) packet[index] = 0x61 + ((index - 8) % 23);
  let sum = 0;
  for (let index = 0; index < packet.length; index += 2) sum += (packet[index]! << 8) | (packet[index + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const checksum = ~sum & 0xffff;
  packet[2] = checksum >> 8;
  packet[3] = checksum & 0xff;
  return packet;
}

/** a TCP connection (reverse shell, nc, /dev/tcp); sends `payload` when there is one; returns what came back */
export function connectTcp(run: ShellRun, host: string, port: number, payload?: Uint8Array): { address: string | null; connected: boolean; received: Uint8Array } {
  const address = resolveName(run, host);
  if (address === null || !Number.isInteger(port) || port < 1 || port > 65_535) return { address, connected: false, received: new Uint8Array(0) };
  const socket = run.openSocket('tcp');
  const network = run.context.network;
  const result = network.connect(socket, address, port);
  const connected = result.kind === 'connected' || result.kind === 'would_block';
  let received: Uint8Array = new Uint8Array(0);
  if (connected) {
    if (payload && payload.length > 0) network.send(socket, payload);
    const answer = network.receive(socket, 65_536);
    if (answer.kind === 'data') received = answer.bytes;
  }
  network.close(socket);
  return { address, connected, received };
}

export function sendUdp(run: ShellRun, host: string, port: number, payload: Uint8Array): boolean {
  const address = resolveName(run, host);
  if (address === null) return false;
  const socket = run.openSocket('udp');
  run.context.network.sendTo(socket, payload, address, port);
  run.context.network.close(socket);
  return true;
}

/** a listening socket (nc -l, a bind shell): the endpoint is told, and a `listen` observation made */
export function listenTcp(run: ShellRun, port: number): void {
  const socket = run.openSocket('tcp');
  const network = run.context.network;
  network.bind(socket, '0.0.0.0', port);
  network.listen(socket, 1);
  run.listen('tcp', port);
  network.close(socket);
}

export function httpDownload(run: ShellRun, urlText: string, userAgent: string): HttpFetchResult & { valid: boolean } {
  const url = parseHttpUrl(urlText);
  if (!url || url.scheme === 'ftp') return { valid: false, address: null, connected: false, status: null, body: new Uint8Array(0) };
  return { valid: true, ...httpFetch(run.context.network, run.openSocket('tcp'), url, { userAgent, maxBytes: run.limits.maxFileBytes }) };
}

/** A TFTP read request (RRQ) in octet mode; DATA blocks are acknowledged until a short one ends the file. */
export function tftpGet(run: ShellRun, host: string, remoteFile: string, port = TFTP_PORT): { address: string | null; bytes: Uint8Array | null } {
  const address = resolveName(run, host);
  if (address === null) return { address, bytes: null };
  const network = run.context.network;
  const socket = run.openSocket('udp');
  network.sendTo(socket, Uint8Array.from([0, 1, ...encoder.encode(remoteFile), 0, ...encoder.encode('octet'), 0]), address, port);
  const blocks: Uint8Array[] = [];
  let received = false;
  for (let count = 0; count < MAX_TFTP_BLOCKS; count++) {
    const answer = network.receive(socket, 4 + TFTP_BLOCK);
    if (answer.kind !== 'data' || answer.bytes.length < 4 || answer.bytes[1] !== 3) break;
    received = true;
    const data = answer.bytes.subarray(4);
    blocks.push(data.slice());
    network.sendTo(socket, Uint8Array.of(0, 4, answer.bytes[2]!, answer.bytes[3]!), answer.fromAddress ?? address, answer.fromPort ?? port);
    if (data.length < TFTP_BLOCK) break;
  }
  network.close(socket);
  if (!received) return { address, bytes: null };
  const total = blocks.reduce((sum, block) => sum + block.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const block of blocks) {
    bytes.set(block, offset);
    offset += block.length;
  }
  return { address, bytes };
}

export interface FtpTransfer {
  address: string | null;
  connected: boolean;
  /** file name → bytes, for every RETR that delivered data */
  files: Map<string, Uint8Array>;
}

/** An FTP session: login, then passive-mode RETR of each file; bounded by the files asked for. */
export function ftpSession(run: ShellRun, host: string, port: number, user: string, password: string, retrieve: string[]): FtpTransfer {
  const address = resolveName(run, host);
  const transfer: FtpTransfer = { address, connected: false, files: new Map() };
  if (address === null) return transfer;
  const network = run.context.network;
  const control = run.openSocket('tcp');
  const result = network.connect(control, address, port);
  if (result.kind !== 'connected' && result.kind !== 'would_block') return transfer;
  transfer.connected = true;
  const say = (line: string): string => {
    network.send(control, encoder.encode(`${line}\r\n`));
    const answer = network.receive(control, 4_096);
    return answer.kind === 'data' ? new TextDecoder('latin1').decode(answer.bytes) : '';
  };
  const readGreeting = network.receive(control, 4_096);
  void readGreeting;
  say(`USER ${user}`);
  say(`PASS ${password}`);
  say('TYPE I');
  for (const file of retrieve.slice(0, 16)) {
    const passive = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(say('PASV'));
    const data = run.openSocket('tcp');
    let dataConnected = false;
    if (passive) {
      const dataAddress = passive.slice(1, 5).join('.');
      const dataPort = Number(passive[5]) * 256 + Number(passive[6]);
      dataConnected = network.connect(data, dataAddress, dataPort).kind === 'connected';
    }
    say(`RETR ${file}`);
    if (dataConnected) {
      const chunks: Uint8Array[] = [];
      let total = 0;
      for (let count = 0; count < 1_024 && total < run.limits.maxFileBytes; count++) {
        const answer = network.receive(data, 65_536);
        if (answer.kind !== 'data') break;
        chunks.push(answer.bytes.slice());
        total += answer.bytes.length;
      }
      const bytes = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      transfer.files.set(file, bytes);
    }
    network.close(data);
  }
  say('QUIT');
  network.close(control);
  return transfer;
}
