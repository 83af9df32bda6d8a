import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDceRpcPipe } from '../../../../src/emulator/services/dcerpc/index.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { bindPdu, bindResults, INTERFACES, parsePdus, requestPdu, responseStub, stub } from './rpc-client.ts';

const PEER = { address: '192.0.2.7', port: 40000 };

function srvsvcPipe(host: TestServiceHost) {
  const pipe = openDceRpcPipe(host, 'srvsvc', PEER);
  assert.ok(pipe);
  const ack = parsePdus(pipe.transact(bindPdu([INTERFACES.srvsvc])));
  assert.equal(ack[0]!.type, 12);
  assert.deepEqual(bindResults(ack[0]!), [{ result: 0, reason: 0 }]);
  return pipe;
}

/** NetprPathCanonicalize(ServerName, PathName, OutbufLen, Prefix, PathType, Flags) */
function pathCanonicalize(path: string, prefix = '\\', outputBytes = 1000): Uint8Array {
  return stub((writer) => writer.uniqueWideString('SERVER').wideString(path).u32(outputBytes).wideString(prefix).u32(1).u32(0));
}

describe('srvsvc over \\PIPE\\srvsvc', () => {
  it('MS08-067: a path whose ".." walks above its start is exploited on XP SP1 and runs code', () => {
    const host = new TestServiceHost('win-xp-sp1');
    const pipe = srvsvcPipe(host);
    const shellcodeLike = 'A'.repeat(40);
    const answer = pipe.transact(requestPdu(31, pathCanonicalize(`\\x\\..\\..\\${shellcodeLike}`)));
    assert.equal(answer.length, 0, 'the hijacked call never returns');
    assert.equal(host.exploits.length, 1);
    assert.equal(host.exploits[0]!.vulnerability, 'MS08-067');
    assert.ok(host.exploits[0]!.vulnerable);
    assert.equal(host.codeRuns.length, 1);
    assert.equal(host.codeRuns[0]!.hints.placement, 'stack');
  });

  it('MS08-067 through NetprPathCompare, attempt only on a patched profile (2008 R2)', () => {
    const host = new TestServiceHost('win-2008r2-sp1');
    const pipe = srvsvcPipe(host);
    const request = stub((writer) => writer.uniqueWideString(undefined).wideString('\\a\\..\\..\\b').wideString('\\c').u32(1).u32(0));
    const pdus = parsePdus(pipe.transact(requestPdu(32, request)));
    assert.equal(pdus[0]!.type, 2);
    assert.deepEqual(host.exploits.map((report) => [report.vulnerability, report.vulnerable]), [['MS08-067', false]]);
    assert.deepEqual(host.codeRuns, []);
  });

  it('MS06-040: prefix and path longer than MAX_PATH on Windows 2000', () => {
    const host = new TestServiceHost('win-2000-sp4');
    const pipe = srvsvcPipe(host);
    pipe.transact(requestPdu(31, pathCanonicalize('B'.repeat(600))));
    assert.deepEqual(host.exploits.map((report) => report.vulnerability), ['MS06-040']);
    assert.equal(host.codeRuns.length, 1);
  });

  it('honest paths canonicalise without a report', () => {
    const host = new TestServiceHost('win-xp-sp1');
    const pipe = srvsvcPipe(host);
    const pdus = parsePdus(pipe.transact(requestPdu(31, pathCanonicalize('\\share\\dir\\..\\file.txt'))));
    const answer = responseStub(pdus);
    const count = answer.readUInt32LE(0);
    const canonical = answer.subarray(4, 4 + count).toString('utf16le').replace(/\0.*$/s, '');
    assert.equal(canonical, '\\share\\file.txt');
    assert.equal(answer.readUInt32LE(answer.length - 4), 0);
    assert.deepEqual(host.exploits, []);
  });

  it('NetrShareEnum level 1 lists IPC$ and no exploit', () => {
    const host = new TestServiceHost('win-2008r2-sp1');
    const pipe = srvsvcPipe(host);
    const request = stub((writer) => writer.uniqueWideString('\\\\10.0.0.2').u32(1).u32(1).referent().u32(0).u32(0).u32(0xffffffff).referent().u32(0));
    const answer = responseStub(parsePdus(pipe.transact(requestPdu(15, request))));
    assert.ok(answer.toString('utf16le').includes('IPC$'));
    assert.equal(answer.readUInt32LE(answer.length - 4), 0);
    assert.deepEqual(host.exploits, []);
  });

  it('NetrServerGetInfo level 101 names the host', () => {
    const host = new TestServiceHost('win-2000-sp4');
    const pipe = srvsvcPipe(host);
    const answer = responseStub(parsePdus(pipe.transact(requestPdu(21, stub((writer) => writer.uniqueWideString('\\\\X').u32(101))))));
    assert.equal(answer.readUInt32LE(0), 101);
    assert.ok(answer.toString('utf16le').includes(host.hostname));
  });

  it('unknown opnum faults with nca_s_op_rng_error', () => {
    const host = new TestServiceHost('win-xp-sp1');
    const pipe = srvsvcPipe(host);
    const pdus = parsePdus(pipe.transact(requestPdu(200, new Uint8Array(8))));
    assert.equal(pdus[0]!.type, 3);
    assert.equal(pdus[0]!.body.readUInt32LE(8), 0x1c010002);
  });
});
