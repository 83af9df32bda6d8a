import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BLOCK_BYTES, tftpService } from '../../../../src/emulator/services/tftp/tftp-service.ts';
import { skipWithoutCorpus } from '../../../helpers/corpus.ts';
import { clientTurns, corpusSessions } from '../../../helpers/corpus-sessions.ts';
import { seededRandom } from '../../../helpers/random.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';

const PROFILE = 'busybox-dvr';
const peer = { address: '192.0.2.69', port: 50_000 };
const service = tftpService();

function send(host: TestServiceHost, bytes: Uint8Array, from = peer): Buffer[] {
  return service.receive(host, from, 69, bytes).map((packet) => Buffer.from(packet));
}

function requestPacket(opcode: number, path: string, mode: string): Buffer {
  return Buffer.concat([Buffer.from([0, opcode]), Buffer.from(`${path}\0${mode}\0`, 'latin1')]);
}

function dataPacket(block: number, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0, 3, block >> 8, block & 0xff]), payload]);
}

describe('TFTP service', () => {
  it('a read of a file nobody wrote gets ERROR 1 (file not found)', () => {
    const host = new TestServiceHost(PROFILE);
    const [answer] = send(host, requestPacket(1, 'boot.img', 'octet'));
    assert.equal(answer?.readUInt16BE(0), 5);
    assert.equal(answer!.readUInt16BE(2), 1);
    assert.deepEqual(host.anomalies, []);
  });

  it('a write is acknowledged block by block, kept in the host state and can be read back', () => {
    const host = new TestServiceHost(PROFILE);
    const file = Buffer.alloc(BLOCK_BYTES + 100, 0x61);
    assert.deepEqual(send(host, requestPacket(2, 'msblast.exe', 'OCTET')), [Buffer.from([0, 4, 0, 0])]);
    assert.deepEqual(send(host, dataPacket(1, file.subarray(0, BLOCK_BYTES))), [Buffer.from([0, 4, 0, 1])]);
    assert.deepEqual(send(host, dataPacket(1, file.subarray(0, BLOCK_BYTES))), [Buffer.from([0, 4, 0, 1])], 'a retransmission is acknowledged again');
    assert.equal(host.state.files.has('msblast.exe'), false, 'not complete yet');
    assert.deepEqual(send(host, dataPacket(2, file.subarray(BLOCK_BYTES))), [Buffer.from([0, 4, 0, 2])]);
    assert.deepEqual(Buffer.from(host.state.files.get('msblast.exe')!), file);
    const reader = { address: '192.0.2.70', port: 1_069 };
    const [first] = send(host, requestPacket(1, 'msblast.exe', 'octet'), reader);
    assert.deepEqual(first, dataPacket(1, file.subarray(0, BLOCK_BYTES)));
    assert.deepEqual(send(host, Buffer.from([0, 4, 0, 1]), reader), [dataPacket(2, file.subarray(BLOCK_BYTES))]);
    assert.deepEqual(send(host, Buffer.from([0, 4, 0, 2]), reader), []);
    assert.deepEqual(host.exploits, []);
  });

  it('malformed packets get ERROR and are counted', () => {
    const host = new TestServiceHost(PROFILE);
    const cases: [Uint8Array, string][] = [
      [Uint8Array.of(0), 'tftp.packet_truncated'],
      [Uint8Array.of(0, 9), 'tftp.opcode_unknown'],
      [Buffer.from('\0\x01file\0octet', 'latin1'), 'tftp.request_malformed'],
      [requestPacket(1, 'f', 'binary'), 'tftp.mode_unknown'],
      [requestPacket(1, 'x'.repeat(300), 'octet'), 'tftp.filename_too_long'],
      [dataPacket(7, Buffer.from('x')), 'tftp.data_without_transfer'],
    ];
    for (const [packet, anomaly] of cases) {
      const [answer] = send(host, packet);
      assert.equal(answer?.readUInt16BE(0), 5, anomaly);
      assert.ok(host.anomalies.includes(anomaly), anomaly);
    }
  });

  it('mutated packets never throw', () => {
    const host = new TestServiceHost(PROFILE);
    const random = seededRandom(69);
    const seeds = [requestPacket(1, 'a.txt', 'netascii'), requestPacket(2, 'b.bin', 'octet'), dataPacket(1, Buffer.alloc(512, 1)), Buffer.from([0, 4, 0, 1])];
    for (let round = 0; round < 3_000; round += 1) {
      const mutated = Buffer.from(seeds[round % seeds.length]!.subarray(0, 1 + Math.floor(random() * 520)));
      for (let flip = 0; flip < 3; flip += 1) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      send(host, mutated, { address: '192.0.2.1', port: 1 + (round % 5) });
    }
    assert.deepEqual(host.exploits, []);
  });

  describe('corpus', { skip: skipWithoutCorpus() }, () => {
    it('benign-tftp-get-rfc1350: the read request gets file-not-found, nothing is reported', async () => {
      const sessions = (await corpusSessions('benign-tftp-get-rfc1350.pcap')).filter((session) => session.server.port === 69);
      assert.equal(sessions.length, 1);
      const host = new TestServiceHost(PROFILE);
      for (const turn of clientTurns(sessions[0]!)) {
        const [answer] = send(host, turn);
        assert.deepEqual([answer?.readUInt16BE(0), answer?.readUInt16BE(2)], [5, 1]);
      }
      assert.deepEqual(host.exploits, []);
      assert.deepEqual(host.anomalies, []);
    });

    it('nmap version-scan probes never throw', async () => {
      const host = new TestServiceHost(PROFILE);
      for (const session of await corpusSessions('nmap-version-scan.pcap')) for (const turn of clientTurns(session)) send(host, turn);
    });
  });
});
