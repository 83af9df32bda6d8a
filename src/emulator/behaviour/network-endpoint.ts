/**
 * The network as attacker code sees it. The process environments never answer a socket call
 * themselves: they ask a `NetworkEndpoint`, so the dummy layer can wire calls to containment (an
 * outbound connect lands in a sink) or to a replayed dialog (a stager receives its stage).
 */

export type SocketKind = 'tcp' | 'udp' | 'raw';

export interface EndpointSocket {
  /** process-unique id (the guest's SOCKET / file descriptor value) */
  readonly id: number;
  readonly kind: SocketKind;
}

export type ConnectResult = { kind: 'connected' } | { kind: 'refused' } | { kind: 'unreachable' } | { kind: 'would_block' };

export type ReceiveResult =
  | { kind: 'data'; bytes: Uint8Array; fromAddress?: string; fromPort?: number }
  | { kind: 'would_block' }
  | { kind: 'closed' };

export type AcceptResult = { kind: 'connection'; peerAddress: string; peerPort: number } | { kind: 'would_block' };

export interface NetworkEndpoint {
  connect(socket: EndpointSocket, address: string, port: number): ConnectResult;
  /** returns how many bytes were taken */
  send(socket: EndpointSocket, bytes: Uint8Array): number;
  sendTo(socket: EndpointSocket, bytes: Uint8Array, address: string, port: number): number;
  receive(socket: EndpointSocket, maxLength: number): ReceiveResult;
  bind(socket: EndpointSocket, address: string, port: number): boolean;
  listen(socket: EndpointSocket, backlog: number): boolean;
  accept(socket: EndpointSocket): AcceptResult;
  /** name → dotted IPv4 address, or null when the name does not resolve */
  resolve(name: string): string | null;
  close(socket: EndpointSocket): void;
}

/** What an endpoint saw, kept by the recording endpoints for evidence and tests. */
export interface EndpointTranscript {
  connects: { socket: number; address: string; port: number }[];
  sent: { socket: number; bytes: Uint8Array; address?: string; port?: number }[];
  binds: { socket: number; address: string; port: number }[];
  resolved: string[];
}

/**
 * The default: everything succeeds plausibly. Connects succeed, sends are taken whole, a receive
 * finds the peer closed (so a stager ends instead of waiting), an accept gets a connection (so a
 * bind shell goes on to start its shell), names resolve into 10.13.37.0/24.
 */
export class RecordingEndpoint implements NetworkEndpoint {
  readonly transcript: EndpointTranscript = { connects: [], sent: [], binds: [], resolved: [] };
  private nextResolved = 1;
  private readonly names = new Map<string, string>();

  connect(socket: EndpointSocket, address: string, port: number): ConnectResult {
    this.transcript.connects.push({ socket: socket.id, address, port });
    return { kind: 'connected' };
  }

  send(socket: EndpointSocket, bytes: Uint8Array): number {
    this.transcript.sent.push({ socket: socket.id, bytes: bytes.slice() });
    return bytes.length;
  }

  sendTo(socket: EndpointSocket, bytes: Uint8Array, address: string, port: number): number {
    this.transcript.sent.push({ socket: socket.id, bytes: bytes.slice(), address, port });
    return bytes.length;
  }

  receive(_socket: EndpointSocket, _maxLength: number): ReceiveResult {
    return { kind: 'closed' };
  }

  bind(socket: EndpointSocket, address: string, port: number): boolean {
    this.transcript.binds.push({ socket: socket.id, address, port });
    return true;
  }

  listen(_socket: EndpointSocket, _backlog: number): boolean {
    return true;
  }

  accept(_socket: EndpointSocket): AcceptResult {
    return { kind: 'connection', peerAddress: '10.13.37.200', peerPort: 49_152 };
  }

  resolve(name: string): string | null {
    this.transcript.resolved.push(name);
    let address = this.names.get(name);
    if (!address) {
      address = `10.13.37.${this.nextResolved}`;
      this.nextResolved = (this.nextResolved % 250) + 1;
      this.names.set(name, address);
    }
    return address;
  }

  close(_socket: EndpointSocket): void {}
}

export interface ScriptedEndpointOptions {
  /** chunks the guest receives, in order, on whichever socket reads first */
  incoming?: Uint8Array[];
  /** what a receive gets once the chunks are used up (default: closed) */
  whenEmpty?: 'closed' | 'would_block';
  /** refuse every connect */
  refuseConnect?: boolean;
}

/** For tests and replay: receives return the given bytes, as a stager would get its stage. */
export class ScriptedEndpoint extends RecordingEndpoint {
  private readonly incoming: Uint8Array[];

  constructor(private readonly options: ScriptedEndpointOptions = {}) {
    super();
    this.incoming = (options.incoming ?? []).map((chunk) => chunk.slice());
  }

  override connect(socket: EndpointSocket, address: string, port: number): ConnectResult {
    super.connect(socket, address, port);
    return this.options.refuseConnect ? { kind: 'refused' } : { kind: 'connected' };
  }

  override receive(_socket: EndpointSocket, maxLength: number): ReceiveResult {
    const chunk = this.incoming[0];
    if (!chunk) return { kind: this.options.whenEmpty ?? 'closed' };
    if (chunk.length <= maxLength) {
      this.incoming.shift();
      return { kind: 'data', bytes: chunk };
    }
    this.incoming[0] = chunk.subarray(maxLength);
    return { kind: 'data', bytes: chunk.subarray(0, maxLength) };
  }

  /** More bytes arrive (the replayed dialog goes on); a blocked run can be resumed. */
  deliver(bytes: Uint8Array): void {
    this.incoming.push(bytes.slice());
  }

  /** bytes not yet received */
  get pendingBytes(): number {
    return this.incoming.reduce((sum, chunk) => sum + chunk.length, 0);
  }
}
