/**
 * The profile catalogue against the public bulletins: which service pack shipped which fix, which
 * roles and application versions are affected, and that every profile validates.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { profileSchema, type Profile } from '../../src/config/index.ts';
import { isCrashtestError } from '../../src/core/index.ts';
import { CATALOGUE_DEFINITIONS, defaultCatalogue, ProfileCatalogue, renderProfilesDoc, VULNERABILITY_RULES } from '../../src/sandbox/index.ts';

const catalogue = defaultCatalogue();

function vulnerabilityIds(id: string): string[] {
  return catalogue.get(id).vulnerabilities.map((vulnerability) => vulnerability.id);
}

function assertHas(id: string, ...bulletins: string[]): void {
  for (const bulletin of bulletins) assert.ok(vulnerabilityIds(id).includes(bulletin), `${id} should have ${bulletin} unpatched; has ${vulnerabilityIds(id).join(', ')}`);
}

function assertLacks(id: string, ...bulletins: string[]): void {
  for (const bulletin of bulletins) assert.ok(!vulnerabilityIds(id).includes(bulletin), `${id} should not have ${bulletin}; has ${vulnerabilityIds(id).join(', ')}`);
}

describe('catalogue shape', () => {
  it('every profile validates against the schema', () => {
    for (const profile of catalogue.list()) {
      const result = profileSchema.safeParse(profile);
      assert.ok(result.success, `${profile.id}: ${result.success ? '' : result.error.message}`);
    }
  });

  it('ids are unique and every definition became a profile', () => {
    const ids = CATALOGUE_DEFINITIONS.map((definition) => definition.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(catalogue.size, ids.length);
    assert.ok(catalogue.size >= 45, `only ${catalogue.size} profiles`);
  });

  it('a duplicate id stops the catalogue from building', () => {
    assert.throws(
      () => ProfileCatalogue.fromDefinitions([CATALOGUE_DEFINITIONS[0]!, CATALOGUE_DEFINITIONS[0]!]),
      (error) => isCrashtestError(error, 'CT_ERR_CONFIG_INVALID'),
    );
  });

  it('has the families and ids the issue names', () => {
    for (const id of [
      'win-nt4-sp6a', 'win-2000-sp0', 'win-2000-sp4', 'win-xp-sp0', 'win-xp-sp1', 'win-xp-sp3', 'win-2003-sp0', 'win-2003-sp2',
      'win-vista-sp0', 'win-vista-sp2', 'win-2008-sp1', 'win-2008-sp2', 'win-2008-dc', 'win-7-sp0-x86', 'win-7-sp1-x64',
      'win-2008r2-sp1', 'linux-tomcat-log4j-2.14', 'linux-apache-bash-cgi', 'linux-openssl-1.0.1f', 'busybox-dvr', 'freebsd-telnetd', 'linux-samba-3.x',
    ]) {
      assert.ok(catalogue.has(id), `missing ${id}`);
    }
  });

  it('profiles are frozen', () => {
    const profile = catalogue.get('win-xp-sp1');
    assert.ok(Object.isFrozen(profile) && Object.isFrozen(profile.services) && Object.isFrozen(profile.vulnerabilities[0]));
  });

  it('an unknown id is CT_ERR_PROFILE_UNKNOWN', () => {
    assert.throws(() => catalogue.get('win-98-se'), (error) => isCrashtestError(error, 'CT_ERR_PROFILE_UNKNOWN') && /win-98-se/.test(error.message));
  });

  it('every vulnerability is reached on a service the profile exposes', () => {
    for (const profile of catalogue.list()) {
      for (const vulnerability of profile.vulnerabilities) {
        for (const reached of vulnerability.reachedOn) {
          if (reached.port === 'rpc-dynamic') assert.ok(profile.rpcDynamicPorts, `${profile.id} ${vulnerability.id}`);
          else assert.ok(profile.services.some((service) => service.proto === reached.proto && service.port === reached.port), `${profile.id} ${vulnerability.id}`);
        }
      }
    }
  });

  it('a definition whose vulnerability is reached on an unexposed port does not validate', () => {
    const broken: unknown = {
      ...catalogue.get('win-xp-sp1'),
      vulnerabilities: [{ ...catalogue.get('win-xp-sp1').vulnerabilities[0]!, reachedOn: [{ proto: 'tcp', port: 4444, service: 'x' }] }],
    };
    assert.equal(profileSchema.safeParse(broken).success, false);
  });

  it('docs/profiles.md is the page the catalogue renders', () => {
    const page = readFileSync(new URL('../../docs/profiles.md', import.meta.url), 'utf8');
    assert.equal(page, renderProfilesDoc(catalogue), 'regenerate with: npx tsx scripts/profiles-doc.ts > docs/profiles.md');
  });

  it('every rule id is unique', () => {
    const ids = VULNERABILITY_RULES.map((rule) => rule.id);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('Windows service packs against the bulletins', () => {
  it('MS03-026/MS03-039 (July/Sept 2003): NT4, every 2000 SP (SP4 shipped June 2003), XP before SP2, 2003 before SP1', () => {
    assertHas('win-nt4-sp6a', 'MS03-026', 'MS03-039');
    assertHas('win-2000-sp4', 'MS03-026', 'MS03-039');
    assertHas('win-xp-sp1', 'MS03-026', 'MS03-039');
    assertHas('win-2003-sp0', 'MS03-026', 'MS03-039');
    assertLacks('win-xp-sp2', 'MS03-026', 'MS03-039');
    assertLacks('win-2003-sp1', 'MS03-026', 'MS03-039');
    assertLacks('win-vista-sp0', 'MS03-026');
  });

  it('MS03-026 is reached on 135, 139, 445 and the dynamic RPC ports (the 2004 worm attempts went to 1025)', () => {
    const dcom = catalogue.get('win-xp-sp1').vulnerabilities.find((vulnerability) => vulnerability.id === 'MS03-026')!;
    const ports = dcom.reachedOn.map((reached) => reached.port);
    for (const port of [135, 139, 445, 1025, 'rpc-dynamic']) assert.ok(ports.includes(port as number), `MS03-026 via ${port}`);
  });

  it('MS04-011 LSASS: 2000 and XP before SP2; not NT 4.0, not Server 2003 (local only)', () => {
    assertHas('win-2000-sp4', 'MS04-011');
    assertHas('win-xp-sp1', 'MS04-011');
    assertLacks('win-xp-sp2', 'MS04-011');
    assertLacks('win-nt4-sp6a', 'MS04-011');
    assertLacks('win-2003-sp0', 'MS04-011');
  });

  it('MS05-039: anonymous on 2000, authenticated on XP SP1, absent from XP SP2', () => {
    assert.equal(catalogue.get('win-2000-sp4').vulnerabilities.find((vulnerability) => vulnerability.id === 'MS05-039')?.access, 'anonymous');
    assert.equal(catalogue.get('win-xp-sp1').vulnerabilities.find((vulnerability) => vulnerability.id === 'MS05-039')?.access, 'authenticated');
    assertLacks('win-xp-sp2', 'MS05-039');
  });

  it('MS06-040: XP up to SP2, 2003 up to SP1', () => {
    assertHas('win-xp-sp2', 'MS06-040');
    assertLacks('win-xp-sp3', 'MS06-040');
    assertHas('win-2003-sp1', 'MS06-040');
    assertLacks('win-2003-sp2', 'MS06-040');
  });

  it('MS08-067: every XP and 2003, Vista/2008 before SP2 (authenticated), never Windows 7 or 2008 R2', () => {
    assertHas('win-xp-sp3', 'MS08-067');
    assertHas('win-2003-sp2', 'MS08-067');
    assertHas('win-vista-sp1', 'MS08-067');
    assertLacks('win-vista-sp2', 'MS08-067');
    assertLacks('win-2008-sp2', 'MS08-067');
    assertLacks('win-7-sp1-x64', 'MS08-067');
    assertLacks('win-2008r2-sp0', 'MS08-067');
  });

  it('MS09-050: Vista SP0-SP2 and Server 2008 SP1-SP2 only; not Windows 7 RTM, not 2008 R2, not XP', () => {
    for (const id of ['win-vista-sp0', 'win-vista-sp1', 'win-vista-sp2', 'win-2008-sp1', 'win-2008-sp2', 'win-2008-dc']) assertHas(id, 'MS09-050');
    for (const id of ['win-7-sp0-x86', 'win-7-sp0-x64', 'win-2008r2-sp0', 'win-xp-sp3', 'win-2003-sp2']) assertLacks(id, 'MS09-050');
  });

  it('MS10-061 needs a shared printer', () => {
    assertHas('win-xp-sp3-printshare', 'MS10-061');
    assertLacks('win-xp-sp3', 'MS10-061');
  });

  it('MS17-010: XP through 7/2008 R2 unless the update is installed', () => {
    for (const id of ['win-xp-sp3', 'win-2003-sp2', 'win-vista-sp2', 'win-2008-sp2', 'win-7-sp1-x64', 'win-7-sp1-x86', 'win-2008r2-sp1']) assertHas(id, 'MS17-010');
    assertLacks('win-7-sp1-x64-ms17-010', 'MS17-010');
    assertLacks('win-xp-sp3-ms17-010', 'MS17-010');
    assert.deepEqual(catalogue.get('win-7-sp1-x64-ms17-010').hotfixes, ['MS17-010']);
  });

  it('CVE-2020-1472 (Zerologon): 2008 and 2008 R2 domain controllers only', () => {
    assertHas('win-2008-dc', 'CVE-2020-1472');
    assertHas('win-2008r2-sp1-dc', 'CVE-2020-1472');
    assertLacks('win-2008-sp2', 'CVE-2020-1472');
    assertLacks('win-2008r2-sp1', 'CVE-2020-1472');
    assertLacks('win-2003-sp2-dc', 'CVE-2020-1472');
    assert.ok(catalogue.get('win-2008-dc').roles.includes('domain-controller'));
  });

  it('MS01-033 (June 2001): IIS 4.0 on NT4 and IIS 5.0 on 2000 before SP3; not without IIS', () => {
    assertHas('win-nt4-sp6a-iis4', 'MS01-033');
    assertHas('win-2000-sp2-iis5', 'MS01-033');
    assertLacks('win-2000-sp4-iis5', 'MS01-033');
    assertLacks('win-2000-sp2', 'MS01-033');
  });

  it('MS02-039 (Slammer): SQL Server 2000 and MSDE 2000 before SP3, on UDP 1434', () => {
    assertHas('win-2000-sp4-sql2000-sp2', 'MS02-039');
    assertHas('win-2000-sp4-msde2000-sp2', 'MS02-039');
    assertHas('win-xp-sp1-msde2000-sp2', 'MS02-039');
    assertLacks('win-2000-sp4-sql2000-sp3', 'MS02-039');
    const slammer = catalogue.get('win-2000-sp4-msde2000-sp2').vulnerabilities.find((vulnerability) => vulnerability.id === 'MS02-039')!;
    assert.deepEqual(slammer.reachedOn, [{ proto: 'udp', port: 1434, service: 'ms-sql-m' }]);
  });

  it('Windows 7 exists in x86 and x64 at SP0 and SP1; 2008 R2 is x64 only', () => {
    for (const id of ['win-7-sp0-x86', 'win-7-sp0-x64', 'win-7-sp1-x86', 'win-7-sp1-x64']) assert.equal(catalogue.get(id).arch, id.endsWith('x64') ? 'x64' : 'x86');
    for (const profile of catalogue.list().filter((candidate) => candidate.os.product === 'windows-2008r2')) assert.equal(profile.arch, 'x64');
  });
});

describe('Unix-like stacks against the advisories', () => {
  it('Log4j 2.14.1 has CVE-2021-44228 on its HTTP port; 2.17.1 does not', () => {
    assertHas('linux-tomcat-log4j-2.14', 'CVE-2021-44228');
    assertHas('linux-java-log4j-2.14', 'CVE-2021-44228');
    assertLacks('linux-tomcat-log4j-2.17', 'CVE-2021-44228');
    const log4shell = catalogue.get('linux-tomcat-log4j-2.14').vulnerabilities[0]!;
    assert.deepEqual(log4shell.reachedOn, [{ proto: 'tcp', port: 8080, service: 'http' }]);
  });

  it('OpenSSL 1.0.1f has Heartbleed on 443, 1.0.1g does not', () => {
    assertHas('linux-openssl-1.0.1f', 'CVE-2014-0160');
    assertLacks('linux-openssl-1.0.1g', 'CVE-2014-0160');
  });

  it('bash CGI has Shellshock; FreeBSD telnetd CVE-2011-4862; the DVR its command-injection class; Samba 3.0.20 CVE-2007-2447', () => {
    assertHas('linux-apache-bash-cgi', 'CVE-2014-6271');
    assertHas('freebsd-telnetd', 'CVE-2011-4862');
    assertHas('busybox-dvr', 'DVR-WEB-CMDI');
    assertHas('linux-samba-3.x', 'CVE-2007-2447', 'CVE-2012-1182');
    assertLacks('linux-samba-3.x', 'CVE-2017-7494');
  });

  it('the Apache/2.2.4 (Win32) host of the Tivoli capture is expressible and has no HTTP vulnerability', () => {
    const apache = catalogue.get('win-2003-sp2-apache-2.2');
    assert.deepEqual(apache.fingerprint.httpServerHeaders, ['Apache/2.2.4 (Win32) PHP/5.2.1']);
    for (const vulnerability of apache.vulnerabilities) assert.ok(!vulnerability.reachedOn.some((reached) => reached.port === 80), vulnerability.id);
  });
});

describe('filters', () => {
  it('by vulnerability, by bulletin id or CVE', () => {
    const byBulletin = catalogue.filter({ vulnerability: 'MS17-010' }).map((profile: Profile) => profile.id);
    const byCve = catalogue.filter({ vulnerability: 'cve-2017-0144' }).map((profile: Profile) => profile.id);
    assert.deepEqual(byCve, byBulletin);
    assert.ok(byBulletin.includes('win-7-sp1-x64') && !byBulletin.includes('win-7-sp1-x64-ms17-010'));
  });

  it('an unknown vulnerability id is an invalid argument', () => {
    assert.throws(() => catalogue.filter({ vulnerability: 'MS99-999' }), (error) => isCrashtestError(error, 'CT_ERR_INVALID_ARGUMENT'));
  });

  it('by service, including the dynamic RPC range', () => {
    const sql = catalogue.filter({ service: { proto: 'udp', port: 1434 } }).map((profile) => profile.id);
    assert.ok(sql.length >= 4 && sql.every((id) => /sql|msde/.test(id)), sql.join(', '));
    const netlogonPort = catalogue.filter({ service: { proto: 'tcp', port: 49668 }, vulnerability: 'CVE-2020-1472' }).map((profile) => profile.id);
    assert.deepEqual(netlogonPort, ['win-2008-dc', 'win-2008r2-sp1-dc']);
    const dcom1025 = catalogue.filter({ service: { proto: 'tcp', port: 1025 }, vulnerability: 'MS03-026' }).map((profile) => profile.id);
    assert.ok(dcom1025.includes('win-2000-sp4') && dcom1025.includes('win-xp-sp1') && !dcom1025.includes('win-xp-sp2'));
  });
});
