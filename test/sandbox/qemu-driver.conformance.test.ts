/**
 * The qemu driver passes the conformance suite every victim driver passes, with a real virtual
 * machine per dummy: the tiny guest of scripts/build-qemu-guest.sh (Debian kernel, BusyBox
 * initramfs), restored from its golden state (the default revert mode: a warm spare restored from
 * the golden RAM image), NIC on a tap in one containment namespace shared by the whole file. Its
 * mark is a file the injectable CGI creates in the guest's RAM (gone after a revert: the spare that
 * takes over never saw it); its provocation is that command, which the guest reports on its serial
 * console. test/sandbox/qemu-revert.test.ts covers both revert modes round after round.
 * Needs qemu, the Debian kernel, busybox-static, root, ip, nft and tcpdump; skipped with the
 * reason otherwise. The guest boots once (cached golden image), every dummy is a restore.
 */
import { after, describe, it } from 'node:test';
import { ContainmentNamespace, QemuDriver } from '../../src/drivers/index.ts';
import { defaultCatalogue, type Victim } from '../../src/sandbox/index.ts';
import { GOLDEN_DIRECTORY, injection, qemuMachine, qemuProfile, qemuSkipReason, SERVICE_PORT } from './qemu-fixture.ts';
import { victimDriverConformance } from './victim-driver-conformance.ts';

const skip = qemuSkipReason();
const peer = { address: '192.0.2.10', port: 40_000 };

async function get(victim: Victim, request: string, signal: AbortSignal): Promise<string> {
  const connection = await victim.connect(SERVICE_PORT, peer, { signal });
  if (connection === null) throw new Error(`tcp/${SERVICE_PORT} refused`);
  const answer = Buffer.from(await connection.send(Buffer.from(request), { signal })).toString('latin1');
  await connection.close();
  return answer;
}

if (skip !== null) {
  console.log(`# ${skip}`);
  describe('victim driver conformance: qemu', () => {
    it(skip, { skip });
  });
} else {
  const profile = qemuProfile();
  let space: Promise<ContainmentNamespace> | null = null;
  after(async () => {
    await (await space)?.close();
  });
  victimDriverConformance(
    'qemu',
    async () => {
      space ??= ContainmentNamespace.create();
      return new QemuDriver({ machines: { [profile.id]: qemuMachine() }, containmentNamespace: await space, goldenDirectory: GOLDEN_DIRECTORY, warmClones: 0, maxDwellMs: 1_000 });
    },
    {
      profile,
      servicePort: SERVICE_PORT,
      probe: Buffer.from('GET / HTTP/1.0\r\n\r\n'),
      refusedPort: 8_081,
      unsupportedProfile: defaultCatalogue().get('busybox-dvr'),
      // the first test may boot the guest for its golden snapshot (TCG: tens of seconds on a busy machine)
      timeoutMs: 300_000,
      leaveMark: async (victim, signal) => {
        const answer = await get(victim, injection('touch /tmp/mark && echo MARK-LEFT'), signal);
        if (!answer.includes('MARK-LEFT')) throw new Error(`the injection answered ${answer}`);
      },
      findMark: async (victim, signal) => (await get(victim, injection('test -e /tmp/mark && echo MARK-PRESENT'), signal)).includes('MARK-PRESENT'),
    },
  );
}
