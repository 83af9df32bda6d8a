/**
 * The golden snapshot of a machine: the guest booted once until its readiness port answers, then
 * saved (`savevm clean`) into a qcow2 that every clone starts from (`-loadvm clean` on a copy).
 * The boot happens like a clone's run: inside the containment namespace, NIC on a tap of its own,
 * so even a first boot has no way out. The result is cached on disk under a key of the machine,
 * its image files and the accelerator, so a machine boots once, not once per run.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CrashtestError } from '../../../core/index.ts';
import type { ContainmentAttachment, ContainmentNamespace } from '../netns/containment-namespace.ts';
import type { QemuAccelerator } from './accelerator-probe.ts';
import { qemuArguments, qemuFiles, SNAPSHOT_NAME } from './qemu-command-line.ts';
import type { QemuMachine } from './qemu-machine.ts';
import { QemuProcess } from './qemu-process.ts';

const execFileAsync = promisify(execFile);

export interface GoldenSnapshotOptions {
  qemuBinary: string;
  qemuImgBinary: string;
  machine: QemuMachine;
  accelerator: QemuAccelerator;
  space: ContainmentNamespace;
  /** where golden snapshots are kept, one file per key */
  directory: string;
  key: string;
  signal?: AbortSignal;
}

/** The path of the machine's golden qcow2, booting and saving it first when it is not cached. */
export async function goldenSnapshot(options: GoldenSnapshotOptions): Promise<string> {
  const path = join(options.directory, `${options.key}.qcow2`);
  try {
    if (statSync(path).size > 0) return path;
  } catch {
    // not cached yet
  }
  mkdirSync(options.directory, { recursive: true });
  const work = mkdtempSync(join(options.directory, `boot-${options.key}-`));
  const signal = options.signal ? { signal: options.signal } : {};
  const link = await options.space.attachTap(`golden-${options.key}`, signal);
  try {
    const files = qemuFiles(work);
    await createStateImage(options.qemuImgBinary, options.machine, files.state, options.signal);
    const qemu = await QemuProcess.start({
      binary: options.qemuBinary,
      wrapper: containedWrapper(options.space.name),
      args: qemuArguments({
        machine: options.machine,
        accelerator: options.accelerator,
        files,
        tap: { interfaceName: link.interfaceName },
        address: { address: link.dummyAddress, prefixLength: link.prefixLength, gateway: link.gatewayAddress },
        loadSnapshot: false,
      }),
      qmpPath: files.qmp,
      ...signal,
    });
    try {
      await bootUntilAnswering(qemu, link, options.machine, files.console, options.signal);
      const output = await qemu.qmp.human(`savevm ${SNAPSHOT_NAME}`, signal);
      if (/error/i.test(output)) throw new CrashtestError('CT_ERR_VICTIM_CREATE', `golden snapshot: savevm failed: ${output.trim()}`);
      await qemu.quit();
    } finally {
      await qemu.kill();
    }
    renameSync(files.state, path);
    return path;
  } finally {
    await link.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Waits until the booting guest's readiness port accepts (or QEMU exits, or the boot timeout passes). */
export async function bootUntilAnswering(qemu: QemuProcess, link: ContainmentAttachment, machine: QemuMachine, consolePath: string, signal?: AbortSignal): Promise<void> {
  const port = machine.readiness.port;
  const deadline = Date.now() + machine.readiness.bootTimeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const exit = qemu.exitStatus;
    if (exit) throw new CrashtestError('CT_ERR_VICTIM_CREATE', `golden boot: qemu exited during the boot (code ${exit.code}, signal ${exit.signal}): ${exit.stderr}`);
    const socket = await link.connect(port, signal ? { signal } : {}).catch(notYetReachable);
    if (socket) {
      socket.destroy();
      return;
    }
    if (Date.now() > deadline) {
      throw new CrashtestError('CT_ERR_VICTIM_CREATE', `golden boot: tcp/${port} of the guest did not answer within ${machine.readiness.bootTimeoutMs} ms; its console ended with:\n${consoleTail(consolePath)}`, { key: 'readiness.bootTimeoutMs' });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A qcow2 for the snapshots: an empty holder for a kernel boot, an overlay over the user's disk otherwise. */
export async function createStateImage(qemuImg: string, machine: QemuMachine, path: string, signal?: AbortSignal): Promise<void> {
  const args = machine.disk === undefined
    ? ['create', '-q', '-f', 'qcow2', path, '16M']
    : ['create', '-q', '-f', 'qcow2', '-b', machine.disk, '-F', machine.disk.endsWith('.qcow2') ? 'qcow2' : 'raw', path];
  try {
    await execFileAsync(qemuImg, args, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new CrashtestError('CT_ERR_QEMU_UNAVAILABLE', `${qemuImg} ${args.join(' ')}: ${(error as Error).message}`, { file: path }, { cause: error });
  }
}

/** A guest still booting has no ARP answer yet: the connect fails with "host unreachable", which only means "not yet". */
export function notYetReachable(error: unknown): null {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT' || code === 'ECONNRESET') return null;
  throw error;
}

function consoleTail(path: string): string {
  try {
    return readFileSync(path, 'latin1').split('\n').slice(-15).join('\n');
  } catch {
    return '(no console output)';
  }
}

/**
 * How QEMU is started: inside the containment namespace (its tap is there), and killed by the
 * kernel if this process dies (setpriv's parent-death signal), so no machine outlives its driver.
 */
export function containedWrapper(namespace: string): string[] {
  return ['ip', 'netns', 'exec', namespace, 'setpriv', '--pdeathsig', 'KILL', '--'];
}
