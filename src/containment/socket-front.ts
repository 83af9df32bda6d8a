/**
 * The containment on real sockets, for dummies that are real processes or machines (the netns and
 * qemu drivers): a TCP and a UDP listener whose connections and datagrams meet the same sinks as
 * an emulated dummy's calls. The drivers route every packet of the dummy here (the containment
 * namespace is its only route); `destinationOf` tells the containment where the dummy meant to go.
 */
import { createSocket, type Socket as DatagramSocket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { CrashtestError } from '../core/index.ts';
import type { Containment } from './containment.ts';
import type { NetworkAddress } from './egress-event.ts';
import type { DatagramReply } from './sink.ts';

export interface SocketFrontOptions {
  /** the address to listen on (tests: 127.0.0.1 only) */
  address: string;
  /** TCP port to listen on, 0 for an ephemeral one; absent: no TCP listener */
  tcpPort?: number;
  /** UDP port to bind, 0 for an ephemeral one; absent: no UDP socket */
  udpPort?: number;
  /**
   * where the dummy meant to go, given where its traffic arrived and where it came from (a driver
   * that redirects every port to the front knows the original destination); default: the
   * listener's own address
   */
  destinationOf?: (arrivedAt: NetworkAddress, transport: 'tcp' | 'udp', source: NetworkAddress) => NetworkAddress;
  /**
   * A TCP listener opened elsewhere (in another network namespace, handed over by a child
   * process) instead of `tcpPort`: the front serves it, and on close detaches from it without
   * closing it, so the next lease's front can serve it again.
   */
  server?: Server;
  /**
   * A UDP socket opened elsewhere, instead of `udpPort`, kept open on close like `server`. A reply
   * from a new port (a TFTP transfer) then needs `openTransferSocket`; without it the reply is
   * dropped and counted (`containment.front.transfers_unsupported`).
   */
  udpSocket?: DatagramSocket;
  /**
   * Opens the socket that a transfer port's replies go out from and the dummy's answers come back
   * to, where `udpSocket` was opened (another namespace), made to look like `from` to the dummy.
   * `release` closes it when the transfer ends. Replies wait (in order) until it is open; a
   * failure is counted (`containment.front.transfer_socket_failures`) and the transfer dropped.
   */
  openTransferSocket?: (from: NetworkAddress) => Promise<{ socket: DatagramSocket; release(): void }>;
  /** a TFTP transfer socket with no traffic for this long is closed (default 30 s) */
  transferIdleMs?: number;
  signal?: AbortSignal;
}

interface TransferSocket {
  /** null while `openTransferSocket` is still opening it */
  socket: DatagramSocket | null;
  /** replies that wait for the socket */
  waiting: { bytes: Uint8Array; port: number; address: string }[];
  /** where the dummy thinks the transfer port is */
  address: string;
  release: (() => void) | null;
  timer: NodeJS.Timeout;
  closed: boolean;
}

export class ContainmentFront {
  private readonly sockets = new Set<Socket>();
  private readonly transfers = new Map<number, TransferSocket>();
  private isClosed = false;
  private readonly onConnection = (socket: Socket): void => this.accept(socket);
  private readonly onMessage = (message: Buffer, remote: RemoteInfo): void => this.datagram(message, remote, null);
  private readonly onUdpError = (): void => this.containment.counters.add('containment.front.udp_errors');
  tcpAddress: NetworkAddress | null = null;
  udpAddress: NetworkAddress | null = null;

  private constructor(
    readonly containment: Containment,
    private readonly options: SocketFrontOptions,
    private readonly server: Server | null,
    private readonly udp: DatagramSocket | null,
  ) {}

  /** Listens and feeds everything that arrives into `containment`. */
  static async listen(containment: Containment, options: SocketFrontOptions): Promise<ContainmentFront> {
    options.signal?.throwIfAborted();
    const server = options.server ?? (options.tcpPort === undefined ? null : createServer());
    const udp = options.udpSocket ?? (options.udpPort === undefined ? null : createSocket(isIPv6(options.address) ? 'udp6' : 'udp4'));
    const front = new ContainmentFront(containment, options, server, udp);
    try {
      if (server) {
        server.on('connection', front.onConnection);
        if (!options.server) {
          server.listen(options.tcpPort, options.address);
          await once(server, 'listening');
        }
        const bound = server.address();
        if (bound && typeof bound === 'object') front.tcpAddress = { address: bound.address, port: bound.port };
      }
      if (udp) {
        udp.on('message', front.onMessage);
        udp.on('error', front.onUdpError);
        if (!options.udpSocket) {
          udp.bind(options.udpPort, options.address);
          await once(udp, 'listening');
        }
        const bound = udp.address();
        front.udpAddress = { address: bound.address, port: bound.port };
      }
    } catch (error) {
      front.destroy();
      throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `containment front: cannot listen on ${options.address} (tcp ${options.tcpPort ?? '-'}, udp ${options.udpPort ?? '-'})`, { key: 'address' }, { cause: error });
    }
    options.signal?.addEventListener('abort', () => front.destroy(), { once: true });
    return front;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Stops listening and ends open connections gracefully; resolves when the listeners are closed. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const socket of this.sockets) socket.end();
    await this.shutdown();
  }

  /** Stops now: open connections are reset. Idempotent. */
  destroy(_error?: Error): void {
    this.isClosed = true;
    for (const socket of this.sockets) socket.destroy();
    void this.shutdown();
  }

  private async shutdown(): Promise<void> {
    for (const transfer of this.transfers.values()) this.closeTransfer(transfer);
    this.transfers.clear();
    const waits: Promise<unknown>[] = [];
    // listeners handed in belong to the caller: detach, leave them open
    if (this.options.server) this.options.server.off('connection', this.onConnection);
    else if (this.server?.listening) waits.push(new Promise((resolve) => this.server!.close(resolve)));
    if (this.options.udpSocket) {
      this.options.udpSocket.off('message', this.onMessage);
      this.options.udpSocket.off('error', this.onUdpError);
    } else if (this.udp) {
      try {
        this.udp.close();
      } catch {
        // already closed
      }
    }
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(waits);
  }

  private destination(arrivedAt: NetworkAddress, transport: 'tcp' | 'udp', source: NetworkAddress): NetworkAddress {
    return this.options.destinationOf?.(arrivedAt, transport, source) ?? arrivedAt;
  }

  private accept(socket: Socket): void {
    if (this.isClosed || this.containment.closed) {
      socket.destroy();
      return;
    }
    const source = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const destination = this.destination({ address: socket.localAddress ?? this.options.address, port: socket.localPort ?? 0 }, 'tcp', source);
    const connection = this.containment.connectTcp(destination, source);
    if (!connection) {
      socket.resetAndDestroy();
      return;
    }
    this.sockets.add(socket);
    const flush = (): void => {
      if (socket.destroyed || socket.writableEnded) return;
      for (let chunk = connection.read(65_536); chunk; chunk = connection.read(65_536)) socket.write(chunk);
      if (connection.drained && !socket.writableEnded) socket.end();
    };
    connection.onOutput = () => queueMicrotask(flush);
    flush();
    socket.on('data', (data) => {
      if (!connection.closed) connection.send(data);
    });
    socket.on('end', () => {
      if (!socket.writableEnded) socket.end();
    });
    socket.on('error', () => this.containment.counters.add('containment.front.tcp_errors'));
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (!connection.closed && !this.containment.closed) connection.close('dummy');
    });
  }

  /** A datagram from the dummy: to the main socket (`transfer` null) or to a TFTP transfer port. */
  private datagram(message: Buffer, remote: RemoteInfo, transfer: NetworkAddress | null): void {
    if (this.isClosed || this.containment.closed) return;
    const source = { address: remote.address, port: remote.port };
    const destination = transfer ?? this.destination(this.udpAddress!, 'udp', source);
    const replies = this.containment.sendDatagram(destination, new Uint8Array(message), { address: remote.address, port: remote.port });
    for (const reply of replies) this.sendReply(reply, destination, remote);
  }

  private sendReply(reply: DatagramReply, destination: NetworkAddress, remote: RemoteInfo): void {
    if (reply.from.port === destination.port && reply.from.address === destination.address) {
      const transfer = this.transfers.get(destination.port);
      if (transfer) this.sendOnTransfer(transfer, reply.bytes, remote);
      else this.udp!.send(reply.bytes, remote.port, remote.address);
      return;
    }
    // a reply from a new port (a TFTP transfer): a real socket stands for that port
    let transfer = this.transfers.get(reply.from.port);
    if (!transfer && this.options.udpSocket && !this.options.openTransferSocket) {
      this.containment.counters.add('containment.front.transfers_unsupported');
      return;
    }
    if (!transfer) {
      if (this.transfers.size >= this.containment.settings.limits.maxPendingTransfers) {
        this.containment.counters.add('containment.front.transfers_refused_cap');
        return;
      }
      transfer = this.openTransfer(reply.from);
    }
    this.sendOnTransfer(transfer, reply.bytes, remote);
  }

  private openTransfer(from: NetworkAddress): TransferSocket {
    const port = from.port;
    const transfer: TransferSocket = { socket: null, waiting: [], address: from.address, release: null, timer: this.idleTimer(port), closed: false };
    this.transfers.set(port, transfer);
    const serve = (socket: DatagramSocket, release: () => void): void => {
      transfer.socket = socket;
      transfer.release = release;
      socket.on('message', (message, sender) => {
        this.touch(port);
        this.datagram(message, sender, { address: transfer.address, port });
      });
      socket.on('error', () => this.containment.counters.add('containment.front.udp_errors'));
      for (const waiting of transfer.waiting.splice(0)) socket.send(waiting.bytes, waiting.port, waiting.address);
    };
    if (!this.options.openTransferSocket) {
      const socket = createSocket(isIPv6(this.options.address) ? 'udp6' : 'udp4');
      socket.bind(0, this.options.address);
      serve(socket, () => socket.close());
      return transfer;
    }
    this.options.openTransferSocket(from).then(
      ({ socket, release }) => {
        if (transfer.closed) release();
        else serve(socket, release);
      },
      () => {
        this.containment.counters.add('containment.front.transfer_socket_failures');
        this.closeTransfer(transfer);
        if (this.transfers.get(port) === transfer) this.transfers.delete(port);
      },
    );
    return transfer;
  }

  private sendOnTransfer(transfer: TransferSocket, bytes: Uint8Array, remote: RemoteInfo): void {
    if (transfer.socket) transfer.socket.send(bytes, remote.port, remote.address);
    else transfer.waiting.push({ bytes, port: remote.port, address: remote.address });
  }

  private idleTimer(port: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const transfer = this.transfers.get(port);
      if (transfer) this.closeTransfer(transfer);
      this.transfers.delete(port);
    }, this.options.transferIdleMs ?? 30_000);
    timer.unref();
    return timer;
  }

  private touch(port: number): void {
    const transfer = this.transfers.get(port);
    if (!transfer) return;
    clearTimeout(transfer.timer);
    transfer.timer = this.idleTimer(port);
  }

  private closeTransfer(transfer: TransferSocket): void {
    transfer.closed = true;
    transfer.waiting.length = 0;
    clearTimeout(transfer.timer);
    try {
      transfer.release?.();
    } catch {
      // already closed
    }
  }
}

/** Listens on `options.address` and feeds accepted connections and datagrams into `containment`. */
export function listenContainment(containment: Containment, options: SocketFrontOptions): Promise<ContainmentFront> {
  return ContainmentFront.listen(containment, options);
}
