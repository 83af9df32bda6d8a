/**
 * The golden RAM image of a machine, for reverts that swap in a warm spare: the guest boots once
 * with its RAM in a file mapped shared (QEMU writes guest memory straight into it), is stopped once
 * its readiness port answers, and only its device state goes to a migration stream
 * (`x-ignore-shared`: the RAM is in the file already). A clone maps that file private, so every
 * clone shares the one page-cache copy and owns only the pages it writes, and restores the device
 * state with `-incoming defer` + `migrate-incoming` in tens of ms instead of reading the whole
 * RAM. Cached on disk under the same key as the snapshot (machine, image files, accelerator,
 * QEMU version); files land by rename, so a clone never maps a file that is still being written.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CrashtestError } from '../../../core/index.ts';
import { abortableDelay } from '../abortable-delay.ts';
import { bootUntilAnswering, containedWrapper, createStateImage, type GoldenSnapshotOptions } from './golden-snapshot.ts';
import { qemuArguments, qemuFiles } from './qemu-command-line.ts';
import { QemuProcess } from './qemu-process.ts';
import type { QmpClient } from './qmp-client.ts';

export interface RamImage {
  /** guest RAM at the moment the golden boot was stopped; mapped private by clones, never written */
  ram: string;
  /** the device state (a migration stream without the RAM) */
  state: string;
  /** disk machines: the golden overlay over the user's disk, copied per clone */
  disk?: string;
}

const IGNORE_SHARED = 'x-ignore-shared';
/** after the readiness port answered, the guest gets this long (ms) to finish that connection before it is stopped */
const SETTLE_MS = 2_000;

/** The machine's golden RAM image, booting and saving it first when it is not cached. */
export async function goldenRamImage(options: GoldenSnapshotOptions): Promise<RamImage> {
  const cached: RamImage = {
    ram: join(options.directory, `${options.key}.ram`),
    state: join(options.directory, `${options.key}.state`),
    ...(options.machine.disk === undefined ? {} : { disk: join(options.directory, `${options.key}.disk.qcow2`) }),
  };
  try {
    // the state file lands last: when it is there, so are the others
    if (statSync(cached.state).size > 0) return cached;
  } catch {
    // not cached yet
  }
  mkdirSync(options.directory, { recursive: true });
  const work = mkdtempSync(join(options.directory, `boot-${options.key}-`));
  const signal = options.signal ? { signal: options.signal } : {};
  const link = await options.space.attachTap(`golden-ram-${options.key}`, signal);
  try {
    const files = qemuFiles(work);
    const ram = join(work, 'ram');
    const state = join(work, 'state');
    if (options.machine.disk !== undefined) await createStateImage(options.qemuImgBinary, options.machine, files.state, options.signal);
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
        ramImage: { path: ram, share: true },
      }),
      qmpPath: files.qmp,
      ...signal,
    });
    try {
      await assertIgnoreShared(qemu.qmp, options.qemuBinary);
      await bootUntilAnswering(qemu, link, options.machine, files.console, options.signal);
      // the readiness connection closes in the guest first: saved half-closed, every clone would
      // send its FIN onto its own link at restore
      await abortableDelay(SETTLE_MS, options.signal);
      await qemu.qmp.execute('stop', undefined, signal);
      await setIgnoreShared(qemu.qmp, signal);
      await qemu.qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(state)}` }, signal);
      await migrationCompleted(qemu.qmp, 'golden RAM image: saving the device state', options.signal);
      await qemu.quit();
    } finally {
      await qemu.kill();
    }
    renameSync(ram, cached.ram);
    if (cached.disk !== undefined) renameSync(files.state, cached.disk);
    renameSync(state, cached.state);
    return cached;
  } finally {
    await link.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Throws CT_ERR_QEMU_UNAVAILABLE when this QEMU cannot leave shared RAM out of a migration. */
export async function assertIgnoreShared(qmp: QmpClient, binary: string): Promise<void> {
  const capabilities = await qmp.execute<Array<{ capability: string }>>('query-migrate-capabilities');
  if (!capabilities.some((entry) => entry.capability === IGNORE_SHARED)) {
    throw new CrashtestError('CT_ERR_QEMU_UNAVAILABLE', `${binary} has no ${IGNORE_SHARED} migration capability (QEMU 4.0 or later); use the driver's revert: 'loadvm'`, { file: binary });
  }
}

/** Both ends of the stream must agree on it: it changes the stream's format. */
export async function setIgnoreShared(qmp: QmpClient, signal: { signal?: AbortSignal }): Promise<void> {
  await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: IGNORE_SHARED, state: true }] }, signal);
}

/** Polls `query-migrate` (a few ms apart) until the migration completed; throws when it failed. */
export async function migrationCompleted(qmp: QmpClient, what: string, signal?: AbortSignal): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    const status = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate', undefined, signal ? { signal } : {});
    if (status.status === 'completed') return;
    if (status.status === 'failed' || status.status === 'cancelled') {
      throw new CrashtestError('CT_ERR_VICTIM_CREATE', `${what}: the migration ${status.status}${status['error-desc'] ? `: ${status['error-desc']}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
}

/** One word for the `sh -c` that QEMU's exec: migration runs. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}
