/** SMB2 over the emulated service: dialects per profile, null-session logon, IPC$, pipes through IOCTL, compounds. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { smbService } from '../../../../src/emulator/services/smb/index.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { fakePipes, le, ntlmssp, smb2Request, splitResponses, statusOf, type SmbMessage } from './smb-test-client.ts';

function open(profile: string) {
  const host = new TestServiceHost(profile);
  const pipes = fakePipes();
  const connection = smbService({ pipes: pipes.opener }).open(host, { address: '10.0.0.9', port: 50001 }, 445);
  return { host, pipes, connection, send: (bytes: Uint8Array): SmbMessage[] => splitResponses(connection.receive(bytes)) };
}

const view = (message: SmbMessage) => new DataView(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);

function negotiateRequest(dialects: number[]): Uint8Array {
  return smb2Request(0, Buffer.concat([le([2, 36], [2, dialects.length], [2, 1], [2, 0], [4, 0]), Buffer.alloc(16), Buffer.alloc(8), ...dialects.map((dialect) => le([2, dialect]))]));
}

function sessionSetupRequest(blob: Uint8Array, sessionId = 0n): Uint8Array {
  return smb2Request(1, Buffer.concat([le([2, 25], [1, 0], [1, 1], [4, 0], [4, 0], [2, 64 + 24], [2, blob.length]), Buffer.alloc(8), blob]), { sessionId });
}

describe('SMB2 service', () => {
  it('negotiates the highest dialect the profile shares, and refuses a 3.1.1-only client', () => {
    const [seven] = open('win-7-sp1-x64').send(negotiateRequest([0x0202, 0x0210, 0x0300, 0x0311]));
    assert.equal(statusOf(seven), 0);
    assert.equal(view(seven).getUint16(64 + 4, true), 0x0210);
    const [vista] = open('win-2008-sp2').send(negotiateRequest([0x0202, 0x0210]));
    assert.equal(view(vista).getUint16(64 + 4, true), 0x0202);
    const [none] = open('win-7-sp1-x64').send(negotiateRequest([0x0311]));
    assert.equal(statusOf(none), 0xc00000bb);
    const xp = open('win-xp-sp3');
    assert.equal(xp.send(negotiateRequest([0x0202])).length, 0);
    assert.ok(xp.connection.closed && xp.host.anomalies.includes('smb.smb2_not_spoken'));
  });

  it('a null session reaches a pipe on IPC$ and FSCTL_PIPE_TRANSCEIVE goes through the PipeOpener; credentials are refused', () => {
    const { send, pipes } = open('win-2008r2-sp1');
    send(negotiateRequest([0x0202, 0x0210]));
    const [challenge] = send(sessionSetupRequest(ntlmssp('negotiate')));
    assert.equal(statusOf(challenge), 0xc0000016);
    const sessionId = view(challenge).getBigUint64(40, true);
    const [done] = send(sessionSetupRequest(ntlmssp({ user: '', ntLength: 0 }), sessionId));
    assert.equal(statusOf(done), 0);
    assert.equal(view(done).getUint16(66, true), 0x0002, 'SESSION_FLAG_IS_NULL');
    const path = Buffer.from('\\\\10.0.0.2\\IPC$', 'utf16le');
    const [tree] = send(smb2Request(3, Buffer.concat([le([2, 9], [2, 0], [2, 64 + 8], [2, path.length]), path]), { sessionId }));
    assert.equal(statusOf(tree), 0);
    const treeId = view(tree).getUint32(36, true);
    const name = Buffer.from('lsarpc', 'utf16le');
    const createBody = Buffer.concat([le([2, 57], [1, 0], [1, 0], [4, 2]), Buffer.alloc(16), le([4, 0x12019f], [4, 0], [4, 3], [4, 1], [4, 0], [2, 64 + 56], [2, name.length], [4, 0], [4, 0]), name]);
    const [created] = send(smb2Request(5, createBody, { sessionId, treeId }));
    assert.equal(statusOf(created), 0);
    assert.deepEqual(pipes.opened, ['lsarpc']);
    const fileId = created.bytes.subarray(64 + 64, 64 + 80);
    const input = Buffer.from('dcerpc-request');
    const ioctlBody = Buffer.concat([le([2, 57], [2, 0], [4, 0x0011c017]), fileId, le([4, 64 + 56], [4, input.length], [4, 0], [4, 0], [4, 0], [4, 4280], [4, 1], [4, 0]), input]);
    const [answered] = send(smb2Request(11, ioctlBody, { sessionId, treeId }));
    assert.equal(statusOf(answered), 0);
    assert.equal(view(answered).getUint32(64 + 36, true), 16, 'OutputCount');
    assert.equal(Buffer.from(pipes.written[0]).toString(), 'dcerpc-request');

    const other = open('win-2008r2-sp1');
    other.send(negotiateRequest([0x0202]));
    const [otherChallenge] = other.send(sessionSetupRequest(ntlmssp('negotiate')));
    const [refused] = other.send(sessionSetupRequest(ntlmssp({ user: 'admin', ntLength: 24 }), view(otherChallenge).getBigUint64(40, true)));
    assert.equal(statusOf(refused), 0xc000006d);
  });

  it('answers every request of a compound, each aligned and chained', () => {
    const { send } = open('win-7-sp1-x64');
    send(negotiateRequest([0x0210]));
    const echo = Buffer.from(smb2Request(13, le([2, 4], [2, 0]))).subarray(4);
    const first = Buffer.concat([echo, Buffer.alloc(4)]);
    first.writeUInt32LE(first.length, 20);
    const compound = Buffer.concat([first, echo]);
    const framed = Buffer.concat([le([1, 0], [1, 0], [2, 0]), compound]);
    framed.writeUInt32BE(compound.length, 0);
    const [reply] = send(framed);
    const next = view(reply).getUint32(20, true);
    assert.ok(next > 0 && next % 8 === 0);
    assert.equal(reply.bytes[next], 0xfe);
    assert.equal(view(reply).getUint16(next + 12, true), 13);
  });
});
