import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corpusSessions } from '../../../helpers/corpus-sessions.ts';
import { skipWithoutCorpus } from '../../../helpers/corpus.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { replayRpcSessions } from './replay.ts';

const CAPTURE = 'internet-host-2004-worm-background.pcap';
const ATTACKERS = ['24.191.223.102', '24.174.179.117'];

describe('DCOM activation (MS03-026) from the 2004 Internet host', { skip: skipWithoutCorpus() }, () => {
  for (const profile of ['win-2000-sp4', 'win-xp-sp1']) {
    it(`reports MS03-026 and runs the shellcode on ${profile}`, async () => {
      const sessions = (await corpusSessions(CAPTURE)).filter((session) => ATTACKERS.includes(session.client.ip));
      for (const attacker of ATTACKERS) {
        const host = new TestServiceHost(profile);
        const replayed = replayRpcSessions(host, sessions.filter((session) => session.client.ip === attacker));
        assert.ok(replayed.some((entry) => entry.answers.length > 1), `${attacker} got past the bind`);
        const reports = host.exploits.filter((report) => report.vulnerability === 'MS03-026');
        assert.ok(reports.length > 0, `${attacker}: an MS03-026 report`);
        assert.ok(reports.every((report) => report.vulnerable && report.service === 'msrpc'));
        assert.ok(host.codeRuns.length > 0, 'runCode got the request');
        assert.equal(host.codeRuns[0]!.hints.vulnerability, 'MS03-026');
        assert.equal(host.codeRuns[0]!.hints.placement, 'stack');
      }
    });
  }

  it('records only an attempt on a patched profile (XP SP2) and answers the call', async () => {
    const host = new TestServiceHost('win-xp-sp2');
    const sessions = (await corpusSessions(CAPTURE)).filter((session) => ATTACKERS.includes(session.client.ip));
    const replayed = replayRpcSessions(host, sessions);
    assert.ok(host.exploits.length > 0 && host.exploits.every((report) => !report.vulnerable));
    assert.deepEqual(host.codeRuns, []);
    assert.ok(replayed.some((entry) => entry.answers.length > 1 && entry.answers.at(-1)!.length > 0), 'a patched RPCSS answers');
  });
});
