import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { profileSchema } from './profile-schema.ts';

/**
 * The `dummies` section: which victim drivers make the farm and which profiles each one serves.
 * The emulated driver serves the built-in catalogue; real dummies (netns: real Linux services in a
 * network namespace; qemu: the user's own golden images) are declared here, each as a profile plus
 * what its driver needs to run it. The keys mirror NetnsDriverOptions / NetnsDummyConfig and
 * QemuDriverOptions / QemuMachine (config may not import drivers; src/daemon/farm-from-config.ts
 * maps one onto the other and the drivers validate again). Relative paths are resolved against the
 * config file's folder by resolveDummyPaths() when the file is loaded.
 */

const positiveInt = () => z.number().int().positive();
const port = z.number().int().min(1).max(65_535);
const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'an IPv4 address');
const path = z.string().min(1);

/**
 * For the cross-key checks below: run even when some key of the object is already broken, so one
 * `crashtest config check` lists every problem (zod skips them by default). They read defensively.
 */
const evenWithOtherIssues = { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null };

const dummyProfile = profileSchema.describe(
  'The profile the dummy is: id, family, description, os, arch, roles, applications, services, fingerprint, vulnerabilities, as the built-in ones (src/config/profile-schema.ts; an example in README.md). Its id must be unique in the farm and differ from the built-in ids while dummies.emulated is on.',
);

const netnsDummySchema = z.strictObject({
  profile: dummyProfile,
  lowerDir: path.describe("Read-only lower layer of the dummy's copy-on-write root: its files (a whole root, or an application tree beside the host paths). Relative to the config file's folder."),
  services: z.array(z.string().min(1)).min(1).describe('Shell commands started inside the dummy, chrooted into its root, in order (e.g. "cd /srv && exec /usr/bin/node service.cjs").'),
  hostPaths: z
    .array(z.string().regex(/^\//, 'an absolute host path'))
    .optional()
    .describe('Host directories bind-mounted read-only into the root for programs the lower layer lacks; default /usr (with /bin, /lib, /lib64, /sbin as links into it when absent).'),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string()).optional().describe('Environment of the services; PATH defaults to the usual.'),
  readyPorts: z.array(port).optional().describe("TCP ports that must accept before a copy counts as up; default the profile's TCP services."),
  readyProbe: z.string().min(1).optional().describe('Bytes (latin1) sent on the first ready port once it accepts; the copy is up when they are answered. Warms the service, so a spare answers at full speed.'),
  readyTimeoutMs: positiveInt().default(10_000).describe('How long the services get to come up (10 s).'),
});

const netnsSchema = z
  .strictObject({
    maxVictims: positiveInt().default(4).describe("netns dummies alive at once (their own pool, beside the emulated one; pool.overflowPolicy and its limits apply as to every pool)."),
    warmPerProfile: z.number().int().min(0).default(0).describe('Clean netns dummies kept created ahead per profile by the pool (the driver keeps its own spare copy besides, see warmSpare).'),
    warmSpare: z.boolean().default(true).describe('Keep one spare copy of each dummy running, so revert is a switch rather than a restart.'),
    maxDwellMs: positiveInt().default(2_000).describe("Real ms a dwell waits at most (2 s): a real dummy's clock cannot be run ahead."),
    profiles: z.array(netnsDummySchema).default([]).describe('Real Linux services as dummies, one entry per profile. Needs root and ip, nft, tcpdump, unshare (CT_ERR_NETNS_UNAVAILABLE otherwise).'),
  })
  .prefault({});

const qemuMachineSchema = z
  .strictObject({
    kernel: path.optional().describe("A Linux kernel booted directly (-kernel), with initrd and append. Relative to the config file's folder."),
    initrd: path.optional().describe("The kernel's initrd. Relative to the config file's folder."),
    append: z.string().default('console=ttyS0 quiet panic=-1').describe('Kernel command line; the driver adds crashtest.ip= and crashtest.gw= for the guest address.'),
    disk: path.optional().describe("Or a disk image (qcow2 or raw) booted by firmware, used read-only under a per-dummy overlay. Relative to the config file's folder."),
    memoryMiB: z.number().int().min(16).max(65_536).default(96).describe('Guest RAM in MiB.'),
    cpus: z.number().int().min(1).max(64).default(1).describe('Virtual CPUs.'),
    machine: z.string().min(1).default('q35').describe('QEMU machine type.'),
    nicModel: z.string().min(1).default('e1000').describe('The guest NIC model its image has a driver for.'),
    guest: z
      .strictObject({
        address: ipv4.default('10.13.37.10').describe("The guest's own static address (in its image or set by the kernel command line)."),
        prefixLength: z.number().int().min(8).max(30).default(24).describe('Prefix length of the guest address.'),
        gateway: ipv4.default('10.13.37.1').describe("The address the guest routes through: the containment's side of the tap."),
        mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, 'a lower-case MAC address such as 52:54:00:13:37:10').default('52:54:00:13:37:10').describe('MAC address of the guest NIC.'),
      })
      .prefault({})
      .describe('How the guest image addresses itself.'),
    readiness: z
      .strictObject({
        port: port.describe("A TCP port that accepts connections once the guest's service is up."),
        probe: z.string().min(1).optional().describe("Sent (latin1) to a warm spare once its port answers, before it is paused, so the code that answers a request is already translated when the spare takes over (e.g. 'GET / HTTP/1.0\\r\\n\\r\\n'); without it only the connect is warmed."),
        bootTimeoutMs: z.number().int().min(1_000).default(120_000).describe('First boot, before the golden snapshot is taken, may take this long (2 min; TCG boots are slow).'),
        revertTimeoutMs: z.number().int().min(100).default(10_000).describe('After a revert the port must answer within this (10 s).'),
      })
      .describe('When the guest counts as up.'),
  })
  .superRefine((machine, context) => {
    if ((machine.kernel === undefined) === (machine.disk === undefined)) context.addIssue({ code: 'custom', path: ['kernel'], message: 'name exactly one of kernel or disk' });
    if (machine.initrd !== undefined && machine.kernel === undefined) context.addIssue({ code: 'custom', path: ['initrd'], message: 'an initrd needs a kernel' });
  }, evenWithOtherIssues);

