/**
 * QEMU's command line for a dummy. The golden boot and every clone restored from it get the same
 * machine, devices and ids (a snapshot loads only into the machine it was taken on); they differ
 * only in their tap, in whether the guest boots, loads `clean` or waits for an incoming migration,
 * and in their file paths. (The NIC backend is part of the saved state for user-mode networking,
 * so even the golden boot uses a tap.) With a RAM image, guest RAM is that file mapped: shared
 * (written through) by the golden boot, private (copy-on-write over the page cache) by clones.
 */
import { join } from 'node:path';
import type { QemuAccelerator } from './accelerator-probe.ts';
import type { QemuMachine } from './qemu-machine.ts';

export const SNAPSHOT_NAME = 'clean';

/** where one QEMU keeps its sockets and files */
export interface QemuFiles {
  directory: string;
  /** qcow2 holding the `clean` snapshot (the vmstate holder), or the disk overlay */
  state: string;
  qmp: string;
  control: string;
  console: string;
}

export function qemuFiles(directory: string): QemuFiles {
  return {
    directory,
    state: join(directory, 'state.qcow2'),
    qmp: join(directory, 'qmp.sock'),
    control: join(directory, 'control.sock'),
    console: join(directory, 'console.log'),
  };
}

/** the tap device QEMU opens in the namespace it runs in (the containment namespace) */
export interface QemuTap {
  interfaceName: string;
}

export interface CommandLineOptions {
  machine: QemuMachine;
  accelerator: QemuAccelerator;
  files: QemuFiles;
  tap: QemuTap;
  /** the guest's address and gateway for a boot (clones keep the golden boot's until re-addressed) */
  address?: { address: string; prefixLength: number; gateway: string };
  /** restore the `clean` snapshot at start instead of booting */
  loadSnapshot: boolean;
  /** guest RAM from this file: `share` writes it (the golden boot), otherwise copy-on-write (clones) */
  ramImage?: { path: string; share: boolean };
  /** wait for `migrate-incoming` (the device state of a RAM image) instead of booting */
  incoming?: boolean;
}

export function qemuArguments(options: CommandLineOptions): string[] {
  const { machine, files } = options;
  const args = [
    '-accel', options.accelerator,
    '-cpu', options.accelerator === 'kvm' ? 'host' : 'max',
    '-machine', options.ramImage ? `${machine.machine},memory-backend=ram` : machine.machine,
    '-m', String(machine.memoryMiB),
    '-smp', String(machine.cpus),
    '-display', 'none', '-nodefaults', '-no-user-config',
    // append: a slot's clones, one after the other, keep one log
    '-chardev', `file,id=console,path=${files.console},append=on`, '-serial', 'chardev:console',
    '-chardev', `socket,id=control,path=${files.control},server=on,wait=off`, '-serial', 'chardev:control',
    '-qmp', `unix:${files.qmp},server=on,wait=off`,
  ];
  if (options.ramImage) {
    const { path, share } = options.ramImage;
    args.push('-object', `memory-backend-file,id=ram,size=${machine.memoryMiB}M,mem-path=${path},share=${share ? 'on' : 'off'}`);
  }
  if (machine.kernel !== undefined) {
    const guest = options.address ?? machine.guest;
    args.push('-kernel', machine.kernel, '-append', `${machine.append} crashtest.ip=${guest.address}/${guest.prefixLength} crashtest.gw=${guest.gateway}`);
    if (machine.initrd !== undefined) args.push('-initrd', machine.initrd);
    // no guest device: the qcow2 only holds the snapshots (a RAM image needs none)
    if (!options.ramImage) args.push('-drive', `file=${files.state},if=none,id=vmstate,format=qcow2`);
  } else {
    args.push('-drive', `file=${files.state},if=virtio,id=disk0,format=qcow2`);
  }
  args.push('-netdev', `tap,id=net0,ifname=${options.tap.interfaceName},script=no,downscript=no`);
  args.push('-device', `${machine.nicModel},netdev=net0,mac=${machine.guest.mac}`);
  if (options.loadSnapshot) args.push('-loadvm', SNAPSHOT_NAME);
  if (options.incoming) args.push('-incoming', 'defer');
  return args;
}
