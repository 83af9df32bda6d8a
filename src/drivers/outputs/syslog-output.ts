import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { connect, type Socket } from 'node:net';
import { formatSyslogMessage, type CrashtestEvent, type EventOutput } from '../../alert/index.ts';
import { Counters, CrashtestError } from '../../core/index.ts';

export interface SyslogOutputOptions {
  host: string;
  port: number;
  protocol: 'udp' | 'tcp';
  facility: number;
  appName: string;
  /** messages held while the TCP receiver is down; beyond it the oldest are dropped (outputs.syslog.dropped) */
  queueMessages: number;
  counters?: Counters;
  /** default os.hostname() */
  hostname?: string;
}

const RECONNECT_DELAY_MS = 2_000;
const CLOSE_DRAIN_MS = 2_000;
/** a UDP datagram bigger than this is cut (RFC 5426 asks receivers for at least 2048; most take far more) */
const MAX_UDP_BYTES = 65_000;

/**
 * RFC 5424 messages to a syslog receiver: over UDP one datagram each (RFC 5426), over TCP with
 * octet counting (`LEN SP MSG`, RFC 6587 §3.4.1), which survives newlines inside a message. The TCP
 * connection is re-made after a failure, with what was queued meanwhile sent first.
 */
export class SyslogOutput implements EventOutput {
  readonly name = 'syslog';
  private readonly counters: Counters;
  private udp: UdpSocket | null = null;
  private tcp: Socket | null = null;
  private connected = false;
  private queue: Buffer[] = [];
  private reconnectTimer: NodeJS.Timeout | null = null;
  private isClosed = false;
  private readonly host: string;

  constructor(private readonly options: SyslogOutputOptions) {
    if (options.host === '') throw new CrashtestError('CT_ERR_OUTPUT', 'syslog output needs outputs.syslogHost');
    this.counters = options.counters ?? new Counters();
    this.host = options.hostname ?? hostname();
    this.open();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(event: CrashtestEvent): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'syslog output used after close()');
    const message = Buffer.from(formatSyslogMessage(event, { facility: this.options.facility, hostname: this.host, appName: this.options.appName, procId: String(process.pid) }), 'utf8');
    if (this.options.protocol === 'udp') this.sendUdp(message);
    else this.sendTcp(Buffer.concat([Buffer.from(`${message.length} `), message]));
  }

  async reopen(): Promise<void> {
    if (this.isClosed) return;
    this.teardown();
    this.open();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.tcp && this.connected) {
      const socket = this.tcp;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          socket.destroy();
          resolve();
        }, CLOSE_DRAIN_MS);
        socket.end(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (this.queue.length > 0) this.counters.add('outputs.syslog.dropped', this.queue.length);
    this.queue = [];
    this.teardown();
  }

  private open(): void {
    if (this.options.protocol === 'udp') {
      this.udp = createSocket(this.options.host.includes(':') ? 'udp6' : 'udp4');
      this.udp.on('error', () => this.counters.add('outputs.syslog.errors'));
      this.udp.unref();
      return;
    }
    const socket = connect({ host: this.options.host, port: this.options.port });
    this.tcp = socket;
    socket.setKeepAlive(true);
    socket.on('connect', () => {
      this.connected = true;
      const queued = this.queue;
      this.queue = [];
      for (const frame of queued) this.writeTcp(frame);
    });
    socket.on('error', () => this.counters.add('outputs.syslog.errors'));
    socket.on('close', () => {
      if (this.tcp !== socket) return;
      this.connected = false;
      this.tcp = null;
      if (!this.isClosed) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.isClosed && this.tcp === null) this.open();
    }, RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }

  private teardown(): void {
    this.udp?.close();
    this.udp = null;
    const socket = this.tcp;
    this.tcp = null;
    this.connected = false;
    socket?.destroy();
  }

  private sendUdp(message: Buffer): void {
    const datagram = message.length > MAX_UDP_BYTES ? message.subarray(0, MAX_UDP_BYTES) : message;
    if (datagram !== message) this.counters.add('outputs.syslog.truncated');
    this.udp?.send(datagram, this.options.port, this.options.host, (error) => this.counters.add(error ? 'outputs.syslog.errors' : 'outputs.syslog.sent'));
  }

  private sendTcp(frame: Buffer): void {
    if (this.connected && this.tcp) {
      this.writeTcp(frame);
      return;
    }
    this.queue.push(frame);
    if (this.queue.length > this.options.queueMessages) {
      this.queue.shift();
      this.counters.add('outputs.syslog.dropped');
    }
  }

  private writeTcp(frame: Buffer): void {
    this.tcp!.write(frame);
    this.counters.add('outputs.syslog.sent');
  }
}
