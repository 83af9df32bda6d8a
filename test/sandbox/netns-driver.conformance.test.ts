/**
 * The netns driver passes the conformance suite every victim driver passes, with a real node
 * HTTP service in each dummy. Its mark is a file the service writes into its copy-on-write root
 * (gone after revert: the upper layer is discarded); its provocation is a real outbound connection,
 * which only the containment namespace can receive; its listener is a BusyBox bind shell the service
 * starts (`nc -ll -p PORT -e /bin/sh`), seen in the namespace's socket tables. Needs root, ip, nft, tcpdump and unshare;
 * skipped with the reason otherwise.
 */
import { after, describe, it } from 'node:test';
import { NetnsDriver } from '../../src/drivers/index.ts';
import { defaultCatalogue, type Victim } from '../../src/sandbox/index.ts';
import { makeLowerDir, netnsProfile, netnsSkipReason, SERVICE_COMMAND, SERVICE_PORT } from './netns-fixture.ts';
import { victimDriverConformance } from './victim-driver-conformance.ts';

const skip = netnsSkipReason();
const peer = { address: '192.0.2.10', port: 40_000 };
const BIND_SHELL_PORT = 4_444;

async function get(victim: Victim, request: string, signal: AbortSignal): Promise<string> {
  const connection = await victim.connect(SERVICE_PORT, peer, { signal });
  if (connection === null) throw new Error(`tcp/${SERVICE_PORT} refused`);
  const answer = Buffer.from(await connection.send(Buffer.from(request), { signal })).toString('latin1');
  await connection.close();
  return answer;
}

if (skip !== null) {
  describe('victim driver conformance: netns', () => {
    it(skip, { skip });
  });
} else {
  const lower = makeLowerDir();
  after(() => lower.remove());
  const profile = netnsProfile();
  victimDriverConformance('netns', () => new NetnsDriver({ dummies: { [profile.id]: { lowerDir: lower.dir, services: [SERVICE_COMMAND] } }, maxDwellMs: 1_000 }), {
    profile,
    servicePort: SERVICE_PORT,
    probe: Buffer.from('GET / HTTP/1.0\r\n\r\n'),
    refusedPort: 8_081,
    unsupportedProfile: defaultCatalogue().get('win-7-sp1-x64'),
    timeoutMs: 30_000,
    leaveMark: async (victim, signal) => {
      const answer = await get(victim, 'POST /mark HTTP/1.0\r\nContent-Length: 0\r\n\r\n', signal);
      if (!answer.includes('marked')) throw new Error(`POST /mark answered ${answer}`);
    },
    findMark: async (victim, signal) => (await get(victim, 'GET /mark HTTP/1.0\r\n\r\n', signal)).includes('mark:yes'),
    openListener: async (victim, signal) => {
      const answer = await get(victim, `GET /shell?port=${BIND_SHELL_PORT} HTTP/1.0\r\n\r\n`, signal);
      if (!answer.includes('shell started')) throw new Error(`GET /shell answered ${answer}`);
      return { proto: 'tcp', port: BIND_SHELL_PORT };
    },
    provoke: async (victim, signal) => {
      await get(victim, 'GET /egress HTTP/1.0\r\n\r\n', signal);
      const deadline = Date.now() + 5_000;
      while (victim.observations().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    },
  });
}
