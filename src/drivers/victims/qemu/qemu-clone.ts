/**
 * One QEMU process of a qemu dummy: a clone of the machine's golden state on one containment link,
 * re-addressed to that link through the guest's control line. Two ways to make one:
 * - from the golden snapshot (`loadvm` mode): a copy of the golden qcow2 started with `-loadvm`,
 *   saved again as its own `clean` once re-addressed; reverted in place with `loadvm clean`.
 * - from the golden RAM image (`spare` mode): RAM mapped copy-on-write from the image, device state
 *   from its migration stream; once it answers (and has answered the readiness probe, so the
 *   translated code of that path is warm) it is stopped, burning no CPU until `resume()`.
 */
import { copyFileSync, constants, mkdirSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { CrashtestError } from '../../../core/index.ts';
import { abortableDelay } from '../abortable-delay.ts';
import type { ContainmentAttachment, ContainmentNamespace } from '../netns/containment-namespace.ts';
import type { QemuAccelerator } from './accelerator-probe.ts';
import { containedWrapper, notYetReachable } from './golden-snapshot.ts';
import { GuestControl } from './guest-control.ts';
import { qemuArguments, qemuFiles, SNAPSHOT_NAME, type QemuFiles } from './qemu-command-line.ts';
import type { QemuMachine } from './qemu-machine.ts';
import { QemuProcess, type QemuExit } from './qemu-process.ts';
import { migrationCompleted, setIgnoreShared, shellQuote, type RamImage } from './ram-image.ts';
import { SerialConsole } from './serial-console.ts';

/** what a clone is restored from */
export type QemuGolden = { kind: 'snapshot'; path: string } | ({ kind: 'ram-image' } & RamImage);

export interface QemuCloneSettings {
  qemuBinary: string;
  machine: QemuMachine;
  accelerator: QemuAccelerator;
  golden: QemuGolden;
  space: ContainmentNamespace;
}

/** the readiness probe's answer is read this long at most (ms): it only warms the path */
const PROBE_ANSWER_MS = 5_000;

export class QemuClone {
  /** told once when QEMU exits on its own */
  onExit: ((exit: QemuExit) => void) | null = null;

  private constructor(
    readonly link: ContainmentAttachment,
    readonly files: QemuFiles,
    private readonly qemu: QemuProcess,
    private readonly control: GuestControl,
    readonly console: SerialConsole,
    private readonly machine: QemuMachine,
  ) {
    qemu.onExit = (exit) => this.onExit?.(exit);
  }

  /**
   * A clone on `link`, its files in `directory`: answering and saved as `clean` (snapshot), or
   * answering, warmed by the readiness probe and then stopped (RAM image). QEMU is killed on failure.
   */
  static async start(link: ContainmentAttachment, directory: string, settings: QemuCloneSettings, signal?: AbortSignal): Promise<QemuClone> {
    signal?.throwIfAborted();
    const { golden, machine } = settings;
    mkdirSync(directory, { recursive: true });
    const files = qemuFiles(directory);
    // a slot's previous clone left its sockets and state behind
    for (const path of [files.qmp, files.control, files.state]) rmSync(path, { force: true });
    // a reflink where the file system has them: clones share the golden blocks until they write
    if (golden.kind === 'snapshot') copyFileSync(golden.path, files.state, constants.COPYFILE_FICLONE);
    else if (golden.disk !== undefined) copyFileSync(golden.disk, files.state, constants.COPYFILE_FICLONE);
    const qemu = await QemuProcess.start({
      binary: settings.qemuBinary,
      wrapper: containedWrapper(settings.space.name),
      args: qemuArguments({
        machine,
        accelerator: settings.accelerator,
        files,
        tap: { interfaceName: link.interfaceName },
        loadSnapshot: golden.kind === 'snapshot',
        ...(golden.kind === 'ram-image' ? { ramImage: { path: golden.ram, share: false }, incoming: true } : {}),
      }),
      qmpPath: files.qmp,
      ...(signal ? { signal } : {}),
    });
    let control: GuestControl | null = null;
    try {
      const options = signal ? { signal } : {};
      if (golden.kind === 'ram-image') {
        await setIgnoreShared(qemu.qmp, options);
        await qemu.qmp.execute('migrate-incoming', { uri: `exec:cat ${shellQuote(golden.state)}` }, options);
        await migrationCompleted(qemu.qmp, 'restoring the golden RAM image', signal);
        // the golden boot was stopped before it was saved, so the clone wakes up stopped
        await qemu.qmp.execute('cont', undefined, options);
      }
      control = await GuestControl.connect(files.control, signal);
      await readdress(control, link, machine, signal);
      const clone = new QemuClone(link, files, qemu, control, new SerialConsole(files.console), machine);
      await clone.waitAnswering(machine.readiness.bootTimeoutMs, signal);
      if (golden.kind === 'snapshot') {
        const output = await qemu.qmp.human(`savevm ${SNAPSHOT_NAME}`, options);
        if (/error/i.test(output)) throw new CrashtestError('CT_ERR_VICTIM_CREATE', `savevm failed: ${output.trim()}`);
      } else {
        await clone.probe(signal);
        await qemu.qmp.execute('stop', undefined, options);
      }
      return clone;
    } catch (error) {
      control?.close();
      await qemu.kill();
      throw error;
    }
  }

  get pid(): number {
    return this.qemu.pid;
  }

  /** QEMU's exit, once it has exited */
  get exitStatus(): QemuExit | null {
    return this.qemu.exitStatus;
  }

  /** Lets a stopped clone run on (`cont`). */
  async resume(signal?: AbortSignal): Promise<void> {
    await this.qemu.qmp.execute('cont', undefined, signal ? { signal } : {});
  }

  /** `loadvm clean`: back to the state saved when the clone was made. */
  async loadSnapshot(signal?: AbortSignal): Promise<void> {
    const output = await this.qemu.qmp.human(`loadvm ${SNAPSHOT_NAME}`, signal ? { signal } : {});
    if (/error/i.test(output)) throw new CrashtestError('CT_ERR_VICTIM_REVERT', `loadvm failed: ${output.trim()}`);
  }

  /** Polls the readiness port from the containment side until it accepts. */
  async waitAnswering(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const port = this.machine.readiness.port;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      const exit = this.qemu.exitStatus;
      if (exit) throw new CrashtestError('CT_ERR_VICTIM_DIED', `QEMU exited (code ${exit.code}, signal ${exit.signal}): ${exit.stderr}`, { pid: exit.pid });
      const socket = await this.link.connect(port, signal ? { signal } : {}).catch(notYetReachable);
      if (socket) {
        socket.destroy();
        return;
      }
      if (performance.now() > deadline) throw new CrashtestError('CT_ERR_VICTIM_REVERT', `tcp/${port} did not answer within ${timeoutMs} ms`, { port });
      await abortableDelay(2, signal);
    }
  }

  /** Kills QEMU (the clone's state is thrown away) and closes the control line. Idempotent. */
  async kill(): Promise<void> {
    this.control.close();
    await this.qemu.kill();
  }

  /** Sends the readiness probe (when the machine has one) and reads its answer: the guest's path for a request is translated once here, not in the lease. */
  private async probe(signal?: AbortSignal): Promise<void> {
    const { port, probe } = this.machine.readiness;
    if (probe === undefined) return;
    const socket = await this.link.connect(port, signal ? { signal } : {});
    if (socket === null) throw new CrashtestError('CT_ERR_VICTIM_CREATE', `tcp/${port} refused the readiness probe`, { port });
    await readAnswer(socket, Buffer.from(probe, 'latin1'), PROBE_ANSWER_MS, signal);
  }
}

/** Sends `bytes` and resolves when the peer has answered something and closed, or after `timeoutMs`. */
function readAnswer(socket: Socket, bytes: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error as Error);
    };
    const onAbort = (): void => finish(signal!.reason);
    const timer = setTimeout(() => finish(), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', () => {});
    socket.once('end', () => finish());
    socket.once('close', () => finish());
    socket.once('error', () => finish());
    socket.write(bytes);
  });
}

/** Moves the guest from the golden boot's address to its own link's, through the control line. */
async function readdress(control: GuestControl, link: ContainmentAttachment, machine: QemuMachine, signal?: AbortSignal): Promise<void> {
  const device = 'eth0';
  const commands = [
    `ip addr flush dev ${device}`,
    `ip addr add ${link.dummyAddress}/${link.prefixLength} dev ${device}`,
    `ip route replace default via ${link.gatewayAddress}`,
  ].join(' && ');
  const result = await control.run(commands, { ...(signal ? { signal } : {}), timeoutMs: machine.readiness.revertTimeoutMs });
  if (result.status !== 0) throw new CrashtestError('CT_ERR_VICTIM_CREATE', `re-addressing the guest failed (status ${result.status}): ${result.output.trim()}`);
}
