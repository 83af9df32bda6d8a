/** The fake driver passes the conformance suite every victim driver passes. */
import { FakeVictimDriver } from '../../src/drivers/victims/fake/fake-victim-driver.ts';
import { defaultCatalogue, type Victim } from '../../src/sandbox/index.ts';
import { victimDriverConformance } from './victim-driver-conformance.ts';

const catalogue = defaultCatalogue();
const peer = { address: '192.0.2.10', port: 40_000 };
const MARK = 'conformance-mark';

/** A port that remembers what it heard until revert: the fake's model of state left by a session. */
const MEMORY_PORT = 9_999;

async function tell(victim: Victim, text: string, signal: AbortSignal): Promise<string> {
  const connection = await victim.connect(MEMORY_PORT, peer, { signal });
  if (connection === null) throw new Error(`tcp/${MEMORY_PORT} refused`);
  const answer = await connection.send(Buffer.from(text), { signal });
  await connection.close();
  return Buffer.from(answer).toString('latin1');
}

victimDriverConformance(
  'fake',
  () =>
    new FakeVictimDriver({
      os: ['windows'],
      ports: {
        [MEMORY_PORT]: { kind: 'remember' },
        80: { kind: 'compromise', trigger: 'EXPLOIT', answer: 'HTTP/1.0 200 OK\r\n\r\n' },
      },
    }),
  {
    profile: catalogue.get('win-2000-sp4-iis5'),
    servicePort: 80,
    probe: Buffer.from('GET / HTTP/1.0\r\n\r\n'),
    refusedPort: 8_081,
    unsupportedProfile: catalogue.get('linux-apache-bash-cgi'),
    leaveMark: async (victim, signal) => {
      await tell(victim, MARK, signal);
    },
    findMark: async (victim, signal) => (await tell(victim, '', signal)).includes(MARK),
    provoke: async (victim, signal) => {
      const connection = await victim.connect(80, peer, { signal });
      await connection!.send(Buffer.from('GET /EXPLOIT HTTP/1.0\r\n\r\n'), { signal });
      await connection!.close();
    },
  },
);
