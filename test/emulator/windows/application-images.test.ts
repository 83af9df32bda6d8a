import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Profile } from '../../../src/config/index.ts';
import { profileShellcode } from '../../../src/emulator/finder/profile-shellcode.ts';
import { applicationModulesFor } from '../../../src/emulator/windows/application-images.ts';
import { defaultCatalogue } from '../../../src/sandbox/index.ts';
import { clientTurns, corpusSessions } from '../../helpers/corpus-sessions.ts';
import { skipWithoutCorpus } from '../../helpers/corpus.ts';

function profile(id: string): Profile {
  const found = defaultCatalogue().get(id);
  assert.ok(found, id);
  return found;
}

describe('application images', () => {
  it('SQL Server 2000 and MSDE 2000 before SP3 load sqlsort.dll at 0x42AE0000 with its import slots', () => {
    for (const id of ['win-2000-sp4-sql2000-sp2', 'win-2000-sp4-msde2000-sp2', 'win-xp-sp1-msde2000-sp2']) {
      const modules = applicationModulesFor(profile(id));
      assert.equal(modules.length, 1, id);
      assert.equal(modules[0]!.name, 'sqlsort.dll');
      assert.equal(modules[0]!.base, 0x42ae0000);
      assert.equal(modules[0]!.imports[0x42ae1018], 'kernel32.dll!LoadLibraryA');
      assert.equal(modules[0]!.imports[0x42ae1010], 'kernel32.dll!GetProcAddress');
      assert.equal(modules[0]!.imports[0x42ae101c], 'kernel32.dll!GetProcAddress');
    }
  });

  it('SP3 and profiles without the application have none; callers get their own copies', () => {
    assert.deepEqual(applicationModulesFor(profile('win-2000-sp4-sql2000-sp3')), []);
    assert.deepEqual(applicationModulesFor(profile('win-2000-sp4')), []);
    assert.deepEqual(applicationModulesFor(profile('linux-openssl-1.0.1f')), []);
    const first = applicationModulesFor(profile('win-2000-sp4-sql2000-sp2'));
    first[0]!.imports[0x42ae1018] = 'changed';
    assert.equal(applicationModulesFor(profile('win-2000-sp4-sql2000-sp2'))[0]!.imports[0x42ae1018], 'kernel32.dll!LoadLibraryA');
  });

  it('Slammer from the corpus, run with the SQL Server 2000 SP2 profile\'s modules, sends itself to UDP 1434', { skip: skipWithoutCorpus() }, async () => {
    const sessions = await corpusSessions('internet-host-2004-worm-background.pcap');
    const datagram = sessions.filter((session) => session.proto === 'udp' && session.server.port === 1434).flatMap(clientTurns)[0];
    assert.ok(datagram);
    const result = profileShellcode(datagram, {
      windows: { applicationModules: applicationModulesFor(profile('win-2000-sp4-sql2000-sp2')) },
      instructionsPerCandidate: 300_000,
    });
    const sends = result.trace!.events.filter((event) => event.api === 'ws2_32.sendto');
    assert.ok(sends.length > 100, `${sends.length} sends`);
    assert.ok(sends.every((event) => event.args.port === 1434 && event.args.length === datagram.length));
  });
});
