/** Narrowing the catalogue by what the sensor saw of a host, and the helpers behind it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCrashtestError } from '../../src/core/index.ts';
import {
  bannerMatches,
  compareVersions,
  defaultCatalogue,
  initialTtlClass,
  parseServiceKey,
  serverHeaderConsistent,
  versionBetween,
} from '../../src/sandbox/index.ts';

const catalogue = defaultCatalogue();
const ids = (facts: Parameters<typeof catalogue.narrow>[0]) => catalogue.narrow(facts).map((profile) => profile.id);

describe('narrowing by observed facts', () => {
  it('nothing known: every profile; only a service known: every profile exposing it', () => {
    assert.equal(catalogue.narrow({}).length, catalogue.size);
    assert.deepEqual(ids({ service: { proto: 'tcp', port: 445 } }), catalogue.exposing({ proto: 'tcp', port: 445 }).map((profile) => profile.id));
  });

  it('TTL 128 and SMB: Windows only (Samba answers with TTL 64)', () => {
    const found = catalogue.narrow({ service: { proto: 'tcp', port: 445 }, ttl: 121, smbDialects: ['NT LM 0.12'] });
    assert.ok(found.length > 20);
    assert.ok(found.every((profile) => profile.os.kind === 'windows'));
    const samba = ids({ service: { proto: 'tcp', port: 445 }, ttl: 61, smbDialects: ['NT LM 0.12'] });
    assert.deepEqual(samba, ['linux-samba-3.x', 'linux-samba-3.6']);
  });

  it('an SMB2 dialect narrows Windows to Vista and later; 2.1 to 7 and 2008 R2', () => {
    const smb2 = catalogue.narrow({ ttl: 128, smbDialects: ['2.0.2'] });
    assert.ok(smb2.every((profile) => ['windows-vista', 'windows-2008', 'windows-7', 'windows-2008r2'].includes(profile.os.product)));
    const smb21 = catalogue.narrow({ smbDialects: ['2.1'] });
    assert.ok(smb21.length > 0 && smb21.every((profile) => ['windows-7', 'windows-2008r2'].includes(profile.os.product)));
  });

  it('Server: Apache gives the Apache profiles; a full header picks the one host', () => {
    const apache = catalogue.narrow({ httpServer: 'Apache' });
    assert.ok(apache.length >= 3);
    assert.ok(apache.every((profile) => profile.fingerprint.httpServerHeaders.some((header) => header.startsWith('Apache/'))));
    assert.ok(!apache.some((profile) => profile.id === 'linux-tomcat-log4j-2.14'), 'Apache-Coyote is not Apache httpd');
    assert.deepEqual(ids({ httpServer: 'Apache/2.2.4 (Win32) PHP/5.2.1', ttl: 128 }), ['win-2003-sp2-apache-2.2']);
    assert.deepEqual(ids({ httpServer: 'Microsoft-IIS/5.0' }), ['win-2000-sp2-iis5', 'win-2000-sp4-iis5']);
  });

  it('TCP window and banners', () => {
    assert.ok(catalogue.narrow({ tcpWindow: 8192 }).every((profile) => profile.fingerprint.initialTtl === 128));
    assert.deepEqual(ids({ banners: [{ proto: 'tcp', port: 21, text: '220 web01 Microsoft FTP Service (Version 5.0).\r\n' }] }), ['win-2000-sp2-iis5', 'win-2000-sp4-iis5']);
    assert.deepEqual(ids({ banners: [{ proto: 'tcp', port: 23, text: '\r\n\r\nFreeBSD/i386 (gate.example) (pts/1)\r\n\r\nlogin: ' }] }), ['freebsd-telnetd']);
    assert.deepEqual(ids({ banners: [{ proto: 'tcp', port: 23, text: 'dvr login: ' }] }), ['busybox-dvr']);
  });

  it('contradictory facts leave nothing', () => {
    assert.deepEqual(ids({ ttl: 64, httpServer: 'Microsoft-IIS/5.0' }), []);
  });
});

describe('helpers', () => {
  it('initial TTL classes', () => {
    assert.deepEqual([1, 64, 65, 128, 129, 255].map(initialTtlClass), [64, 64, 128, 128, 255, 255]);
  });

  it('service keys', () => {
    assert.deepEqual(parseServiceKey('TCP/445'), { proto: 'tcp', port: 445 });
    assert.deepEqual(parseServiceKey('udp/1434'), { proto: 'udp', port: 1434 });
    for (const bad of ['445', 'tcp/0', 'tcp/70000', 'icmp/1', 'tcp/']) {
      assert.throws(() => parseServiceKey(bad), (error) => isCrashtestError(error, 'CT_ERR_INVALID_ARGUMENT'), bad);
    }
  });

  it('Server header consistency', () => {
    assert.ok(serverHeaderConsistent('Apache', 'Apache/2.2.22 (Debian)'));
    assert.ok(serverHeaderConsistent('Apache/2.2', 'Apache/2.2.22 (Debian)'));
    assert.ok(!serverHeaderConsistent('Apache/2.4', 'Apache/2.2.22 (Debian)'));
    assert.ok(!serverHeaderConsistent('Apache (Win32)', 'Apache/2.2.22 (Debian)'));
    assert.ok(!serverHeaderConsistent('Apache', 'Apache-Coyote/1.1'));
  });

  it('banner templates', () => {
    assert.ok(bannerMatches('220 {hostname} Microsoft FTP Service (Version 5.0).', '220 HOST-1 Microsoft FTP Service (Version 5.0).'));
    assert.ok(!bannerMatches('220 {hostname} Microsoft FTP Service (Version 5.0).', '220 ProFTPD Server'));
  });

  it('versions as advisories write them', () => {
    assert.ok(compareVersions('1.0.1f', '1.0.1') > 0);
    assert.ok(compareVersions('1.0.1f', '1.0.1g') < 0);
    assert.ok(compareVersions('2.0-beta9', '2.0') < 0);
    assert.ok(compareVersions('2.0-beta9', '2.0-beta10') < 0);
    assert.ok(compareVersions('3.0.25rc3', '3.0.25') < 0);
    assert.ok(compareVersions('2.14.1', '2.15.0') < 0);
    assert.equal(compareVersions('8.00.760', '8.0.760'), 0);
    assert.ok(versionBetween('1.0.1', '1.0.1', '1.0.1f') && !versionBetween('1.0.0t', '1.0.1', '1.0.1f') && !versionBetween('1.0.2', '1.0.1', '1.0.1f'));
    assert.ok(versionBetween('2.0-rc1', '2.0-beta9', '2.14.1') && !versionBetween('2.0-beta8', '2.0-beta9', '2.14.1'));
  });
});
