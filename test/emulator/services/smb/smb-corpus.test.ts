/**
 * The SMB service driven with the client side of real captures: the exploits reach the checks they
 * target on the profiles they target, and nothing else reports an exploit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { smbService } from '../../../../src/emulator/services/smb/index.ts';
import { TRANS2_SESSION_SETUP_SLOT } from '../../../../src/emulator/windows-kernel/index.ts';
import { corpusSessions } from '../../../helpers/corpus-sessions.ts';
import { skipWithoutCorpus } from '../../../helpers/corpus.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { fakePipes, replaySessions, statusOf } from './smb-test-client.ts';

const skip = skipWithoutCorpus();

async function replay(capture: string, profile: string, prepare?: (host: TestServiceHost) => void) {
  const host = new TestServiceHost(profile);
  prepare?.(host);
  const pipes = fakePipes();
  const responses = replaySessions(smbService({ pipes: pipes.opener }), host, await corpusSessions(capture));
  return { host, pipes, responses };
}

describe('SMB service on corpus captures', { skip }, () => {
  it('EternalBlue: MS17-010 is reported vulnerable on Windows 7 SP1 x64 and the kernel payload goes to the code runner', async () => {
    const { host, responses } = await replay('ms17-010-eternalblue-success-win7.pcap', 'win-7-sp1-x64');
    assert.ok(responses.length > 0);
    const reports = host.exploits.filter((report) => report.vulnerability === 'MS17-010');
    assert.ok(reports.length > 0, JSON.stringify(host.exploits));
    assert.ok(reports.every((report) => report.vulnerable));
    assert.ok(reports.some((report) => /FEA list/.test(report.detail)), JSON.stringify(reports));
    assert.ok(host.codeRuns.length > 0, 'kernel code handed to the runner');
    assert.ok(host.codeRuns.every((run) => run.hints.kernel === true && run.hints.bits === 64 && run.hints.vulnerability === 'MS17-010'));
    assert.ok(host.exploits.every((report) => report.vulnerability === 'MS17-010'));
  });

  it('EternalBlue: a profile with the MS17-010 fix records the attempt as not vulnerable and runs nothing', async () => {
    const { host } = await replay('ms17-010-eternalblue-success-win7.pcap', 'win-7-sp1-x64-ms17-010');
    const reports = host.exploits.filter((report) => report.vulnerability === 'MS17-010');
    assert.ok(reports.length > 0);
    assert.ok(reports.every((report) => !report.vulnerable));
    assert.equal(host.codeRuns.length, 0);
  });

  it('EternalRomance: the write into a transaction and the secondary past its buffer are MS17-010 on 2008 R2', async () => {
    const { host } = await replay('ms17-010-eternalromance-success-2008r2.pcap', 'win-2008r2-sp1');
    const reports = host.exploits.filter((report) => report.vulnerability === 'MS17-010');
    assert.ok(reports.length > 0, JSON.stringify(host.exploits));
    assert.ok(reports.every((report) => report.vulnerable));
    assert.ok(reports.some((report) => /WRITE_ANDX/.test(report.detail)));
    assert.ok(reports.some((report) => /pool overflow/.test(report.detail)));
    assert.ok(host.codeRuns.some((run) => run.hints.kernel === true && run.hints.bits === 64));
  });

  it('MS09-050: the SMB2 negotiate with Process ID High is reported on Vista SP1 and its bytes run', async () => {
    const { host } = await replay('ms09-050-smb2-negotiate-meterpreter.pcap', 'win-vista-sp1');
    const reports = host.exploits.filter((report) => report.vulnerability === 'MS09-050');
    assert.ok(reports.length > 0, JSON.stringify(host.exploits));
    assert.ok(reports.every((report) => report.vulnerable));
    assert.ok(host.codeRuns.length > 0);
    assert.equal(host.codeRuns[0].hints.vulnerability, 'MS09-050');
    assert.equal(host.codeRuns[0].hints.bits, 32);
    assert.ok(host.codeRuns[0].bytes.length > 100);
  });

  it('DOUBLEPULSAR check: a clean host answers not infected, an infected one with MID + 0x10', async () => {
    const clean = await replay('ms17-010-doublepulsar-ping-infected-win7.pcap', 'win-7-sp1-x64');
    const cleanTrans2 = clean.responses.filter((message) => message.protocol === 'smb1' && message.bytes[4] === 0x32);
    assert.equal(cleanTrans2.length, 1);
    assert.equal(statusOf(cleanTrans2[0]), 0xc0000002);
    const cleanMid = new DataView(cleanTrans2[0].bytes.buffer, cleanTrans2[0].bytes.byteOffset).getUint16(30, true);
    assert.equal(cleanMid, 65);
    assert.equal(clean.host.observations.filter((observation) => observation.kind === 'answered').length, 0);

    const infected = await replay('ms17-010-doublepulsar-ping-infected-win7.pcap', 'win-7-sp1-x64', (host) => host.state.implants.add(TRANS2_SESSION_SETUP_SLOT));
    const trans2 = infected.responses.filter((message) => message.protocol === 'smb1' && message.bytes[4] === 0x32);
    assert.equal(trans2.length, 1);
    const mid = new DataView(trans2[0].bytes.buffer, trans2[0].bytes.byteOffset).getUint16(30, true);
    assert.equal(mid, 65 + 0x10);
    assert.equal(infected.host.observations.filter((observation) => observation.kind === 'answered').length, 1);
    assert.equal(clean.host.exploits.length + infected.host.exploits.length, 0);
  });

  it('PsExec with valid credentials: the logon is refused, nothing is reported or run', async () => {
    const { host, responses } = await replay('psexec-smb2-add-user.pcap', 'win-7-sp1-x64');
    assert.ok(responses.some((message) => message.protocol === 'smb2' && statusOf(message) === 0xc000006d), 'STATUS_LOGON_FAILURE');
    assert.equal(host.exploits.length, 0);
    assert.equal(host.commands.length, 0);
    assert.equal(host.codeRuns.length, 0);
  });

  for (const capture of ['cve-2020-0796-smbghost-check.pcap', 'benign-smb2-zeek.pcap', 'benign-smb2-midstream-file-read.pcap']) {
    it(`${capture}: no exploit report`, async () => {
      for (const profile of ['win-7-sp1-x64', 'win-2008r2-sp1', 'win-xp-sp3']) {
        const { host } = await replay(capture, profile);
        assert.equal(host.exploits.length, 0, `${profile}: ${JSON.stringify(host.exploits)}`);
        assert.equal(host.codeRuns.length, 0);
      }
    });
  }
});
