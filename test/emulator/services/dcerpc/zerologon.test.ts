import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corpusSessions } from '../../../helpers/corpus-sessions.ts';
import { skipWithoutCorpus } from '../../../helpers/corpus.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { replayRpcSessions } from './replay.ts';

const CAPTURES = ['cve-2020-1472-zerologon-sv.pcap', 'cve-2020-1472-zerologon-nondc.pcapng'];

describe('Zerologon (CVE-2020-1472) from the corpus', { skip: skipWithoutCorpus() }, () => {
  for (const capture of CAPTURES) {
    it(`${capture}: exploited on a vulnerable domain controller`, async () => {
      const host = new TestServiceHost('win-2008r2-sp1-dc');
      const replayed = replayRpcSessions(host, await corpusSessions(capture));
      assert.ok(replayed.length > 2, 'sessions to 135 and the netlogon port');
      const reports = host.exploits.filter((report) => report.vulnerability === 'CVE-2020-1472');
      assert.ok(reports.length > 0, 'a CVE-2020-1472 report');
      assert.ok(reports.every((report) => report.vulnerable && report.service === 'msrpc'));
      if (capture.endsWith('-sv.pcap')) assert.ok(reports.some((report) => report.detail === 'machine password reset'));
      assert.deepEqual(host.exploits.filter((report) => report.vulnerability !== 'CVE-2020-1472'), []);
      assert.deepEqual(host.codeRuns, []);
    });

    it(`${capture}: not vulnerable on a member server`, async () => {
      const host = new TestServiceHost('win-2008r2-sp1');
      replayRpcSessions(host, await corpusSessions(capture));
      assert.ok(host.exploits.every((report) => !report.vulnerable));
      assert.ok(!host.exploits.some((report) => report.detail === 'machine password reset'));
    });
  }
});
