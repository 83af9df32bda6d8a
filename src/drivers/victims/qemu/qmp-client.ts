/**
 * A small client for QEMU's machine protocol (QMP) over its unix socket: the greeting, capability
 * negotiation, commands matched to their answers by id, asynchronous events, and QMP errors mapped
 * to our codes. One connection per QEMU process; QEMU exiting shows up as the connection closing.
 */
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { CrashtestError } from '../../../core/index.ts';

export interface QmpGreeting {
  version: { qemu: { major: number; minor: number; micro: number }; package: string };
  capabilities: string[];
}

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

export interface QmpConnectOptions {
  signal?: AbortSignal;
  /** how long to wait for the greeting once connected (default 5 s) */
  greetingTimeoutMs?: number;
}

interface Pending {
  command: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  cleanup(): void;
}

/** A parsed QMP message, the union of what the server can send. */
interface QmpMessage {
  QMP?: QmpGreeting;
  return?: unknown;
  error?: { class: string; desc: string };
  event?: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
  id?: unknown;
}

const MAX_LINE_BYTES = 16 * 1024 * 1024;

export class QmpClient {
  readonly greeting: QmpGreeting;
  /** told for every event, in arrival order */
  onEvent: ((event: QmpEvent) => void) | null = null;
  /** told once when the connection ends, with the error that ended it if any */
  onClose: ((error: Error | null) => void) | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly eventWaiters = new Set<(event: QmpEvent) => void>();
  private nextId = 1;
  private isClosed = false;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly socket: Socket,
    greeting: QmpGreeting,
    private readonly path: string,
  ) {
    this.greeting = greeting;
  }

  /** Connects to `path`, reads the greeting and leaves negotiation mode (`qmp_capabilities`). */
  static async connect(path: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    options.signal?.throwIfAborted();
    const socket = createConnection({ path });
    const reader = new LineReader(socket);
    const onAbort = (): void => {
      socket.destroy();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let greeting: QmpGreeting;
    try {
      await Promise.race([once(socket, 'connect'), rejectOn(socket, 'error')]);
      const first = await reader.next(options.greetingTimeoutMs ?? 5_000);
      if (first === null) throw new CrashtestError('CT_ERR_QMP_PROTOCOL', `qmp ${path}: the socket closed before a greeting`, { file: path });
      const parsed = parseMessage(first, path);
      if (parsed.QMP === undefined) throw new CrashtestError('CT_ERR_QMP_PROTOCOL', `qmp ${path}: expected a greeting {"QMP": …}, found ${first.slice(0, 120)}`, { file: path });
      greeting = parsed.QMP;
    } catch (error) {
      socket.destroy();
      reader.stop();
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof CrashtestError) throw error;
      throw new CrashtestError('CT_ERR_QMP_CLOSED', `qmp ${path}: cannot connect: ${(error as Error).message}`, { file: path }, { cause: error });
    }
    options.signal?.removeEventListener('abort', onAbort);
    const client = new QmpClient(socket, greeting, path);
    reader.stop();
    client.attach(reader.rest());
    await client.execute('qmp_capabilities', undefined, options);
    return client;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Runs `command`; resolves with its `return` value, rejects with CT_ERR_QMP_COMMAND when QEMU
   * answers with an error, CT_ERR_QMP_CLOSED when the connection ends first, or the signal's reason.
   * An aborted command may still run in QEMU: QMP has no cancel, so its answer is dropped.
   */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, options: { signal?: AbortSignal } = {}): Promise<T> {
    if (this.isClosed) return Promise.reject(new CrashtestError('CT_ERR_INVALID_STATE', `qmp ${this.path}: ${command} after close`));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => {
        this.pending.delete(id);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        command,
        resolve: resolve as (value: unknown) => void,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  }

  /** A human monitor command (loadvm, savevm); its text output, which is empty on success for most commands. */
  async human(commandLine: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    return this.execute<string>('human-monitor-command', { 'command-line': commandLine }, options);
  }

  /** Resolves with the next event named `name` (and matching `accept`), or rejects on close or abort. */
  waitForEvent(name: string, options: { signal?: AbortSignal; accept?: (event: QmpEvent) => boolean } = {}): Promise<QmpEvent> {
    if (this.isClosed) return Promise.reject(new CrashtestError('CT_ERR_QMP_CLOSED', `qmp ${this.path}: waiting for ${name} after close`));
    options.signal?.throwIfAborted();
    return new Promise<QmpEvent>((resolve, reject) => {
      const signal = options.signal;
      const finish = (): void => {
        this.eventWaiters.delete(waiter);
        this.closeWaiters.delete(onClosed);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter = (event: QmpEvent): void => {
        if (event.event !== name || (options.accept && !options.accept(event))) return;
        finish();
        resolve(event);
      };
      const onAbort = (): void => {
        finish();
        reject(signal!.reason);
      };
      const onClosed = (error: Error): void => {
        finish();
        reject(error);
      };
      this.eventWaiters.add(waiter);
      this.closeWaiters.add(onClosed);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private readonly closeWaiters = new Set<(error: Error) => void>();

  /** Ends the connection once pending commands have their answers. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      const waits = [...this.pending.values()].map(
        (pending) => new Promise<void>((resolve) => {
          const previous = pending.cleanup;
          pending.cleanup = () => {
            previous();
            resolve();
          };
        }),
      );
      await Promise.all(waits);
      if (!this.socket.destroyed) {
        this.socket.end();
        await Promise.race([once(this.socket, 'close'), delay(1_000)]);
      }
      this.finish(null);
    })();
    return this.closing;
  }

  /** Ends the connection now; pending commands reject with `error` or CT_ERR_QMP_CLOSED. Idempotent. */
  destroy(error?: Error): void {
    this.finish(error ?? null);
  }

  private attach(buffered: string): void {
    let text = buffered;
    this.socket.setEncoding('utf8');
    const consume = (): void => {
      for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n')) {
        const line = text.slice(0, newline).trim();
        text = text.slice(newline + 1);
        if (line.length > 0) this.dispatch(line);
        if (this.isClosed) return;
      }
      if (text.length > MAX_LINE_BYTES) this.finish(new CrashtestError('CT_ERR_QMP_PROTOCOL', `qmp ${this.path}: a line longer than ${MAX_LINE_BYTES} bytes`, { file: this.path }));
    };
    this.socket.on('data', (chunk: string) => {
      text += chunk;
      consume();
    });
    this.socket.on('error', (error) => this.finish(new CrashtestError('CT_ERR_QMP_CLOSED', `qmp ${this.path}: ${error.message}`, { file: this.path }, { cause: error })));
    this.socket.on('close', () => this.finish(null));
    if (text.length > 0) queueMicrotask(consume);
  }

  private dispatch(line: string): void {
    let message: QmpMessage;
    try {
      message = parseMessage(line, this.path);
    } catch (error) {
      this.finish(error as Error);
      return;
    }
    if (message.event !== undefined) {
      const event: QmpEvent = { event: message.event, data: message.data ?? {}, timestamp: message.timestamp ?? { seconds: 0, microseconds: 0 } };
      this.onEvent?.(event);
      for (const waiter of [...this.eventWaiters]) waiter(event);
      return;
    }
    const id = typeof message.id === 'number' ? message.id : NaN;
    const pending = this.pending.get(id);
    if (!pending) {
      // an answer to a command whose caller gave up (aborted) is expected; one with no id is not
      if (Number.isNaN(id)) this.finish(new CrashtestError('CT_ERR_QMP_PROTOCOL', `qmp ${this.path}: an answer without a command id: ${line.slice(0, 120)}`, { file: this.path }));
      return;
    }
    this.pending.delete(id);
    pending.cleanup();
    if (message.error !== undefined) {
      pending.reject(new CrashtestError('CT_ERR_QMP_COMMAND', `qmp ${this.path}: ${pending.command} failed: ${message.error.class}: ${message.error.desc}`, {
        file: this.path,
        command: pending.command,
        qmpClass: message.error.class,
      }));
    } else {
      pending.resolve(message.return);
    }
  }

  private finish(error: Error | null): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const reason = error ?? new CrashtestError('CT_ERR_QMP_CLOSED', `qmp ${this.path}: the connection closed`, { file: this.path });
    for (const pending of this.pending.values()) {
      pending.cleanup();
      pending.reject(new CrashtestError('CT_ERR_QMP_CLOSED', `qmp ${this.path}: closed while ${pending.command} waited for its answer`, { file: this.path, command: pending.command }, { cause: reason }));
    }
    this.pending.clear();
    for (const waiter of [...this.closeWaiters]) waiter(reason);
    this.socket.destroy();
    this.onClose?.(error);
  }
}

function parseMessage(line: string, path: string): QmpMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new CrashtestError('CT_ERR_QMP_PROTOCOL', `qmp ${path}: a line that is not JSON: ${line.slice(0, 120)}`, { file: path });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CrashtestError('CT_ERR_QMP_PROTOCOL', `qmp ${path}: expected a JSON object, found ${line.slice(0, 120)}`, { file: path });
  }
  return value as QmpMessage;
}

function rejectOn(socket: Socket, event: 'error'): Promise<never> {
  return new Promise((_, reject) => socket.once(event, reject));
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds).unref());
}

/** Reads whole lines from a socket until stopped, then hands over what it buffered. */
class LineReader {
  private buffered = '';
  private waiter: (() => void) | null = null;
  private ended = false;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered += chunk.toString('utf8');
    this.waiter?.();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.waiter?.();
  };

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('close', this.onEnd);
  }

  async next(timeoutMs: number): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const newline = this.buffered.indexOf('\n');
      if (newline >= 0) {
        const line = this.buffered.slice(0, newline).trim();
        this.buffered = this.buffered.slice(newline + 1);
        if (line.length > 0) return line;
        continue;
      }
      if (this.ended) return null;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new CrashtestError('CT_ERR_QMP_PROTOCOL', `qmp: no greeting within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  stop(): void {
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onEnd);
  }

  rest(): string {
    return this.buffered;
  }
}
