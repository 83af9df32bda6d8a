/**
 * A `VictimConnection` over a real TCP socket: what the service says on its own after connect is
 * the greeting, and each send is answered with what arrives until the service goes quiet, closes,
 * or the answer wait runs out.
 */
import type { Socket } from 'node:net';
import { CrashtestError } from '../../../core/index.ts';
import type { CallOptions, VictimConnection } from '../../../sandbox/index.ts';

export interface QuietTimes {
  /** how long a fresh connection waits for a greeting (ms) */
  greetingMs: number;
  /** how long a send waits for the first byte of an answer (ms) */
  answerMs: number;
  /** an answer is over after this long without a byte (ms) */
  quietMs: number;
}

export class SocketConnection implements VictimConnection {
  greeting: Uint8Array = new Uint8Array(0);
  private chunks: Buffer[] = [];
  private ended = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly times: QuietTimes,
    private readonly onClose: (connection: SocketConnection) => void,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.wake?.();
    });
    const ended = (): void => {
      this.ended = true;
      this.wake?.();
    };
    socket.on('end', ended);
    socket.on('close', ended);
    socket.on('error', ended);
    socket.resume();
  }

  /** Waits for the greeting (nothing for services that wait for the client). */
  async open(signal?: AbortSignal): Promise<this> {
    this.greeting = await this.collect(this.times.greetingMs, signal);
    return this;
  }

  get closedByVictim(): boolean {
    return this.ended;
  }

  async send(bytes: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    options.signal?.throwIfAborted();
    if (this.socket.destroyed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'netns connection: send after close');
    if (this.ended) return new Uint8Array(0);
    this.socket.write(bytes);
    return this.collect(this.times.answerMs, options.signal);
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    this.socket.destroy();
    this.onClose(this);
  }

  /** Bytes arriving from now until quiet; `firstMs` bounds the wait for the first one. */
  private collect(firstMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const finish = (): void => {
        clearTimeout(timer);
        this.wake = null;
        signal?.removeEventListener('abort', onAbort);
        const answer = Buffer.concat(this.chunks);
        this.chunks = [];
        resolve(answer);
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        this.wake = null;
        reject(signal!.reason);
      };
      const arm = (): void => {
        clearTimeout(timer);
        if (this.ended) return finish();
        timer = setTimeout(finish, this.chunks.length > 0 ? this.times.quietMs : firstMs);
      };
      this.wake = arm;
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
    });
  }
}

/**
 * A connection to a real dummy's port through its containment link (netns veth or qemu tap), kept
 * in `open` until it closes so a revert can end it; null when nothing listens there.
 */
export async function connectThroughLink(
  link: { connect(port: number, options: { signal?: AbortSignal }): Promise<Socket | null> },
  port: number,
  times: QuietTimes,
  open: Set<SocketConnection>,
  signal?: AbortSignal,
): Promise<VictimConnection | null> {
  signal?.throwIfAborted();
  const socket = await link.connect(port, signal ? { signal } : {});
  if (!socket) return null;
  socket.setNoDelay(true);
  const connection = new SocketConnection(socket, times, (closed) => open.delete(closed));
  open.add(connection);
  return connection.open(signal);
}
