/**
 * Hostile input: truncated and randomly mutated SMB1/SMB2 requests, fed in random pieces, never make
 * the service throw; they are answered or closed, and counted as anomalies. Failures print the seed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { smbService } from '../../../../src/emulator/services/smb/index.ts';
import { seededRandom } from '../../../helpers/random.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';
import { fakePipes, frameNetbios, le, negotiate, ntlmssp, sessionSetup, smb1Request, smb2Request } from './smb-test-client.ts';

const service = smbService({ pipes: fakePipes().opener });

/** a valid-looking conversation touching every SMB1 handler */
function smb1Conversation(): Uint8Array[] {
  const ids = { uid: 0x800, tid: 0x800 };
  const path = Buffer.from('\\\\h\\IPC$\0', 'utf16le');
  const name = Buffer.from('\\srvsvc\0', 'utf16le');
  const transWords = (command: number) =>
    command === 0xa0
      ? le([1, 1], [2, 0], [4, 0], [4, 0x20000], [4, 0], [4, 0], [4, 0], [4, 0], [4, 16], [4, 84], [1, 1], [2, 0], [2, 0])
      : le([2, 0], [2, 0x2000], [2, 0], [2, 0x400], [1, 0], [1, 0], [2, 0], [4, 0], [2, 0], [2, 0], [2, 0], [2, 16], [2, 68], [1, 1], [1, 0], [2, command === 0x32 ? 0 : 0x26]);
  return [
    negotiate(['NT LM 0.12', 'SMB 2.002']),
    sessionSetup(ntlmssp('negotiate')),
    sessionSetup(ntlmssp({ user: '', ntLength: 0 }), { uid: 0x800 }),
    smb1Request(0x75, le([1, 0xff], [1, 0], [2, 0], [2, 8], [2, 1]), Buffer.concat([Buffer.alloc(1), path, Buffer.from('?????\0')]), ids),
    smb1Request(0xa2, Buffer.concat([le([1, 0xff], [1, 0], [2, 0], [1, 0], [2, 14], [4, 0], [4, 0], [4, 0x2019f]), Buffer.alloc(8), le([4, 0], [4, 3], [4, 1], [4, 0], [4, 2], [1, 0])]), Buffer.concat([Buffer.alloc(1), name]), ids),
    smb1Request(0x2f, le([1, 0xff], [1, 0], [2, 0], [2, 0x4000], [4, 0], [4, 0], [2, 8], [2, 4], [2, 0], [2, 4], [2, 64], [4, 0]), Buffer.from('\0abcd'), ids),
    smb1Request(0x2e, le([1, 0xff], [1, 0], [2, 0], [2, 0x4000], [4, 0], [2, 100], [2, 0], [4, 0], [2, 0], [4, 0]), new Uint8Array(0), ids),
    smb1Request(0x25, transWords(0x25), Buffer.alloc(20, 1), ids),
    smb1Request(0x32, transWords(0x32), Buffer.alloc(20, 2), { ...ids, mid: 2 }),
    smb1Request(0x33, le([2, 0], [2, 0x2000], [2, 0], [2, 0], [2, 0], [2, 16], [2, 53], [2, 16], [2, 0]), Buffer.alloc(16, 3), { ...ids, mid: 2 }),
    smb1Request(0xa0, transWords(0xa0), Buffer.alloc(20, 4), { ...ids, mid: 3 }),
    smb1Request(0xa1, Buffer.concat([Buffer.alloc(3), le([4, 0], [4, 0x20000], [4, 0], [4, 0], [4, 0], [4, 16], [4, 70], [4, 16]), Buffer.alloc(1)]), Buffer.alloc(16, 5), { ...ids, mid: 3 }),
    smb1Request(0x2b, le([2, 1]), Buffer.from('echo'), ids),
    smb1Request(0x04, le([2, 0x4000], [4, 0]), new Uint8Array(0), ids),
    smb1Request(0x71, new Uint8Array(0), new Uint8Array(0), ids),
    smb1Request(0x74, le([1, 0xff], [1, 0], [2, 0]), new Uint8Array(0), ids),
  ];
}

