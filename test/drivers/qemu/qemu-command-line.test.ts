/**
 * QEMU's command line for the two revert modes, checked without running QEMU: a clone of a RAM
 * image maps the image private (`share=off`), waits for its device state (`-incoming defer`) and
 * keeps `-m` equal to the backend's size (without it q35 announces hot-pluggable memory and the
 * guest kernel runs out of RAM at boot); the golden boot maps it shared; a `loadvm` clone keeps its
 * qcow2 of snapshots. Also which QEMU versions get the `spare` mode by default.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateQemuMachine } from '../../../src/drivers/index.ts';
import { qemuArguments, qemuFiles } from '../../../src/drivers/victims/qemu/qemu-command-line.ts';
import { qemuAtLeast } from '../../../src/drivers/victims/qemu/qemu-driver.ts';

const machine = validateQemuMachine({ kernel: '/images/vmlinuz', initrd: '/images/initrd', memoryMiB: 96, readiness: { port: 80 } }, 'machines.test');
const files = qemuFiles('/run/dummy/a');
const tap = { interfaceName: 't3' };

function valueAfter(args: readonly string[], flag: string): string[] {
  return args.flatMap((arg, index) => (arg === flag ? [args[index + 1]!] : []));
}

describe('qemu command line', () => {
  it('a RAM-image clone maps the image private, waits for its device state, and keeps -m equal to the backend', () => {
    const args = qemuArguments({ machine, accelerator: 'tcg', files, tap, loadSnapshot: false, ramImage: { path: '/golden/k.ram', share: false }, incoming: true });
    assert.deepEqual(valueAfter(args, '-object'), ['memory-backend-file,id=ram,size=96M,mem-path=/golden/k.ram,share=off']);
    assert.deepEqual(valueAfter(args, '-machine'), ['q35,memory-backend=ram']);
    assert.deepEqual(valueAfter(args, '-m'), ['96']);
    assert.deepEqual(valueAfter(args, '-incoming'), ['defer']);
    assert.deepEqual(valueAfter(args, '-drive'), [], 'a kernel machine restored from a RAM image needs no qcow2');
    assert.ok(!args.includes('-loadvm'));
  });

  it('the golden boot writes the image (share=on) and boots the kernel', () => {
    const args = qemuArguments({ machine, accelerator: 'tcg', files, tap, loadSnapshot: false, ramImage: { path: '/golden/work/ram', share: true }, address: { address: '10.213.0.2', prefixLength: 30, gateway: '10.213.0.1' } });
    assert.deepEqual(valueAfter(args, '-object'), ['memory-backend-file,id=ram,size=96M,mem-path=/golden/work/ram,share=on']);
    assert.match(valueAfter(args, '-append')[0]!, /crashtest\.ip=10\.213\.0\.2\/30 crashtest\.gw=10\.213\.0\.1$/);
    assert.ok(!args.includes('-incoming'));
  });

  it('a loadvm clone keeps its qcow2 of snapshots and no RAM backend', () => {
    const args = qemuArguments({ machine, accelerator: 'tcg', files, tap, loadSnapshot: true });
    assert.deepEqual(valueAfter(args, '-object'), []);
    assert.deepEqual(valueAfter(args, '-machine'), ['q35']);
    assert.deepEqual(valueAfter(args, '-drive'), [`file=${files.state},if=none,id=vmstate,format=qcow2`]);
    assert.deepEqual(valueAfter(args, '-loadvm'), ['clean']);
  });

  it('the console log is appended to, so a link\'s successive clones keep one log', () => {
    const args = qemuArguments({ machine, accelerator: 'tcg', files, tap, loadSnapshot: true });
    assert.ok(valueAfter(args, '-chardev').includes(`file,id=console,path=${files.console},append=on`));
  });

  it('spare mode is the default from QEMU 5.0 on', () => {
    assert.equal(qemuAtLeast('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)', 5, 0), true);
    assert.equal(qemuAtLeast('QEMU emulator version 5.0.0', 5, 0), true);
    assert.equal(qemuAtLeast('QEMU emulator version 4.2.1 (Debian 1:4.2-3ubuntu6)', 5, 0), false);
    assert.equal(qemuAtLeast('QEMU emulator version 10.0.2', 5, 0), true);
    assert.equal(qemuAtLeast('not qemu', 5, 0), false);
  });
});
