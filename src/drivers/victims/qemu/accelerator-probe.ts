/**
 * Which accelerator QEMU can really use here. `/dev/kvm` existing is not enough: nested or
 * restricted hosts open it and then fail to run a guest. So we run a guest of one boot sector under
 * `-accel kvm` that writes to QEMU's debug-exit port; only when QEMU exits with that code is KVM
 * good. Anything else (no /dev/kvm, an error, a hang) means TCG. The answer is cached per binary.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type QemuAccelerator = 'kvm' | 'tcg';

export interface AcceleratorProbe {
  accelerator: QemuAccelerator;
  /** why: "kvm ran a test guest", "no /dev/kvm", "kvm failed: …" */
  reason: string;
}

/** `mov al, 0x2a; out 0xf4, al; hlt; jmp $`: QEMU's isa-debug-exit turns 0x2a into exit status 0x55 */
const BOOT_CODE = [0xb0, 0x2a, 0xe6, 0xf4, 0xf4, 0xeb, 0xfe];
const EXPECTED_STATUS = (0x2a << 1) | 1;
const PROBE_TIMEOUT_MS = 5_000;

const cache = new Map<string, Promise<AcceleratorProbe>>();

/** The accelerator for `qemuBinary`, probed once per process (the KVM device does not change under us). */
export function probeAccelerator(qemuBinary: string, kvmDevice = '/dev/kvm'): Promise<AcceleratorProbe> {
  const key = `${qemuBinary}|${kvmDevice}`;
  let answer = cache.get(key);
  if (!answer) {
    answer = runProbe(qemuBinary, kvmDevice);
    cache.set(key, answer);
  }
  return answer;
}

async function runProbe(qemuBinary: string, kvmDevice: string): Promise<AcceleratorProbe> {
  try {
    accessSync(kvmDevice, constants.R_OK | constants.W_OK);
  } catch {
    return { accelerator: 'tcg', reason: `no usable ${kvmDevice}` };
  }
  const directory = mkdtempSync(join(tmpdir(), 'crashtest-kvm-probe-'));
  try {
    const image = Buffer.alloc(512);
    Buffer.from(BOOT_CODE).copy(image);
    image[510] = 0x55;
    image[511] = 0xaa;
    const imagePath = join(directory, 'boot.img');
    writeFileSync(imagePath, image);
    const result = await run(qemuBinary, [
      '-accel', 'kvm', '-machine', 'pc', '-m', '16', '-display', 'none', '-nodefaults', '-no-user-config',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
      '-drive', `file=${imagePath},format=raw,if=floppy`,
    ]);
    if (result.status === EXPECTED_STATUS) return { accelerator: 'kvm', reason: 'kvm ran a test guest' };
    const detail = result.timedOut ? `no exit within ${PROBE_TIMEOUT_MS} ms` : `exit ${result.status ?? result.signal}: ${result.stderr.trim().split('\n')[0] ?? ''}`;
    return { accelerator: 'tcg', reason: `kvm cannot run a guest (${detail})` };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function run(binary: string, args: string[]): Promise<{ status: number | null; signal: string | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 4_096) stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, PROBE_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ status: null, signal: null, stderr: error.message, timedOut: false });
    });
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stderr, timedOut });
    });
  });
}