function smb2Conversation(): Uint8Array[] {
  const negotiateBody = Buffer.concat([le([2, 36], [2, 2], [2, 1], [2, 0], [4, 0]), Buffer.alloc(24), le([2, 0x0202], [2, 0x0210])]);
  const blob = (message: Uint8Array) => Buffer.concat([le([2, 25], [1, 0], [1, 1], [4, 0], [4, 0], [2, 88], [2, message.length]), Buffer.alloc(8), message]);
  const path = Buffer.from('\\\\h\\IPC$', 'utf16le');
  const name = Buffer.from('srvsvc', 'utf16le');
  const fileId = Buffer.concat([le([4, 1], [4, 0], [4, 1], [4, 0])]);
  const ids = { sessionId: 0x0000040000000001n, treeId: 1 };
  return [
    smb2Request(0, negotiateBody),
    smb2Request(1, blob(ntlmssp('negotiate'))),
    smb2Request(1, blob(ntlmssp({ user: '', ntLength: 0 })), ids),
    smb2Request(3, Buffer.concat([le([2, 9], [2, 0], [2, 72], [2, path.length]), path]), ids),
    smb2Request(5, Buffer.concat([le([2, 57], [1, 0], [1, 0], [4, 2]), Buffer.alloc(16), le([4, 0x12019f], [4, 0], [4, 3], [4, 1], [4, 0], [2, 120], [2, name.length], [4, 0], [4, 0]), name]), ids),
    smb2Request(9, Buffer.concat([le([2, 49], [2, 112], [4, 4], [4, 0], [4, 0]), fileId, Buffer.alloc(16), Buffer.from('abcd')]), ids),
    smb2Request(8, Buffer.concat([le([2, 49], [1, 0], [1, 0], [4, 100], [4, 0], [4, 0]), fileId, Buffer.alloc(17)]), ids),
    smb2Request(11, Buffer.concat([le([2, 57], [2, 0], [4, 0x0011c017]), fileId, le([4, 120], [4, 4], [4, 0], [4, 0], [4, 0], [4, 100], [4, 1], [4, 0]), Buffer.from('wxyz')]), ids),
    smb2Request(6, Buffer.concat([le([2, 24], [2, 0], [4, 0]), fileId]), ids),
    smb2Request(13, le([2, 4], [2, 0])),
    smb2Request(4, le([2, 4], [2, 0]), ids),
    smb2Request(2, le([2, 4], [2, 0]), ids),
  ];
}

function play(profile: string, requests: Uint8Array[], random?: () => number): TestServiceHost {
  const host = new TestServiceHost(profile);
  const connection = service.open(host, { address: '10.0.0.9', port: 40000 }, 445);
  for (const request of requests) {
    if (!random) {
      connection.receive(request);
      continue;
    }
    // arbitrary TCP pieces
    let offset = 0;
    while (offset < request.length) {
      const size = 1 + Math.floor(random() * Math.min(64, request.length - offset));
      connection.receive(request.subarray(offset, offset + size));
      offset += size;
    }
  }
  connection.end();
  return host;
}

/** the NetBIOS length rewritten so a mutated message still arrives whole */
function reframe(request: Uint8Array, body: Uint8Array): Uint8Array {
  return request[0] === 0 ? frameNetbios(body) : request;
}

describe('SMB service under malformed input', () => {
  for (const [label, conversation] of [['SMB1', smb1Conversation()], ['SMB2', smb2Conversation()]] as const) {
    it(`${label}: the valid conversation plays without anomalies of its own making`, () => {
      const host = play('win-7-sp1-x64', conversation);
      assert.ok(!host.anomalies.includes('smb.internal_error'), host.anomalies.join(','));
    });

    it(`${label}: every truncation of every request is answered or closed, never thrown`, () => {
      let anomalies = 0;
      conversation.forEach((request, index) => {
        for (let cut = 4; cut < request.length; cut += Math.max(1, Math.floor(request.length / 40))) {
          const body = request.subarray(4, cut);
          const host = play('win-7-sp1-x64', [...conversation.slice(0, index), reframe(request, body)]);
          assert.ok(!host.anomalies.includes('smb.internal_error'), `request ${index} cut at ${cut}`);
          anomalies += host.anomalies.length;
        }
      });
      assert.ok(anomalies > 0, 'truncations are counted');
    });

    it(`${label}: seeded random mutations in random pieces never throw`, () => {
      for (let seed = 1; seed <= 150; seed++) {
        const random = seededRandom(seed);
        const mutated = conversation.map((request) => {
          const body = Buffer.from(request.subarray(4));
          const flips = 1 + Math.floor(random() * 6);
          for (let flip = 0; flip < flips; flip++) body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
          return frameNetbios(body);
        });
        for (const profile of ['win-7-sp1-x64', 'win-xp-sp3', 'linux-samba-3.x']) {
          const host = play(profile, mutated, random);
          assert.ok(!host.anomalies.includes('smb.internal_error'), `seed ${seed} on ${profile}`);
        }
      }
    });
  }

  it('garbage NetBIOS types and protocol ids close the connection with an anomaly', () => {
    for (const bytes of [Uint8Array.of(0x99, 0, 0, 0), frameNetbios(Buffer.from('GET / HTTP/1.0\r\n\r\n')), frameNetbios(Buffer.from('\xfcSMB\0\0\0\0', 'latin1'))]) {
      const host = new TestServiceHost('win-7-sp1-x64');
      const connection = service.open(host, { address: '10.0.0.9', port: 40000 }, 445);
      assert.equal(connection.receive(bytes).length, 0);
      assert.ok(connection.closed);
      assert.equal(host.anomalies.length, 1);
    }
  });
});
