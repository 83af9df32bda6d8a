/**
 * What a qemu dummy is made of, per profile: the user's golden image (a kernel with its initrd, or
 * a disk image), its memory, how the guest is addressed, and the readiness probe that says it is
 * up (a TCP port that answers). Validated once when the driver is made, frozen after.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { z } from 'zod';
import { CrashtestError } from '../../../core/index.ts';

const port = z.number().int().min(1).max(65_535);
const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'an IPv4 address');

export const qemuMachineSchema = z
  .strictObject({
    /** a Linux kernel booted directly (-kernel), with `initrd` and `append` */
    kernel: z.string().min(1).optional(),
    initrd: z.string().min(1).optional(),
    /** kernel command line; the driver adds `crashtest.ip=` and `crashtest.gw=` for the guest's static address */
    append: z.string().default('console=ttyS0 quiet panic=-1'),
    /** a disk image (qcow2 or raw) booted by firmware; used read-only under a per-dummy overlay */
    disk: z.string().min(1).optional(),
    memoryMiB: z.number().int().min(16).max(65_536).default(96), // MiB of guest RAM
    cpus: z.number().int().min(1).max(64).default(1),
    /** QEMU machine type */
    machine: z.string().default('q35'),
    /** the guest NIC model its image has a driver for */
    nicModel: z.string().default('e1000'),
    guest: z
      .strictObject({
        /** the guest's own static address (in its image or set by the kernel command line) */
        address: ipv4.default('10.13.37.10'),
        prefixLength: z.number().int().min(8).max(30).default(24),
        /** the address the guest routes through: the containment's side of the tap */
        gateway: ipv4.default('10.13.37.1'),
        mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/).default('52:54:00:13:37:10'),
      })
      .prefault({}),
    readiness: z.strictObject({
      /** a TCP port that accepts connections once the guest's service is up */
      port,
      /** sent (latin1) to a warm spare once it answers, before it is stopped: its answer path is warm when the spare takes over */
      probe: z.string().min(1).optional(),
      /** first boot (before the snapshot is taken) may take this long; TCG boots are slow */
      bootTimeoutMs: z.number().int().min(1_000).default(120_000), // 2 min
      /** after a revert, the port must answer within this */
      revertTimeoutMs: z.number().int().min(100).default(10_000), // 10 s
    }),
  })
  .refine((machine) => (machine.kernel === undefined) !== (machine.disk === undefined), { message: 'name exactly one of kernel or disk' });

export type QemuMachine = z.infer<typeof qemuMachineSchema>;
export type QemuMachineInput = z.input<typeof qemuMachineSchema>;

/** Validates one machine definition; errors name the key inside `source`. */
export function validateQemuMachine(raw: unknown, source: string): QemuMachine {
  const result = qemuMachineSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = [source, ...issue.path.map(String)].join('.');
    throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${key}: ${issue.message}`, { key });
  }
  return Object.freeze(result.data);
}

/** Throws CT_ERR_QEMU_UNAVAILABLE when a file the machine names is missing. */
export function checkMachineFiles(machine: QemuMachine, source: string): void {
  for (const key of ['kernel', 'initrd', 'disk'] as const) {
    const path = machine[key];
    if (path === undefined) continue;
    try {
      statSync(path);
    } catch {
      throw new CrashtestError('CT_ERR_QEMU_UNAVAILABLE', `${source}.${key}: ${path} does not exist (build the test guest with scripts/build-qemu-guest.sh)`, { file: path, key: `${source}.${key}` });
    }
  }
}

/** A key for the golden snapshot: same machine, same image files (by size and mtime), same accelerator. */
export function machineKey(machine: QemuMachine, accelerator: string, qemuVersion: string): string {
  const files = (['kernel', 'initrd', 'disk'] as const).map((key) => {
    const path = machine[key];
    if (path === undefined) return null;
    const stat = statSync(path);
    return [path, stat.size, stat.mtimeMs];
  });
  return createHash('sha256').update(JSON.stringify({ machine, files, accelerator, qemuVersion })).digest('hex').slice(0, 20);
}
