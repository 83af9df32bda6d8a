import type { PeerAddress, PipeEndpoint, PipeOpener, ServiceHost } from '../service.ts';
import { concatBytes } from './byte-reader.ts';

/** A named pipe a client has open: the endpoint behind it and what a following read will find. */
export interface OpenPipe {
  name: string;
  endpoint: PipeEndpoint;
  /** bytes the endpoint answered that the client has not read yet */
  unread: Uint8Array;
}

/** Most bytes kept waiting for a read on one pipe; beyond it the oldest answer is dropped (counted). */
const MAX_UNREAD_BYTES = 1 << 20; // 1 MiB

/**
 * The named pipes of one connection, shared by the SMB1 and SMB2 handlers: opening through the
 * injected PipeOpener, writes that queue the endpoint's answer, reads that drain it.
 */
export class OpenPipes {
  private readonly host: ServiceHost;
  private readonly peer: PeerAddress;
  private readonly opener: PipeOpener;
  private readonly pipes = new Map<number, OpenPipe>();

  constructor(host: ServiceHost, peer: PeerAddress, opener: PipeOpener) {
    this.host = host;
    this.peer = peer;
    this.opener = opener;
  }

  get size(): number {
    return this.pipes.size;
  }

  /** `\PIPE\srvsvc`, `\srvsvc` and `srvsvc` all name the pipe `srvsvc` */
  static pipeName(path: string): string {
    return path.replace(/^[\\/]+/, '').replace(/^pipe[\\/]/i, '').toLowerCase();
  }

  open(handle: number, path: string): OpenPipe | null {
    const name = OpenPipes.pipeName(path);
    if (name === '' || this.pipes.size >= 1024) return null;
    let endpoint: PipeEndpoint | null;
    try {
      endpoint = this.opener(this.host, name, this.peer);
    } catch {
      // the pipe's emulator failing is a bug there; the client sees a pipe that is not there
      this.host.anomaly('smb.pipe_opener_failed');
      endpoint = null;
    }
    if (!endpoint) return null;
    const pipe: OpenPipe = { name, endpoint, unread: new Uint8Array(0) };
    this.pipes.set(handle, pipe);
    return pipe;
  }

  get(handle: number): OpenPipe | undefined {
    return this.pipes.get(handle);
  }

  has(handle: number): boolean {
    return this.pipes.has(handle);
  }

  handles(): number[] {
    return [...this.pipes.keys()];
  }

  write(pipe: OpenPipe, bytes: Uint8Array): void {
    let answer: Uint8Array;
    try {
      answer = pipe.endpoint.transact(bytes);
    } catch {
      this.host.anomaly('smb.pipe_endpoint_failed');
      answer = new Uint8Array(0);
    }
    if (answer.length === 0) return;
    pipe.unread = pipe.unread.length === 0 ? answer : concatBytes([pipe.unread, answer]);
    if (pipe.unread.length > MAX_UNREAD_BYTES) {
      this.host.anomaly('smb.pipe_unread_overflow');
      pipe.unread = pipe.unread.subarray(pipe.unread.length - MAX_UNREAD_BYTES);
    }
  }

  /** up to `max` unread bytes, removed from the pipe */
  read(pipe: OpenPipe, max: number): Uint8Array {
    const taken = pipe.unread.subarray(0, Math.max(0, max));
    pipe.unread = pipe.unread.subarray(taken.length);
    return taken;
  }

  /** a write and a read in one exchange (TransactNmPipe, FSCTL_PIPE_TRANSCEIVE); `more` when bytes stay unread */
  transceive(pipe: OpenPipe, bytes: Uint8Array, max: number): { data: Uint8Array; more: boolean } {
    this.write(pipe, bytes);
    const data = this.read(pipe, max);
    return { data, more: pipe.unread.length > 0 };
  }

  close(handle: number): boolean {
    const pipe = this.pipes.get(handle);
    if (!pipe) return false;
    this.pipes.delete(handle);
    try {
      pipe.endpoint.close();
    } catch {
      this.host.anomaly('smb.pipe_endpoint_failed');
    }
    return true;
  }

  closeAll(): void {
    for (const handle of this.handles()) this.close(handle);
  }
}
