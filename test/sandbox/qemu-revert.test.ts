/**
 * Both revert modes of the qemu driver discard what a lease did, round after round. `spare`: the
 * dummy alternates between its two links (its address changes at each revert), the used QEMU is
 * gone once the next spare is ready, a file the lease wrote is absent from every clone that takes
 * over (including the one rebuilt on the link the mark was left on), and a spare that died is
 * replaced by a clone built in place, the revert still succeeding. `loadvm`: one QEMU, one address,
 * the mark gone after each `loadvm`. The tiny guest of scripts/build-qemu-guest.sh; skipped with
 * the reason when qemu, the kernel or the namespace tools are missing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Counters } from '../../src/core/index.ts';
import { ContainmentNamespace, QemuDriver, type QemuVictim } from '../../src/drivers/index.ts';
import { GOLDEN_DIRECTORY, injection, qemuMachine, qemuProfile, qemuSkipReason, SERVICE_PORT } from './qemu-fixture.ts';

const skip = qemuSkipReason();
const peer = { address: '192.0.2.10', port: 40_000 };

async function get(victim: QemuVictim, request: string): Promise<string> {
  const connection = await victim.connect(SERVICE_PORT, peer);
  assert.ok(connection, `tcp/${SERVICE_PORT} refused`);
  const answer = Buffer.from(await connection.send(Buffer.from(request))).toString('latin1');
  await connection.close();
  return answer;
}

async function leaveMark(victim: QemuVictim): Promise<void> {
  const answer = await get(victim, injection('touch /tmp/lease-mark && echo MARK-LEFT'));
  assert.ok(answer.includes('MARK-LEFT'), answer);
}

async function hasMark(victim: QemuVictim): Promise<boolean> {
  const answer = await get(victim, injection('test -e /tmp/lease-mark && echo MARK-PRESENT; echo LOOKED'));
  assert.ok(answer.includes('LOOKED'), `the injection did not run: ${answer}`);
  return answer.includes('MARK-PRESENT');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

if (skip !== null) {
  console.log(`# ${skip}`);
  describe('qemu revert modes', () => {
    it(skip, { skip });
  });
} else {
  describe('qemu revert modes', { timeout: 600_000 }, () => {
    const profile = qemuProfile();
    let space: ContainmentNamespace;

    before(async () => {
      space = await ContainmentNamespace.create();
    });

    after(async () => {
      await space?.close();
    });

    it('spare: every revert swaps in a clean clone on the other link, and the used QEMU is gone', { timeout: 300_000 }, async () => {
      const counters = new Counters();
      const driver = new QemuDriver({ machines: { [profile.id]: qemuMachine() }, containmentNamespace: space, goldenDirectory: GOLDEN_DIRECTORY, warmClones: 0, revertMode: 'spare', counters });
      try {
        const victim = await driver.create(profile);
        assert.equal(driver.capabilities.revertMode, 'spare');
        const first = await victim.pids();
        assert.equal(first.length, 2, 'a warm dummy keeps its QEMU and a spare');
        assert.notEqual(first[0], first[1]);
        const addresses = [victim.address];
        for (let round = 0; round < 3; round++) {
          assert.equal(await hasMark(victim), false, `round ${round}: a fresh clone carries the mark`);
          await leaveMark(victim);
          assert.equal(await hasMark(victim), true, `round ${round}: the mark did not persist within the lease`);
          const used = victim.pid;
          await victim.revert();
          assert.deepEqual(victim.observations(), [], `round ${round}: an observation of the last lease showed up`);
          assert.equal(await hasMark(victim), false, `round ${round}: the mark survived the revert`);
          addresses.push(victim.address);
          await victim.spareReady();
          assert.equal(alive(used), false, `round ${round}: the used QEMU (pid ${used}) still runs`);
        }
        // two links, alternating: the used one's clone is rebuilt from the image, not kept
        assert.notEqual(addresses[0], addresses[1]);
        assert.deepEqual([addresses[2], addresses[3]], [addresses[0], addresses[1]]);
        assert.equal(counters.get('qemu.spare_swaps'), 3);
      } finally {
        await driver.close();
      }
    });

    it('spare: a spare that died is replaced by a clone built in place; the revert succeeds', { timeout: 300_000 }, async () => {
      const counters = new Counters();
      const driver = new QemuDriver({ machines: { [profile.id]: qemuMachine() }, containmentNamespace: space, goldenDirectory: GOLDEN_DIRECTORY, warmClones: 0, revertMode: 'spare', counters });
      try {
        const victim = await driver.create(profile);
        const [inUse, spare] = await victim.pids();
        await leaveMark(victim);
        process.kill(spare!, 'SIGKILL');
        while (alive(spare!)) await new Promise((resolve) => setTimeout(resolve, 10));
        await new Promise((resolve) => setTimeout(resolve, 100)); // the exit event reaches the driver
        const address = victim.address;
        await victim.revert();
        assert.equal(victim.died, false);
        assert.equal(victim.address, address, 'rebuilt on the same link');
        assert.notEqual(victim.pid, inUse);
        assert.equal(alive(inUse!), false, 'the used QEMU still runs');
        assert.equal(await hasMark(victim), false, 'the mark survived the revert');
        assert.ok(counters.get('qemu.spare_failures') >= 1);
        await victim.spareReady();
        assert.equal((await victim.pids()).length, 2, 'a new spare was made');
      } finally {
        await driver.close();
      }
    });

    it('loadvm: one QEMU, one address, the mark gone after every loadvm', { timeout: 300_000 }, async () => {
      const driver = new QemuDriver({ machines: { [profile.id]: qemuMachine() }, containmentNamespace: space, goldenDirectory: GOLDEN_DIRECTORY, warmClones: 0, revertMode: 'loadvm' });
      try {
        const victim = await driver.create(profile);
        assert.equal(driver.capabilities.revertMode, 'loadvm');
        const pids = await victim.pids();
        assert.deepEqual(pids, [victim.pid]);
        const address = victim.address;
        for (let round = 0; round < 2; round++) {
          await leaveMark(victim);
          await victim.revert();
          assert.equal(await hasMark(victim), false, `round ${round}: the mark survived loadvm`);
          assert.equal(victim.address, address);
          assert.equal(victim.pid, pids[0]);
        }
      } finally {
        await driver.close();
      }
    });
  });
}
