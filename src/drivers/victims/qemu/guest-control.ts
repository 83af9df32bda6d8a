/**
 * The driver's control line into a guest: a root shell on the guest's second serial port, which
 * QEMU exposes as a unix socket on the host. The guest's network cannot reach it, so an attacker
 * in the dummy cannot either. Used to re-address a clone restored from the shared golden snapshot
 * (every clone wakes up with the golden boot's address).
 */
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { CrashtestError } from '../../../core/index.ts';

export class GuestControl {
  private buffered = '';
  private wake: (() => void) | null = null;
  private nextMark = 1;
  private ended = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      this.wake?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  static async connect(path: string, signal?: AbortSignal): Promise<GuestControl> {
    signal?.throwIfAborted();
    const socket = createConnection({ path });
    await Promise.race([once(socket, 'connect', signal ? { signal } : {}), once(socket, 'error').then(([error]) => Promise.reject(error as Error))]);
    return new GuestControl(socket);
  }

  /** Runs one shell command line in the guest; resolves with its output and exit status. */
  async run(commandLine: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<{ output: string; status: number }> {
    options.signal?.throwIfAborted();
    if (this.ended) throw new CrashtestError('CT_ERR_INVALID_STATE', 'guest control line: closed');
    const mark = `@@crashtest-done-${this.nextMark++}`;
    this.buffered = '';
    this.socket.write(`${commandLine}\necho "${mark} $?"\n`);
    const pattern = new RegExp(`${mark} (\\d+)\\n`);
    const deadline = Date.now() + (options.timeoutMs ?? 5_000);
    for (;;) {
      const match = pattern.exec(this.buffered);
      if (match) return { output: this.buffered.slice(0, match.index), status: Number(match[1]) };
      options.signal?.throwIfAborted();
      if (this.ended) throw new CrashtestError('CT_ERR_INVALID_STATE', 'guest control line closed while a command ran');
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new CrashtestError('CT_ERR_VICTIM_CREATE', `guest control line: no answer to "${commandLine}" within ${options.timeoutMs ?? 5_000} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 50));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
