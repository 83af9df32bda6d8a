import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dceRpcService, openDceRpcPipe } from '../../../../src/emulator/services/dcerpc/index.ts';
import { seededRandom } from '../../../helpers/random.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { bindPdu, bindResults, eptMapStub, faultStatus, fragmentedRequest, INTERFACES, parsePdus, requestPdu, responseStub, stub } from './rpc-client.ts';

const PEER = { address: '192.0.2.7', port: 40000 };

describe('DCE/RPC connection handling', () => {
  it('binds epmapper on 135 and answers ept_map for netlogon with the dynamic port on a DC', () => {
    const host = new TestServiceHost('win-2008r2-sp1-dc');
    const connection = dceRpcService().open(host, PEER, 135);
    const ack = parsePdus(connection.receive(bindPdu([INTERFACES.epmapper, INTERFACES.srvsvc])));
    assert.equal(ack[0]!.type, 12);
    assert.deepEqual(bindResults(ack[0]!), [{ result: 0, reason: 0 }, { result: 2, reason: 1 }]);
    const answer = responseStub(parsePdus(connection.receive(requestPdu(3, eptMapStub(INTERFACES.netlogon.uuid, 1)))));
    assert.equal(answer.readUInt32LE(20), 1, 'one tower');
    const portIndex = answer.indexOf(Buffer.from([1, 0, 0x07, 2, 0]));
    assert.ok(portIndex > 0);
    assert.equal(answer.readUInt16BE(portIndex + 5), 49152);
    assert.equal(answer.readUInt32LE(answer.length - 4), 0);
    assert.deepEqual(host.exploits, []);
  });

  it('ept_map for netlogon on a member server: not registered', () => {
    const host = new TestServiceHost('win-2008r2-sp1');
    const connection = dceRpcService().open(host, PEER, 135);
    connection.receive(bindPdu([INTERFACES.epmapper]));
    const answer = responseStub(parsePdus(connection.receive(requestPdu(3, eptMapStub(INTERFACES.netlogon.uuid, 1)))));
    assert.equal(answer.readUInt32LE(answer.length - 4), 0x16c9a0d6);
  });

  it('buffers partial PDUs fed a byte at a time', () => {
    const host = new TestServiceHost('win-xp-sp1');
    const connection = dceRpcService().open(host, PEER, 135);
    const bytes = Buffer.concat([bindPdu([INTERFACES.epmapper]), requestPdu(3, eptMapStub(INTERFACES.remoteActivation.uuid, 0))]);
    const answers: Uint8Array[] = [];
    for (const byte of bytes) answers.push(connection.receive(Uint8Array.of(byte)));
    const pdus = parsePdus(Buffer.concat(answers));
    assert.deepEqual(pdus.map((pdu) => pdu.type), [12, 2]);
  });

  it('accepts big-endian clients', () => {
    const host = new TestServiceHost('win-xp-sp1');
    const pipe = openDceRpcPipe(host, 'srvsvc', PEER)!;
    const ack = parsePdus(pipe.transact(bindPdu([INTERFACES.srvsvc], { littleEndian: false })));
    assert.deepEqual(bindResults(ack[0]!), [{ result: 0, reason: 0 }]);
    // NetrServerGetInfo(ServerName = null, Level = 100), marshalled big-endian
    const request = Buffer.from([0, 0, 0, 0, 0, 0, 0, 100]);
    const answer = responseStub(parsePdus(pipe.transact(requestPdu(21, request, { littleEndian: false }))));
    assert.equal(answer.readUInt32LE(0), 100);
  });

  it('reassembles fragmented requests and fragments long responses', () => {
    const host = new TestServiceHost('win-xp-sp1');
    const pipe = openDceRpcPipe(host, 'srvsvc', PEER)!;
    pipe.transact(bindPdu([INTERFACES.srvsvc]));
    const path = '\\x\\..\\..\\' + 'C'.repeat(300);
    const request = stub((writer) => writer.uniqueWideString('S').wideString(path).u32(1000).wideString('\\').u32(1).u32(0));
    assert.equal(pipe.transact(fragmentedRequest(31, request, 64)).length, 0);
    assert.deepEqual(host.exploits.map((report) => report.vulnerability), ['MS08-067']);
    // NetprNameCanonicalize with a 40,000-byte output buffer answers in several fragments
    const nameRequest = stub((writer) => writer.uniqueWideString('S').wideString('name').u32(40000).u32(0).u32(0));
    const pdus = parsePdus(pipe.transact(requestPdu(34, nameRequest, { callId: 9 })));
    assert.ok(pdus.length > 1);
    assert.equal(pdus[0]!.flags & 3, 1);
    assert.equal(pdus.at(-1)!.flags & 3, 2);
    assert.ok(pdus.every((pdu) => pdu.body.length + 16 <= 4280));
  });

  it('bounds reassembly', () => {
    const host = new TestServiceHost('win-xp-sp1');
    const pipe = openDceRpcPipe(host, 'srvsvc', PEER)!;
    pipe.transact(bindPdu([INTERFACES.srvsvc]));
    const piece = new Uint8Array(60000);
    let answer: Uint8Array = new Uint8Array(0);
    for (let index = 0; index < 80 && answer.length === 0; index++) {
      answer = pipe.transact(requestPdu(31, piece, { callId: 5, flags: index === 0 ? 1 : 0 }));
    }
    const pdus = parsePdus(answer);
    assert.equal(pdus[0]!.type, 3);
    assert.ok(host.anomalies.includes('dcerpc.request_too_large'));
  });

  it('NTLMSSP bind: answers a challenge; a credentialed AUTH3 is not verified', () => {
    const host = new TestServiceHost('win-xp-sp1');
    const pipe = openDceRpcPipe(host, 'srvsvc', PEER)!;
    const negotiate = Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), Buffer.from([1, 0, 0, 0, 0x97, 0x82, 0x08, 0xe2]), Buffer.alloc(16)]);
    const ack = parsePdus(pipe.transact(bindPdu([INTERFACES.srvsvc], { auth: negotiate })));
    assert.equal(ack[0]!.type, 12);
    assert.ok(ack[0]!.body.includes(Buffer.from('NTLMSSP\0', 'latin1')));
    assert.deepEqual(host.anomalies, []);
  });

  it('unsupported transfer syntax and unknown interfaces are provider rejections; bad versions close', () => {
    const host = new TestServiceHost('win-xp-sp1');
    const pipe = openDceRpcPipe(host, 'srvsvc', PEER)!;
    const ack = parsePdus(pipe.transact(bindPdu([INTERFACES.srvsvc], { transfer: '71710533-beba-4937-8319-b5dbef9ccc36' })));
    assert.deepEqual(bindResults(ack[0]!), [{ result: 2, reason: 2 }]);
    const fault = parsePdus(pipe.transact(requestPdu(15, new Uint8Array(4))));
    assert.equal(fault[0]!.type, 3);
    assert.equal(faultStatus(fault[0]!), 0x1c010003);
    const connection = dceRpcService().open(host, PEER, 135);
    const bad = bindPdu([INTERFACES.epmapper]);
    bad[0] = 4;
    assert.equal(connection.receive(bad).length, 0);
    assert.ok(connection.closed);
    assert.ok(host.anomalies.includes('dcerpc.version_unsupported'));
  });

  it('nothing listens on unknown pipes or on non-Windows profiles', () => {
    assert.equal(openDceRpcPipe(new TestServiceHost('win-xp-sp1'), 'nosuchpipe', PEER), null);
    assert.equal(openDceRpcPipe(new TestServiceHost('linux-apache-bash-cgi'), 'srvsvc', PEER), null);
  });

  it('never throws on truncated and mutated PDUs (seeded)', () => {
    const seed = 0x5eed_0001;
    const random = seededRandom(seed);
    const host = new TestServiceHost('win-xp-sp1');
    const samples = [
      bindPdu([INTERFACES.epmapper, INTERFACES.remoteActivation, INTERFACES.systemActivator]),
      requestPdu(3, eptMapStub(INTERFACES.netlogon.uuid, 1)),
      requestPdu(4, new Uint8Array(200)),
      requestPdu(0, new Uint8Array(120)),
      requestPdu(31, stub((writer) => writer.uniqueWideString('S').wideString('\\a\\b').u32(100).wideString('\\').u32(1).u32(0))),
    ];
    for (let round = 0; round < 3000; round++) {
      const base = samples[Math.floor(random() * samples.length)]!;
      const mutated = Buffer.from(base.subarray(0, 1 + Math.floor(random() * base.length)));
      const flips = Math.floor(random() * 6);
      for (let flip = 0; flip < flips; flip++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      const port = random() < 0.5 ? 135 : 1025;
      const connection = dceRpcService().open(host, PEER, port);
      const pipe = openDceRpcPipe(host, random() < 0.5 ? 'srvsvc' : 'lsarpc', PEER);
      assert.doesNotThrow(() => {
        connection.receive(bindPdu([INTERFACES.epmapper, INTERFACES.systemActivator, INTERFACES.remoteActivation]));
        const answer = connection.receive(mutated);
        if (answer.length > 0) parsePdus(answer);
        pipe?.transact(bindPdu([INTERFACES.srvsvc, INTERFACES.netlogon, INTERFACES.dssetup]));
        pipe?.transact(mutated);
      }, `seed ${seed} round ${round}`);
    }
    assert.ok(host.anomalies.length > 0);
    assert.ok(host.anomalies.every((name) => /^dcerpc\.[a-z0-9_]+$/.test(name)));
    assert.ok(!host.anomalies.some((name) => name.endsWith('_handler_failed')), 'no handler bug');
  });

  it('every interface survives random opnums and stubs (seeded)', () => {
    const seed = 0x5eed_0002;
    const random = seededRandom(seed);
    const pipes: [string, keyof typeof INTERFACES][] = [
      ['srvsvc', 'srvsvc'], ['lsarpc', 'dssetup'], ['lsarpc', 'lsarpc'], ['samr', 'samr'], ['netlogon', 'netlogon'],
      ['browser', 'pnp'], ['svcctl', 'svcctl'], ['spoolss', 'spoolss'], ['epmapper', 'epmapper'], ['epmapper', 'systemActivator'], ['epmapper', 'remoteActivation'],
    ];
    for (const profile of ['win-2000-sp4', 'win-xp-sp3-printshare', 'win-2008r2-sp1-dc', 'linux-samba-3.x']) {
      const host = new TestServiceHost(profile);
      for (let round = 0; round < 400; round++) {
        const [pipeName, name] = pipes[Math.floor(random() * pipes.length)]!;
        const pipe = openDceRpcPipe(host, pipeName, PEER);
        if (!pipe) continue;
        const body = new Uint8Array(Math.floor(random() * 300));
        for (let index = 0; index < body.length; index++) body[index] = random() < 0.5 ? 0 : Math.floor(random() * 256);
        assert.doesNotThrow(() => {
          pipe.transact(bindPdu([INTERFACES[name]]));
          const answer = pipe.transact(requestPdu(Math.floor(random() * 80), body));
          if (answer.length > 0) parsePdus(answer);
        }, `seed ${seed} profile ${profile} round ${round}`);
      }
      assert.ok(!host.anomalies.some((anomaly) => anomaly.endsWith('_handler_failed')), `${profile}: no handler bug`);
    }
  });
});
