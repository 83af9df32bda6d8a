/**
 * What the qemu tests and the revert benchmark boot: the tiny guest scripts/build-qemu-guest.sh
 * builds from Debian packages (the Debian kernel, a BusyBox initramfs whose web server has a
 * command-injection CGI), a profile for it, the machine definition, and the check that says
 * whether this machine can run qemu dummies at all. The guest is built on demand (cached in
 * .cache/qemu-guest), and its golden snapshot is cached beside it, so it boots once, not per run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateProfile, type Profile } from '../../src/config/index.ts';
import { netnsUnavailableReason, type QemuMachineInput } from '../../src/drivers/index.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const GUEST_DIRECTORY = join(ROOT, '.cache', 'qemu-guest');
export const GOLDEN_DIRECTORY = join(GUEST_DIRECTORY, 'golden');
export const SERVICE_PORT = 80;
/** where the exploit's callback goes: TEST-NET-2, routed nowhere (and the guest's only route is the containment) */
export const CALLBACK_TARGET = { address: '198.51.100.7', port: 8_080 };

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/** Why the qemu tests cannot run here, or null (building the guest when only that is missing). */
export function qemuSkipReason(): string | null {
  if (!onPath('qemu-system-x86_64') || !onPath('qemu-img')) return 'qemu tests skipped: qemu-system-x86_64 or qemu-img is not installed (apt-get install qemu-system-x86 qemu-utils)';
  const hasKernel = existsSync('/boot') && readdirSync('/boot').some((name) => name.startsWith('vmlinuz-'));
  if (!hasKernel) return 'qemu tests skipped: no /boot/vmlinuz-* (apt-get install linux-image-amd64)';
  if (!onPath('busybox')) return 'qemu tests skipped: busybox is not installed (apt-get install busybox-static)';
  const netns = netnsUnavailableReason();
  if (netns !== null) return `qemu tests skipped: the containment namespace cannot be built: ${netns}`;
  const built = spawnSync(join(ROOT, 'scripts', 'build-qemu-guest.sh'), [GUEST_DIRECTORY], { encoding: 'utf8' });
  if (built.status !== 0) return `qemu tests skipped: scripts/build-qemu-guest.sh failed: ${built.stderr.trim()}`;
  return null;
}

/** The tiny guest as a machine of the qemu driver. */
export function qemuMachine(overrides: Partial<QemuMachineInput> = {}): QemuMachineInput {
  return {
    kernel: join(GUEST_DIRECTORY, 'vmlinuz'),
    initrd: join(GUEST_DIRECTORY, 'initramfs.cpio.gz'),
    append: 'console=ttyS0 quiet panic=-1 mitigations=off init_on_free=1', // freed pages zeroed: a smaller snapshot, a faster loadvm
    memoryMiB: 96,
    // the probe warms a spare's request path before it is stopped
    readiness: { port: SERVICE_PORT, probe: 'GET / HTTP/1.0\r\n\r\n', bootTimeoutMs: 240_000, revertTimeoutMs: 20_000 },
    ...overrides,
  };
}

/** A BusyBox DVR profile for the tiny guest: x64 Linux with a web server whose diagnostics CGI is injectable. */
export function qemuProfile(id = 'qemu-busybox-dvr'): Profile {
  return validateProfile(
    {
      id,
      family: 'qemu-busybox',
      description: 'Tiny Debian-kernel guest with a BusyBox web server whose ping CGI passes its parameter to sh, run for real under QEMU',
      os: { kind: 'linux', product: 'busybox', name: 'BusyBox Linux', version: '1.35' },
      arch: 'x64',
      roles: ['embedded'],
      applications: [{ name: 'busybox-httpd', version: '1.35.0', features: ['cgi'] }],
      services: [{ proto: 'tcp', port: SERVICE_PORT, name: 'http', product: 'BusyBox httpd' }],
      fingerprint: { initialTtl: 64, tcpWindowSizes: [64_240], tcpOptionOrder: ['mss', 'sackOK', 'timestamp', 'nop', 'wscale'], smbDialects: [], httpServerHeaders: [] },
      vulnerabilities: [],
    },
    `qemu test profile ${id}`,
  );
}

/** An HTTP GET of the injectable CGI running `command` after its ping. */
export function injection(command: string): string {
  return `GET /cgi-bin/ping.cgi?host=${encodeURIComponent(`127.0.0.1;${command}`)} HTTP/1.0\r\nHost: dvr\r\n\r\n`;
}