const qemuDummySchema = z.strictObject({
  profile: dummyProfile,
  machine: qemuMachineSchema.describe('The golden image the dummies of this profile are clones of.'),
});

const qemuSchema = z
  .strictObject({
    maxVictims: positiveInt().default(2).describe('qemu dummies alive at once (their own pool: a machine holds its RAM, so this is far below pool.maxVictims).'),
    warmPerProfile: z.number().int().min(0).default(0).describe('Clean qemu dummies kept created ahead per profile by the pool (the driver keeps warmClones besides).'),
    warmClones: z.number().int().min(0).default(1).describe('Clones per profile the driver keeps booted from the golden snapshot, so a create is a hand-over.'),
    accelerator: z.enum(['auto', 'kvm', 'tcg']).default('auto').describe('auto: KVM when a test guest really runs under it, else TCG.'),
    revertMode: z.enum(['auto', 'spare', 'loadvm']).default('auto').describe('spare: each dummy keeps a paused clone restored from the golden RAM image and revert resumes it (milliseconds; two QEMU processes per dummy); loadvm: one process that reloads its snapshot (about 0.2 s under TCG); auto: spare on QEMU 5.0 or later.'),
    qemuBinary: z.string().min(1).default('qemu-system-x86_64').describe('The QEMU system emulator (from PATH by default).'),
    qemuImgBinary: z.string().min(1).default('qemu-img').describe('qemu-img (from PATH by default).'),
    stateDirectory: z.string().default('').describe("Per-dummy folders (serial console log, overlays); empty is crashtest-qemu in the system's temporary folder. Relative to the config file's folder."),
    goldenDirectory: z.string().default('').describe("Golden snapshots, kept across runs so a machine boots once; empty is golden inside stateDirectory. Relative to the config file's folder."),
    keepFiles: z.boolean().default(false).describe("Keep each dummy's folder (serial console log, state) after close, as evidence."),
    maxDwellMs: positiveInt().default(2_000).describe("Real ms a dwell waits at most (2 s): a real machine's clock cannot be run ahead."),
    profiles: z.array(qemuDummySchema).default([]).describe('Virtual machines from your own golden images, one entry per profile (docs/qemu.md). Needs root and qemu-system-x86_64 with qemu-img.'),
  })
  .prefault({});

export const dummiesSchema = z
  .strictObject({
    emulated: z.boolean().default(true).describe('Serve the built-in catalogue (docs/profiles.md) with emulated dummies: no root, no images, no services.'),
    netns: netnsSchema.describe('The netns driver: real Linux services in network namespaces behind the containment namespace.'),
    qemu: qemuSchema.describe('The qemu driver: virtual machines from golden images, reverted from a snapshot.'),
  })
  .superRefine((dummies, context) => {
    const seen = new Map<string, string>();
    let declared = 0;
    for (const driver of ['netns', 'qemu'] as const) {
      const profiles: unknown = (dummies[driver] as { profiles?: unknown } | undefined)?.profiles;
      if (!Array.isArray(profiles)) continue;
      declared += profiles.length;
      profiles.forEach((entry: unknown, index) => {
        const id = (entry as { profile?: { id?: unknown } } | null)?.profile?.id;
        if (typeof id !== 'string') return;
        const first = seen.get(id);
        if (first !== undefined) context.addIssue({ code: 'custom', path: [driver, 'profiles', index, 'profile', 'id'], message: `profile id ${id} is declared twice (first at ${first})` });
        else seen.set(id, `dummies.${driver}.profiles.${index}`);
      });
    }
    if (dummies.emulated === false && declared === 0) context.addIssue({ code: 'custom', path: ['emulated'], message: 'no dummies at all: keep the emulated catalogue or declare netns or qemu profiles' });
  }, evenWithOtherIssues)
  .prefault({});

export type DummiesConfig = z.infer<typeof dummiesSchema>;
export type NetnsDummiesConfig = DummiesConfig['netns'];
export type QemuDummiesConfig = DummiesConfig['qemu'];

/** Resolves the section's relative paths against `baseDir` (the config file's folder), in place, before the config is frozen. */
export function resolveDummyPaths(dummies: DummiesConfig, baseDir: string): void {
  const absolute = (value: string): string => (value === '' || isAbsolute(value) ? value : resolve(baseDir, value));
  for (const entry of dummies.netns.profiles) entry.lowerDir = absolute(entry.lowerDir);
  for (const entry of dummies.qemu.profiles) {
    for (const key of ['kernel', 'initrd', 'disk'] as const) {
      const value = entry.machine[key];
      if (value !== undefined) entry.machine[key] = absolute(value);
    }
  }
  dummies.qemu.stateDirectory = absolute(dummies.qemu.stateDirectory);
  dummies.qemu.goldenDirectory = absolute(dummies.qemu.goldenDirectory);
}
