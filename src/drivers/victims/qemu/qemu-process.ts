/**
 * One QEMU process and its monitor: spawned (inside the containment namespace when a wrapper
 * command is given), its QMP socket connected, its exit watched. QEMU exiting on its own is
 * reported once through `onExit` with pid, code and signal; `kill()` is ours and is not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CrashtestError } from '../../../core/index.ts';
import { QmpClient } from './qmp-client.ts';

export interface QemuExit {
  pid: number;
  code: number | null;
  signal: string | null;
  /** the last lines QEMU wrote to stderr */
  stderr: string;
}

export interface QemuProcessOptions {
  binary: string;
  args: readonly string[];
  /** runs QEMU through this command (`ip netns exec <ns>`); empty: directly */
  wrapper?: readonly string[];
  qmpPath: string;
  signal?: AbortSignal;
  /** how long QEMU gets to open its monitor (default 10 s) */
  startTimeoutMs?: number;
}

const STDERR_KEPT_BYTES = 4_096;

export class QemuProcess {
  /** told once when QEMU exits without kill() */
  onExit: ((exit: QemuExit) => void) | null = null;
  private stderr = '';
  private exit: QemuExit | null = null;
  private killed = false;
  private readonly exited: Promise<QemuExit>;

  private constructor(
    private readonly child: ChildProcess,
    readonly qmp: QmpClient,
  ) {
    this.exited = new Promise((resolve) => {
      const done = (): void => resolve(this.exit!);
      if (this.exit) done();
      else child.once('exit', () => queueMicrotask(done));
    });
  }

  static async start(options: QemuProcessOptions): Promise<QemuProcess> {
    options.signal?.throwIfAborted();
    const wrapper = options.wrapper ?? [];
    const command = wrapper.length > 0 ? wrapper[0]! : options.binary;
    const args = wrapper.length > 0 ? [...wrapper.slice(1), options.binary, ...options.args] : [...options.args];
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let exit: QemuExit | null = null;
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT_BYTES);
    });
    child.once('exit', (code, signal) => {
      exit = { pid: child.pid ?? 0, code, signal, stderr: stderr.trim() };
    });
    let spawnError: Error | null = null;
    child.once('error', (error) => {
      spawnError = error;
    });
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    let qmp: QmpClient | null = null;
    try {
      while (qmp === null) {
        options.signal?.throwIfAborted();
        if (spawnError) throw new CrashtestError('CT_ERR_QEMU_UNAVAILABLE', `${options.binary}: cannot start (${(spawnError as Error).message})`, { file: options.binary });
        if (exit) throw new CrashtestError('CT_ERR_VICTIM_CREATE', `qemu exited at start (code ${(exit as QemuExit).code}, signal ${(exit as QemuExit).signal}): ${(exit as QemuExit).stderr}`, { ...(exit as QemuExit) });
        if (Date.now() > deadline) throw new CrashtestError('CT_ERR_VICTIM_CREATE', `qemu did not open its monitor ${options.qmpPath} within ${options.startTimeoutMs ?? 10_000} ms: ${stderr.trim()}`);
        if (existsSync(options.qmpPath)) {
          try {
            qmp = await QmpClient.connect(options.qmpPath, options.signal ? { signal: options.signal } : {});
            break;
          } catch (error) {
            if (options.signal?.aborted) throw error;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    const process = new QemuProcess(child, qmp);
    process.stderr = stderr;
    child.stderr!.on('data', (chunk: string) => {
      process.stderr = (process.stderr + chunk).slice(-STDERR_KEPT_BYTES);
    });
    child.once('exit', (code, signal) => {
      process.exit = { pid: child.pid ?? 0, code, signal, stderr: process.stderr.trim() };
      process.qmp.destroy();
      if (!process.killed) process.onExit?.(process.exit);
    });
    return process;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** set once QEMU has exited */
  get exitStatus(): QemuExit | null {
    return this.exit;
  }

  /** Ends QEMU now (SIGKILL: the dummy's state is thrown away anyway); resolves when it has exited. */
  async kill(): Promise<void> {
    this.killed = true;
    this.qmp.destroy();
    if (this.exit || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Asks QEMU to quit and waits for it (a monitor that does not answer gets SIGKILL after 2 s). */
  async quit(): Promise<void> {
    this.killed = true;
    if (this.exit) return;
    await Promise.race([this.qmp.execute('quit').catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await this.exited;
    clearTimeout(timer);
  }
}
