/** Real captures through triage in offline mode (every receiving host protected, as `crashtest analyze` runs). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultCatalogue } from '../../src/sandbox/index.ts';
import { ProtectedNetworks, Triage, type ReplayJob } from '../../src/triage/index.ts';
import { corpusSessions } from '../helpers/corpus-sessions.ts';
import { skipWithoutCorpus } from '../helpers/corpus.ts';

async function triageCapture(capture: string): Promise<{ jobs: ReplayJob[]; triage: Triage }> {
  const triage = new Triage({ catalogue: defaultCatalogue(), protectedNetworks: ProtectedNetworks.everyReceiver() });
  for (const session of await corpusSessions(capture)) triage.offer(session);
  const jobs: ReplayJob[] = [];
  for (let job = triage.next(); job; job = triage.next()) jobs.push(job);
  return { jobs, triage };
}

const senders = (job: ReplayJob) => [...new Set(job.senders.map((sender) => sender.ip))].sort();

describe('triage on the corpus', { skip: skipWithoutCorpus() }, () => {
  it('Slammer: one ms-sql-m job with both senders, on SQL Server 2000/MSDE profiles, ranked first', async () => {
    const { jobs } = await triageCapture('internet-host-2004-worm-background.pcap');
    const slammer = jobs.filter((job) => job.service.kind === 'ms-sql-m');
    assert.equal(slammer.length, 1);
    assert.deepEqual(senders(slammer[0]!), ['134.215.193.203', '24.30.216.82']);
    assert.ok(slammer[0]!.profileIds.length > 0 && slammer[0]!.profileIds.every((id) => /sql2000|msde2000/.test(id)));
    assert.equal(jobs[0], slammer[0], 'attacker code and an oversize instance name put it at the head of the queue');
    const dcom = jobs.filter((job) => job.service.kind === 'msrpc-dynamic' && job.service.port === 1025);
    assert.deepEqual(dcom.flatMap(senders).sort(), ['24.174.179.117', '24.191.223.102']);
  });

  it('Log4Shell: HTTP jobs including the Log4j profiles, on 8080 and on 8000', async () => {
    for (const [capture, source] of [
      ['cve-2021-44228-log4shell-useragent-revshell.pcap', '10.10.10.31'],
      ['cve-2021-44228-log4shell-login-revshell.pcap', '172.16.238.1'],
      ['cve-2021-44228-log4shell-dns-exfil.pcap', '10.10.10.31'],
      ['cve-2021-44228-log4shell-ldaps-443.pcapng', '172.17.0.1'],
    ] as const) {
      const { jobs } = await triageCapture(capture);
      const attack = jobs.find((job) => job.service.kind === 'http' && senders(job).includes(source));
      assert.ok(attack, capture);
      assert.ok(attack.profileIds.includes('linux-tomcat-log4j-2.14') || attack.profileIds.includes('linux-java-log4j-2.14'), capture);
      assert.ok(attack.reasons.injectionMarkers.includes('jndi_lookup'), capture);
    }
  });

  it('Zerologon: the Netlogon calls on the dynamic port are msrpc-dynamic jobs for NT 6 profiles including the DC', async () => {
    for (const [capture, source] of [['cve-2020-1472-zerologon-sv.pcap', '172.16.0.10'], ['cve-2020-1472-zerologon-nondc.pcapng', '172.16.66.37']] as const) {
      const { jobs } = await triageCapture(capture);
      const netlogon = jobs.filter((job) => job.service.kind === 'msrpc-dynamic' && job.service.port === 49668);
      assert.ok(netlogon.length >= 2, `${capture}: the repeated attempts and the password set are different payloads`);
      assert.ok(netlogon.every((job) => senders(job).includes(source) && job.profileIds.includes('win-2008-dc')), capture);
    }
    const { jobs } = await triageCapture('cve-2020-1472-zerologon-sv.pcap');
    const repeated = jobs.find((job) => job.service.port === 49668 && job.senders.length > 1);
    assert.ok(repeated && repeated.senders.length === 20, '20 identical challenge/authenticate sessions dedupe into one job');
  });

  it('Heartbleed: a TLS job on the OpenSSL profiles, flagged by the heartbeat length', async () => {
    const { jobs } = await triageCapture('cve-2014-0160-heartbleed-attempt.pcap');
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.service.kind, 'https');
    assert.equal(jobs[0]!.service.protocol, 'tls');
    assert.ok(jobs[0]!.profileIds.includes('linux-openssl-1.0.1f'));
    assert.ok(jobs[0]!.reasons.oversizeFields.some((field) => field.field === 'tls.heartbeat.payload_length'));
  });

  it('Tivoli overflow: the Server header narrows to the Apache profile; shellcode and the long header are found', async () => {
    const { jobs } = await triageCapture('cve-2007-1868-tivoli-auth-overflow.pcap');
    assert.equal(jobs.length, 1);
    assert.deepEqual(jobs[0]!.profileIds, ['win-2003-sp2-apache-2.2']);
    assert.ok(jobs[0]!.reasons.shellcodeScore > 0);
    assert.ok(jobs[0]!.reasons.oversizeFields.some((field) => field.field === 'http.header.authorization'));
  });

  it('SMB exploits: microsoft-ds jobs; EternalBlue grooming copies dedupe; the MS09-050 negotiate reaches Vista profiles', async () => {
    const eternalblue = await triageCapture('ms17-010-eternalblue-success-win7.pcap');
    assert.ok(eternalblue.jobs.every((job) => job.service.kind === 'microsoft-ds'));
    assert.ok(eternalblue.jobs.length < 10, `47 sessions, ${eternalblue.jobs.length} jobs`);
    assert.ok(eternalblue.jobs.some((job) => job.profileIds.includes('win-7-sp1-x64') && job.reasons.oversizeFields.length > 0));
    const romance = await triageCapture('ms17-010-eternalromance-success-2008r2.pcap');
    assert.ok(romance.jobs.some((job) => job.profileIds.includes('win-2008r2-sp1') && senders(job).includes('10.99.99.8')));
    const ms09050 = await triageCapture('ms09-050-smb2-negotiate-meterpreter.pcap');
    assert.ok(ms09050.jobs.some((job) => job.service.kind === 'microsoft-ds' && job.profileIds.some((id) => id.startsWith('win-vista')) && senders(job).includes('192.168.3.205')));
  });

  it('benign captures: jobs only for inbound sessions with client payload (counted below)', async () => {
    const benign = [
      'benign-dns-query-response.pcapng', 'benign-ftp-ipv4-session.pcap', 'benign-ftp-retr.pcap', 'benign-http-browse-2011.pcap',
      'benign-http-google.pcapng', 'benign-http-m57-long.pcap', 'benign-http-wikipedia.pcap', 'benign-smb2-midstream-file-read.pcap',
      'benign-smb2-zeek.pcap', 'benign-smtp.pcap', 'benign-ssh-single-conn.pcap', 'benign-tftp-get-rfc1350.pcap',
    ];
    const report: string[] = [];
    for (const capture of benign) {
      const { jobs, triage } = await triageCapture(capture);
      const sessions = await corpusSessions(capture);
      for (const job of jobs) {
        assert.ok(job.session.turns.some((turn) => turn.direction === 'to_server' && turn.data.length > 0), capture);
        assert.ok(job.reasons.shellcodeScore === 0 || job.priority < 60, `${capture}: nothing benign ranks like an exploit`);
      }
      const stats = triage.stats();
      report.push(`${capture}: ${sessions.length} sessions, ${jobs.length} jobs, ${stats['triage.deduplicated'] ?? 0} deduplicated`);
    }
    console.log(report.join('\n'));
  });
});
