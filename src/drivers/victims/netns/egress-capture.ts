/**
 * The pcap of one dummy's link, taken by tcpdump on the containment side of it (inside the
 * containment namespace, so nothing is captured on the host's own interfaces). The stream passes
 * through this process on its way to the file so that ICMP and ICMPv6 echo requests, which no
 * socket receives, still become egress events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { CrashtestError } from '../../../core/index.ts';
import { ipv6FromBytes } from './ip-address.ts';

const PCAP_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ICMP_ECHO_REQUEST = 8;
const IPV6_HEADER_BYTES = 40;
const NEXT_HEADER_ICMPV6 = 58;
const ICMPV6_ECHO_REQUEST = 128;

export interface EgressCaptureOptions {
  namespace: string;
  interfaceName: string;
  pcapPath: string;
  /** an ICMP echo request the dummy sent: original destination and payload size */
  onEcho(destination: string, payloadBytes: number): void;
  signal?: AbortSignal;
}

export class EgressCapture {
  private buffered: Buffer = Buffer.alloc(0);
  private headerSeen = false;
  private stopped = false;

  private constructor(
    private readonly options: EgressCaptureOptions,
    private readonly child: ChildProcess,
    private readonly file: WriteStream,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => {
      file.write(chunk);
      this.parse(chunk);
    });
  }

  /** Starts tcpdump and resolves once it listens (packets before that would be lost). */
  static async start(options: EgressCaptureOptions): Promise<EgressCapture> {
    options.signal?.throwIfAborted();
    const child = spawn('ip', ['netns', 'exec', options.namespace, 'tcpdump', '-i', options.interfaceName, '-U', '-n', '-s', '65535', '--immediate-mode', '-w', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const capture = new EgressCapture(options, child, createWriteStream(options.pcapPath));
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('listening on')) resolve();
      });
      child.once('exit', (code) => reject(new CrashtestError('CT_ERR_NETNS_SETUP', `tcpdump on ${options.interfaceName} in ${options.namespace} exited with ${code}: ${stderr.trim()}`)));
      child.once('error', (error) => reject(new CrashtestError('CT_ERR_NETNS_SETUP', `tcpdump did not start: ${error.message}`)));
    }).catch((error: unknown) => {
      capture.stop();
      throw error;
    });
    return capture;
  }

  get pcapPath(): string {
    return this.options.pcapPath;
  }

  /** Stops the capture and resolves once the file holds everything tcpdump wrote. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = this.child.exitCode === null && this.child.signalCode === null ? new Promise((resolve) => this.child.once('close', resolve)) : Promise.resolve();
    this.child.kill('SIGTERM');
    await exited;
    await new Promise((resolve) => this.file.end(resolve));
  }

  /** Frames from the pcap stream: only IPv4 ICMP echo requests matter here. */
  private parse(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let offset = 0;
    if (!this.headerSeen) {
      if (this.buffered.length < PCAP_HEADER_BYTES) return;
      this.headerSeen = true;
      offset = PCAP_HEADER_BYTES;
    }
    while (this.buffered.length - offset >= RECORD_HEADER_BYTES) {
      const captured = this.buffered.readUInt32LE(offset + 8);
      if (this.buffered.length - offset - RECORD_HEADER_BYTES < captured) break;
      this.frame(this.buffered.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + captured));
      offset += RECORD_HEADER_BYTES + captured;
    }
    this.buffered = this.buffered.subarray(offset);
  }

  private frame(frame: Buffer): void {
    if (frame.length >= 14 + IPV6_HEADER_BYTES + 8 && frame.readUInt16BE(12) === ETHERTYPE_IPV6) return this.frame6(frame.subarray(14));
    if (frame.length < 14 + 20 || frame.readUInt16BE(12) !== ETHERTYPE_IPV4) return;
    const ip = frame.subarray(14);
    const headerBytes = (ip[0]! & 0x0f) * 4;
    if (ip[9] !== 1 || ip.length < headerBytes + 8 || ip[headerBytes] !== ICMP_ECHO_REQUEST) return;
    const destination = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;
    this.options.onEcho(destination, Math.max(0, ip.readUInt16BE(2) - headerBytes - 8));
  }

  /** An ICMPv6 echo request right after the fixed header (ping6 adds no extension headers). */
  private frame6(ip: Buffer): void {
    if (ip[6] !== NEXT_HEADER_ICMPV6 || ip[IPV6_HEADER_BYTES] !== ICMPV6_ECHO_REQUEST) return;
    this.options.onEcho(ipv6FromBytes(ip.subarray(24, 40)), Math.max(0, ip.readUInt16BE(4) - 8));
  }
}
