/**
 * `crashtest verify` reproduces every verdict from its bundle: each corpus capture with verdicts is
 * analysed with evidence folders, and every bundle written is re-run on a fresh installation's
 * dummies (a new farm) and must come out at the same level with the same kinds of evidence.
 * Bundles carry the captured peers, so what followed a peer's answer is re-run too: the log4shell
 * reverse shells' JVM runs the class fetched from the captured HTTP session again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { writeBundle } from '../../src/alert/index.ts';
import { analyzeCaptures, verifyBundle } from '../../src/daemon/index.ts';
import { corpusDir, skipWithoutCorpus } from '../helpers/corpus.ts';

const CAPTURES = [
  'ms09-050-smb2-negotiate-meterpreter.pcap',
  'ms17-010-eternalblue-success-win7.pcap',
  'ms17-010-eternalromance-success-2008r2.pcap',
  'internet-host-2004-worm-background.pcap',
  'cve-2014-0160-heartbleed-attempt.pcap',
  'cve-2020-1472-zerologon-sv.pcap',
  'cve-2020-1472-zerologon-nondc.pcapng',
  'cve-2021-44228-log4shell-useragent-revshell.pcap',
  'cve-2021-44228-log4shell-login-revshell.pcap',
  'cve-2021-44228-log4shell-dns-exfil.pcap',
  'cve-2021-44228-log4shell-ldaps-443.pcapng',
  'cve-2007-1868-tivoli-auth-overflow.pcap',
];
/** captures whose verdicts rest on captured peers: the JNDI lookup meets the captured LDAP and HTTP answers */
const PEER_CAPTURES = new Set(['cve-2021-44228-log4shell-useragent-revshell.pcap', 'cve-2021-44228-log4shell-login-revshell.pcap']);

describe('crashtest verify reproduces every verdict from its bundle', { skip: skipWithoutCorpus() }, () => {
  for (const capture of CAPTURES) {
    test(capture, async () => {
      const directory = mkdtempSync(join(tmpdir(), 'crashtest-verify-'));
      try {
        let verdicts = 0;
        await analyzeCaptures([join(corpusDir(), capture)], {
          evidenceDir: directory,
          onEvent: (event) => {
            if (event.event_type === 'verdict') verdicts++;
          },
        });
        const folders = readdirSync(directory);
        assert.ok(verdicts > 0, 'the capture has verdicts');
        assert.equal(folders.length, verdicts, 'one evidence folder per verdict');
        for (const folder of folders) {
          const result = await verifyBundle(join(directory, folder, 'bundle.json'));
          assert.ok(result.reproduced, `${folder}: expected ${result.expectedLevel} [${result.expectedKinds.join(', ')}], got ${result.level} [${result.kinds.join(', ')}]`);
          if (!PEER_CAPTURES.has(capture)) continue;
          assert.ok((result.bundle.peers ?? []).length > 0, `${folder}: the bundle carries the captured peers`);
          for (const kind of ['exec', 'code']) {
            assert.ok(result.expectedKinds.includes(kind), `${folder}: ${kind} is expected of a re-run`);
            assert.ok(result.kinds.includes(kind), `${folder}: verify reproduces ${kind}`);
          }
          // the peers are what makes it: the same bundle without them leaves the JVM nothing to run
          const { peers: _peers, ...withoutPeers } = result.bundle;
          const stripped = join(directory, folder, 'bundle-without-peers.json');
          await writeBundle(stripped, withoutPeers);
          const bare = await verifyBundle(stripped);
          assert.ok(!bare.kinds.includes('code'), `${folder}: without peers no fetched class runs, got [${bare.kinds.join(', ')}]`);
          assert.ok(!bare.reproduced, `${folder}: without peers the recorded evidence is not reproduced`);
        }
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    });
  }
});
