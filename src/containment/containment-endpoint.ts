/**
 * The emulated dummy's network: an emulator `NetworkEndpoint` whose every call lands in a
 * containment. There is no other path out of an emulated dummy, so this adapter is the guarantee
 * that its traffic never leaves: connects meet sinks, datagrams meet sinks, raw ICMP echoes are
 * answered, and names resolve to the sinkhole.
 */
import type { AcceptResult, ConnectResult, EndpointSocket, NetworkEndpoint, ReceiveResult } from '../emulator/index.ts';
import type { ContainedConnection } from './contained-connection.ts';
import type { Containment } from './containment.ts';
import type { NetworkAddress } from './egress-event.ts';
import type { DatagramReply } from './sink.ts';

export interface ContainmentEndpointOptions {
  /** the dummy's own address, the source of its events (default 10.13.37.100) */
  dummyAddress?: string;
  /**
   * what a receive finds when the sink has nothing to say: `closed` lets code that waits for a
   * stage go on to its end (the default, like the emulator's recording endpoint); `would_block`
   * pauses the run so a driver can resume it later
   */
  whenIdle?: 'closed' | 'would_block';
}

interface SocketState {
  connection: ContainedConnection | null;
  /** UDP default destination (connect on a datagram socket) */
  peer: NetworkAddress | null;
  local: NetworkAddress;
  replies: DatagramReply[];
}

const ICMP_ECHO_REQUEST = 8;
const MAX_QUEUED_DATAGRAMS = 64;

export class ContainmentEndpoint implements NetworkEndpoint {
  private readonly sockets = new Map<number, SocketState>();
  private readonly dummyAddress: string;
  private readonly whenIdle: 'closed' | 'would_block';
  private nextPort = 49_152;

  constructor(
    readonly containment: Containment,
    options: ContainmentEndpointOptions = {},
  ) {
    this.dummyAddress = options.dummyAddress ?? '10.13.37.100';
    this.whenIdle = options.whenIdle ?? 'closed';
  }

  connect(socket: EndpointSocket, address: string, port: number): ConnectResult {
    const state = this.state(socket);
    if (socket.kind !== 'tcp') {
      state.peer = { address, port };
      return { kind: 'connected' };
    }
    if (state.connection) state.connection.close('dummy');
    state.connection = this.containment.connectTcp({ address, port }, state.local);
    return state.connection ? { kind: 'connected' } : { kind: 'refused' };
  }

  send(socket: EndpointSocket, bytes: Uint8Array): number {
    const state = this.state(socket);
    if (state.connection) return state.connection.send(bytes.slice());
    if (state.peer) return this.sendTo(socket, bytes, state.peer.address, state.peer.port);
    return -1;
  }

  sendTo(socket: EndpointSocket, bytes: Uint8Array, address: string, port: number): number {
    const state = this.state(socket);
    if (socket.kind === 'tcp') return state.connection ? state.connection.send(bytes.slice()) : -1;
    if (socket.kind === 'raw') return this.sendRaw(state, bytes, address);
    const replies = this.containment.sendDatagram({ address, port }, bytes.slice(), state.local);
    this.queue(state, replies);
    return bytes.length;
  }

  receive(socket: EndpointSocket, maxLength: number): ReceiveResult {
    const state = this.state(socket);
    if (state.connection) {
      const bytes = state.connection.read(maxLength);
      if (bytes) return { kind: 'data', bytes };
      if (state.connection.drained || state.connection.closed) return { kind: 'closed' };
      return { kind: this.whenIdle };
    }
    const reply = state.replies.shift();
    if (reply) return { kind: 'data', bytes: reply.bytes.subarray(0, maxLength), fromAddress: reply.from.address, fromPort: reply.from.port };
    return { kind: this.whenIdle };
  }

  bind(socket: EndpointSocket, _address: string, port: number): boolean {
    this.state(socket).local = { address: this.dummyAddress, port };
    return true;
  }

  /** Listening is the dummy's own business (a bind shell); nobody from containment ever connects. */
  listen(_socket: EndpointSocket, _backlog: number): boolean {
    return true;
  }

  accept(_socket: EndpointSocket): AcceptResult {
    return { kind: 'would_block' };
  }

  resolve(name: string): string | null {
    return this.containment.resolve(name);
  }

  close(socket: EndpointSocket): void {
    const state = this.sockets.get(socket.id);
    state?.connection?.close('dummy');
    this.sockets.delete(socket.id);
  }

  private state(socket: EndpointSocket): SocketState {
    let state = this.sockets.get(socket.id);
    if (!state) {
      state = { connection: null, peer: null, local: { address: this.dummyAddress, port: this.ephemeralPort() }, replies: [] };
      this.sockets.set(socket.id, state);
    }
    return state;
  }

  private ephemeralPort(): number {
    const port = this.nextPort;
    this.nextPort = port >= 65_535 ? 49_152 : port + 1;
    return port;
  }

  /** A raw socket's ICMP echo request is counted and answered with an echo reply; anything else is a datagram. */
  private sendRaw(state: SocketState, bytes: Uint8Array, address: string): number {
    if (bytes[0] !== ICMP_ECHO_REQUEST || bytes.length < 8) {
      this.containment.sendDatagram({ address, port: 0 }, bytes.slice(), state.local);
      return bytes.length;
    }
    this.containment.icmpEcho(address, bytes.length - 8);
    const reply = bytes.slice();
    reply[0] = 0;
    // the checksum changes by exactly the type difference (RFC 1624 incremental update)
    const checksum = ((reply[2]! << 8) | reply[3]!) + 0x0800;
    const folded = (checksum & 0xffff) + (checksum >> 16);
    reply[2] = folded >> 8;
    reply[3] = folded & 0xff;
    this.queue(state, [{ bytes: reply, from: { address, port: 0 } }]);
    return bytes.length;
  }

  private queue(state: SocketState, replies: DatagramReply[]): void {
    for (const reply of replies) {
      if (state.replies.length < MAX_QUEUED_DATAGRAMS) state.replies.push(reply);
      else this.containment.counters.add('containment.endpoint.replies_dropped');
    }
  }
}
