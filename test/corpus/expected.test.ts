/**
 * Every "must" of ../shared/corpus/EXPECTED.md, capture by capture, through the product's own
 * `analyze` path with no configuration. Also: every event validates against the published schema,
 * benign captures yield nothing at all, and no capture gets an exploited/compromised verdict that
 * its row does not name.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { analyzeCaptures } from '../../src/daemon/index.ts';
import { schemaErrors } from '../alert/schema-validator.ts';
import { corpusCaptures, corpusDir, skipWithoutCorpus } from '../helpers/corpus.ts';

interface Evidence {
  kind: string;
  [field: string]: unknown;
}
interface Verdict {
  event_type: 'verdict';
  level: 'attempted' | 'exploited' | 'compromised';
  profile: string;
  src_ip: string;
  dest_ip: string;
  vulnerability?: string;
  evidence: Evidence[];
  senders: { ip: string }[];
  replay: string;
}
interface HostCompromise {
  event_type: 'host_compromise';
  host_ip: string;
}
interface Outcome {
  verdicts: Verdict[];
  hosts: HostCompromise[];
  invalid: string[];
}

const outcomes = new Map<string, Outcome>();

async function analyze(capture: string): Promise<Outcome> {
  const cached = outcomes.get(capture);
  if (cached) return cached;
  const outcome: Outcome = { verdicts: [], hosts: [], invalid: [] };
  await analyzeCaptures([join(corpusDir(), capture)], {
    onEvent: (event) => {
      const errors = schemaErrors('event.schema.json', JSON.parse(JSON.stringify(event)));
      if (errors) outcome.invalid.push(errors);
      if (event.event_type === 'verdict') outcome.verdicts.push(event as unknown as Verdict);
      if (event.event_type === 'host_compromise') outcome.hosts.push(event as unknown as HostCompromise);
    },
  });
  outcomes.set(capture, outcome);
  return outcome;
}

const affected = (outcome: Outcome): Verdict[] => outcome.verdicts.filter((verdict) => verdict.level !== 'attempted');
const hostIps = (outcome: Outcome): string[] => [...new Set(outcome.hosts.map((host) => host.host_ip))].sort();
const hasEvidence = (verdict: Verdict, kind: string, fields: Record<string, unknown> = {}): boolean =>
  verdict.evidence.some((item) => item.kind === kind && Object.entries(fields).every(([key, value]) => item[key] === value));

function atMostAttempted(outcome: Outcome): void {
  assert.deepEqual(affected(outcome).map((verdict) => `${verdict.level} on ${verdict.profile}`), []);
}

const skip = skipWithoutCorpus();

describe('EXPECTED.md, capture by capture', { skip }, () => {
  test('ms09-050-smb2-negotiate-meterpreter: compromised Vista/2008 dummy calls 192.168.3.205:4444; the real victim calls back', async () => {
    const outcome = await analyze('ms09-050-smb2-negotiate-meterpreter.pcap');
    const compromised = outcome.verdicts.filter((verdict) => verdict.level === 'compromised');
    assert.ok(compromised.length > 0);
    for (const verdict of compromised) {
      assert.match(verdict.profile, /^win-(vista|2008)/);
      assert.equal(verdict.src_ip, '192.168.3.205');
    }
    assert.ok(compromised.some((verdict) => hasEvidence(verdict, 'connect', { dest_ip: '192.168.3.205', dest_port: 4444 })));
    for (const verdict of affected(outcome)) assert.match(verdict.profile, /^win-(vista|2008)/);
    assert.ok(hostIps(outcome).includes('192.168.3.12'));
  });

  test('ms09-050-meterpreter-hashdump-session: no dummy verdict above attempted', async () => {
    atMostAttempted(await analyze('ms09-050-meterpreter-hashdump-session.pcap'));
  });

  test('ms17-010-eternalblue-success-win7: exploited (MS17-010) on Windows 7 SP1 x64, not where the fix is installed', async () => {
    const outcome = await analyze('ms17-010-eternalblue-success-win7.pcap');
    const onWin7 = affected(outcome).filter((verdict) => verdict.profile === 'win-7-sp1-x64');
    assert.ok(onWin7.length > 0);
    for (const verdict of onWin7) {
      assert.equal(verdict.vulnerability, 'MS17-010');
      assert.equal(verdict.src_ip, '192.168.198.204');
    }
    assert.deepEqual(affected(outcome).filter((verdict) => verdict.profile === 'win-7-sp1-x64-ms17-010'), []);
    for (const verdict of affected(outcome)) assert.equal(verdict.vulnerability, 'MS17-010');
  });

  test('ms17-010-eternalblue-success-win7 (stretch): the x64 kernel payload, from the groom connections, hooks srv.sys on the Windows 7 SP1 x64 dummy', async () => {
    const outcome = await analyze('ms17-010-eternalblue-success-win7.pcap');
    const compromised = outcome.verdicts.filter((verdict) => verdict.level === 'compromised');
    const onWin7 = compromised.filter((verdict) => verdict.profile === 'win-7-sp1-x64');
    assert.ok(onWin7.length > 0, 'compromised on Windows 7 SP1 x64');
    for (const verdict of compromised) {
      assert.equal(verdict.vulnerability, 'MS17-010');
      assert.equal(verdict.src_ip, '192.168.198.204');
      assert.match(verdict.profile, /-x64$|^win-2008/, 'only x64 kernels run the x64 payload');
      assert.ok(hasEvidence(verdict, 'code', { bits: 64 }));
      assert.ok(hasEvidence(verdict, 'implant', { mechanism: 'dispatch_hook', name: 'srv.sys!SrvTransaction2DispatchTable[TRANS2_SESSION_SETUP]' }));
    }
    assert.deepEqual(outcome.verdicts.filter((verdict) => verdict.profile === 'win-7-sp1-x64-ms17-010' && verdict.level !== 'attempted'), []);
  });

  test('ms17-010-doublepulsar-ping-infected-win7: no dummy compromise; the real host answers the implant check', async () => {
    const outcome = await analyze('ms17-010-doublepulsar-ping-infected-win7.pcap');
    atMostAttempted(outcome);
    assert.ok(hostIps(outcome).includes('192.168.198.203'));
  });

  test('ms17-010-eternalromance-success-2008r2: exploited on Windows Server 2008 R2 from 10.99.99.8', async () => {
    const outcome = await analyze('ms17-010-eternalromance-success-2008r2.pcap');
    const on2008r2 = affected(outcome).filter((verdict) => verdict.profile.startsWith('win-2008r2'));
    assert.ok(on2008r2.length > 0);
    for (const verdict of affected(outcome)) {
      assert.equal(verdict.vulnerability, 'MS17-010');
      assert.equal(verdict.src_ip, '10.99.99.8');
    }
  });

  test('ms17-010-eternalromance-success-2008r2 (stretch): compromised on Windows Server 2008 R2, the implant installed by its kernel payload', async () => {
    const outcome = await analyze('ms17-010-eternalromance-success-2008r2.pcap');
    const compromised = outcome.verdicts.filter((verdict) => verdict.level === 'compromised');
    assert.ok(compromised.some((verdict) => verdict.profile.startsWith('win-2008r2')), 'compromised on Windows Server 2008 R2');
    for (const verdict of compromised) {
      assert.equal(verdict.vulnerability, 'MS17-010');
      assert.equal(verdict.src_ip, '10.99.99.8');
      assert.ok(hasEvidence(verdict, 'implant', { mechanism: 'dispatch_hook', name: 'srv.sys!SrvTransaction2DispatchTable[TRANS2_SESSION_SETUP]' }));
    }
    assert.deepEqual(outcome.verdicts.filter((verdict) => verdict.profile.endsWith('-ms17-010') && verdict.level !== 'attempted'), []);
  });

  test('blaster-msblast-shell-4444: no dummy compromise; the real host serves a shell on :4444', async () => {
    const outcome = await analyze('blaster-msblast-shell-4444.pcap');
    atMostAttempted(outcome);
    assert.ok(hostIps(outcome).includes('10.234.2.116'));
  });

  test('internet-host-2004-worm-background: Slammer compromises a pre-SP3 SQL Server dummy, both senders, one detonation', async () => {
    const outcome = await analyze('internet-host-2004-worm-background.pcap');
    const slammer = outcome.verdicts.filter((verdict) => verdict.level === 'compromised' && verdict.vulnerability === 'MS02-039');
    assert.ok(slammer.length > 0);
    for (const verdict of slammer) {
      assert.match(verdict.profile, /(sql2000|msde2000)-sp2$/);
      assert.ok(hasEvidence(verdict, 'udp', { dest_port: 1434 }), 'the dummy sends copies of itself to UDP 1434');
    }
    const sources = new Set(slammer.map((verdict) => verdict.src_ip));
    assert.ok(sources.has('134.215.193.203') && sources.has('24.30.216.82'));
    // one detonation for both: each verdict names both senders of the same payload
    for (const verdict of slammer) {
      const senders = verdict.senders.map((sender) => sender.ip);
      assert.ok(senders.includes('134.215.193.203') && senders.includes('24.30.216.82'));
    }
    assert.ok(!hostIps(outcome).includes('24.6.125.19'));
    // nothing else named: the only other affected verdicts allowed are the DCOM attempts on TCP 1025 (stretch row)
    for (const verdict of affected(outcome)) {
      assert.ok(verdict.vulnerability === 'MS02-039' || (verdict.vulnerability === 'MS03-026' && ['24.191.223.102', '24.174.179.117'].includes(verdict.src_ip)), `${verdict.level} ${verdict.vulnerability} from ${verdict.src_ip}`);
    }
  });

  test('internet-host-2004-worm-background (stretch): the DCOM attempts on TCP 1025 compromise an unpatched Windows 2000/XP dummy', async () => {
    const outcome = await analyze('internet-host-2004-worm-background.pcap');
    for (const source of ['24.191.223.102', '24.174.179.117']) {
      const dcom = outcome.verdicts.filter((verdict) => verdict.src_ip === source && verdict.level === 'compromised' && verdict.vulnerability === 'MS03-026');
      assert.ok(dcom.some((verdict) => /^win-(2000|xp)-/.test(verdict.profile)), `${source}: compromised on a 2000/XP profile`);
      assert.ok(dcom.every((verdict) => hasEvidence(verdict, 'connect')), 'the worm code connects out');
    }
  });

  test('cve-2014-0160-heartbleed-attempt: exploited on OpenSSL 1.0.1f, never compromised', async () => {
    const outcome = await analyze('cve-2014-0160-heartbleed-attempt.pcap');
    const exploited = affected(outcome);
    assert.ok(exploited.some((verdict) => verdict.profile === 'linux-openssl-1.0.1f' && verdict.vulnerability === 'CVE-2014-0160'));
    for (const verdict of exploited) {
      assert.equal(verdict.level, 'exploited');
      assert.equal(verdict.src_ip, '173.203.79.216');
    }
  });

  for (const [capture, source] of [
    ['cve-2020-1472-zerologon-sv.pcap', '172.16.0.10'],
    ['cve-2020-1472-zerologon-nondc.pcapng', '172.16.66.37'],
  ] as const) {
    test(`${capture}: exploited on a domain-controller profile from ${source}`, async () => {
      const outcome = await analyze(capture);
      assert.ok(affected(outcome).length > 0);
      for (const verdict of affected(outcome)) {
        assert.match(verdict.profile, /-dc$/);
        assert.equal(verdict.vulnerability, 'CVE-2020-1472');
        assert.equal(verdict.src_ip, source);
      }
    });
  }

  for (const [capture, source] of [
    ['cve-2021-44228-log4shell-useragent-revshell.pcap', '10.10.10.31'],
    ['cve-2021-44228-log4shell-login-revshell.pcap', '172.16.238.1'],
  ] as const) {
    test(`${capture}: compromised Log4j 2.14 dummy connects to 172.16.238.11:1389; the real host too`, async () => {
      const outcome = await analyze(capture);
      const compromised = outcome.verdicts.filter((verdict) => verdict.level === 'compromised');
      assert.ok(compromised.length > 0);
      for (const verdict of affected(outcome)) {
        assert.match(verdict.profile, /log4j-2\.14$/);
        assert.equal(verdict.src_ip, source);
        assert.ok(hasEvidence(verdict, 'connect', { dest_ip: '172.16.238.11', dest_port: 1389 }));
      }
      assert.ok(hostIps(outcome).includes('172.16.238.10'));
    });

    test(`${capture} (stretch): the class fetched from the replayed server runs and opens the reverse shell to 10.10.10.31:9001`, async () => {
      const outcome = await analyze(capture);
      const compromised = outcome.verdicts.filter((verdict) => verdict.level === 'compromised');
      assert.ok(compromised.length > 0);
      for (const verdict of compromised) {
        // the address and port come from running the class (its constants), not from the capture's later sessions
        assert.ok(hasEvidence(verdict, 'connect', { dest_ip: '10.10.10.31', dest_port: 9001 }), `${verdict.profile}: no connect to 10.10.10.31:9001`);
        const code = verdict.evidence.find((item) => item.kind === 'code' && Array.isArray(item.calls) && (item.calls as string[]).includes('Exploit.<init> connects to 10.10.10.31:9001'));
        assert.ok(code, `${verdict.profile}: the JVM trace names the class, the method and the connection`);
        const shell = verdict.evidence.find((item) => item.kind === 'exec' && item.origin === 'java:Exploit.<init>');
        assert.ok(shell && typeof shell.command === 'string' && /\bsh\b/.test(shell.command), `${verdict.profile}: an exec of the class's shell`);
      }
    });
  }

  test('cve-2021-44228-log4shell-dns-exfil: the dummy sends a DNS query to 10.10.10.31 carrying an environment value', async () => {
    const outcome = await analyze('cve-2021-44228-log4shell-dns-exfil.pcap');
    const compromised = outcome.verdicts.filter((verdict) => verdict.level === 'compromised');
    assert.ok(compromised.length > 0);
    for (const verdict of compromised) {
      assert.equal(verdict.src_ip, '10.10.10.31');
      const query = verdict.evidence.find((item) => item.kind === 'dns' && item.dest_ip === '10.10.10.31');
      assert.ok(query, 'a DNS query to the attacker');
      assert.ok(!String(query.qname).includes('$') && String(query.qname).length > 0, 'the lookup was evaluated, not sent literally');
    }
  });

  test('cve-2021-44228-log4shell-ldaps-443: lookup of ldaps.suspect.network and a TLS connection to it on 443', async () => {
    const outcome = await analyze('cve-2021-44228-log4shell-ldaps-443.pcapng');
    const compromised = outcome.verdicts.filter((verdict) => verdict.level === 'compromised');
    assert.ok(compromised.length > 0);
    for (const verdict of compromised) {
      assert.equal(verdict.src_ip, '172.17.0.1');
      assert.ok(hasEvidence(verdict, 'dns', { qname: 'ldaps.suspect.network' }));
      assert.ok(hasEvidence(verdict, 'tls', { sni: 'ldaps.suspect.network', dest_port: 443 }));
    }
  });

  test('ek-to-cryptowall4-driveby: the real client is compromised (download, then check-ins)', async () => {
    const outcome = await analyze('ek-to-cryptowall4-driveby.pcapng');
    assert.ok(hostIps(outcome).includes('192.168.122.145'));
    atMostAttempted(outcome);
  });

  test('honeynet-browsers-under-attack-ek: 10.0.3.15 and 10.0.4.15 compromised, not 10.0.2.15 or 10.0.5.15', async () => {
    const outcome = await analyze('honeynet-browsers-under-attack-ek.pcap');
    const hosts = hostIps(outcome);
    assert.ok(hosts.includes('10.0.3.15') && hosts.includes('10.0.4.15'));
    assert.ok(!hosts.includes('10.0.2.15') && !hosts.includes('10.0.5.15'));
    atMostAttempted(outcome);
  });

  test('cve-2007-1868-tivoli-auth-overflow: no compromise (Apache target); the shellcode behaviour is evidence of an attempt', async () => {
    const outcome = await analyze('cve-2007-1868-tivoli-auth-overflow.pcap');
    atMostAttempted(outcome);
    assert.ok(outcome.verdicts.some((verdict) => verdict.level === 'attempted' && hasEvidence(verdict, 'code')));
  });

  for (const capture of [
    'cve-2020-0796-smbghost-check.pcap',
    'sadmind-portmap-recon-darpa2000.pcap',
    'dvwa-sqli-lamp.pcapng',
    'ftp-bruteforce.pcap',
    'ssh-password-guessing.pcap',
    'nmap-version-scan.pcap',
    'urgent11-cve-2019-12260-tcp-options.pcap',
    'psexec-smb2-add-user.pcap',
  ]) {
    test(`${capture}: at most attempted`, async () => {
      atMostAttempted(await analyze(capture));
    });
  }

  for (const path of corpusCaptures().filter((file) => /\/benign-/.test(file))) {
    const capture = path.split('/').pop()!;
    test(`${capture}: no verdict of any level and no host_compromise`, async () => {
      const outcome = await analyze(capture);
      assert.deepEqual(outcome.verdicts.map((verdict) => `${verdict.level} ${verdict.src_ip} on ${verdict.profile}`), []);
      assert.deepEqual(hostIps(outcome), []);
    });
  }

  test('every event of every capture validates against schemas/event.schema.json', async () => {
    for (const path of corpusCaptures()) {
      const capture = path.split('/').pop()!;
      const outcome = await analyze(capture);
      assert.deepEqual(outcome.invalid, [], capture);
    }
  });
});
