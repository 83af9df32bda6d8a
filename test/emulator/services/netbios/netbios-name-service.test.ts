import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { netbiosNameService } from '../../../../src/emulator/services/netbios/netbios-name-service.ts';
import { skipWithoutCorpus } from '../../../helpers/corpus.ts';
import { clientTurns, corpusSessions } from '../../../helpers/corpus-sessions.ts';
import { seededRandom } from '../../../helpers/random.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';

const PROFILE = 'win-xp-sp2';
const peer = { address: '192.0.2.137', port: 137 };
const service = netbiosNameService();

function encodedName(name: string, suffix: number): Buffer {
  const raw = Buffer.alloc(16, 0x20);
  if (name === '*') raw.fill(0).write('*');
  else raw.write(name.toUpperCase(), 'latin1');
  raw[15] = suffix;
  const letters = [...raw].flatMap((byte) => [0x41 + (byte >> 4), 0x41 + (byte & 0x0f)]);
  return Buffer.from([32, ...letters, 0]);
}

function question(name: string, suffix: number, type: number, flags = 0x0110): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x1234, 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, encodedName(name, suffix), Buffer.from([type >> 8, type & 0xff, 0, 1])]);
}

function send(host: TestServiceHost, packet: Uint8Array): Buffer[] {
  return service.receive(host, peer, 137, packet).map((answer) => Buffer.from(answer));
}

describe('NetBIOS name service', () => {
  it('answers queries for its own names with its address; group names carry the group flag', () => {
    const host = new TestServiceHost(PROFILE);
    for (const [name, suffix, group] of [[host.hostname, 0x00, false], [host.hostname, 0x20, false], ['WORKGROUP', 0x00, true], ['workgroup', 0x1e, true]] as const) {
      const [answer] = send(host, question(name, suffix, 0x20, 0x0100));
      assert.ok(answer, `${name}<${suffix}>`);
      assert.equal(answer.readUInt16BE(0), 0x1234);
      assert.equal(answer.readUInt16BE(2) & 0x800f, 0x8000);
      assert.equal(answer.readUInt16BE(6), 1);
      const data = answer.subarray(answer.length - 6);
      assert.equal((data.readUInt16BE(0) & 0x8000) !== 0, group);
      assert.equal([...data.subarray(2)].join('.'), host.address);
    }
    assert.deepEqual(host.anomalies, []);
  });

  it('another name: silence to a broadcast, name error to a unicast query', () => {
    const host = new TestServiceHost(PROFILE);
    assert.deepEqual(send(host, question('FILESERVER', 0x20, 0x20, 0x0110)), []);
    const [answer] = send(host, question('FILESERVER', 0x20, 0x20, 0x0100));
    assert.equal(answer!.readUInt16BE(2) & 0x000f, 3);
  });

  it('a node status request gets the name table and a MAC', () => {
    const host = new TestServiceHost(PROFILE);
    const [answer] = send(host, question('*', 0x00, 0x21, 0x0000));
    assert.ok(answer);
    const data = answer.subarray(12 + 34 + 10);
    const count = data[0]!;
    const names = Array.from({ length: count }, (_, index) => {
      const entry = data.subarray(1 + index * 18, 19 + index * 18);
      return `${entry.subarray(0, 15).toString('latin1').trim()}<${entry[15]!.toString(16).padStart(2, '0')}>`;
    });
    assert.deepEqual(names, [`${host.hostname}<00>`, 'WORKGROUP<00>', `${host.hostname}<20>`, 'WORKGROUP<1e>']);
    assert.equal(data.length, 1 + count * 18 + 46);
  });

  it('malformed packets are ignored and counted; mutations never throw', () => {
    const host = new TestServiceHost(PROFILE);
    const good = question(host.hostname, 0, 0x20);
    const badLetters = Buffer.from(good);
    badLetters[13] = 0x5a;
    const cases: [Uint8Array, string][] = [
      [good.subarray(0, 8), 'netbios-ns.packet_truncated'],
      [badLetters, 'netbios-ns.name_invalid'],
      [good.subarray(0, good.length - 3), 'netbios-ns.question_truncated'],
      [Buffer.concat([good.subarray(0, 4), Buffer.from([0, 2]), good.subarray(6)]), 'netbios-ns.question_count_invalid'],
    ];
    for (const [packet, anomaly] of cases) {
      assert.deepEqual(send(host, packet), [], anomaly);
      assert.ok(host.anomalies.includes(anomaly), anomaly);
    }
    const random = seededRandom(137);
    for (let round = 0; round < 3_000; round += 1) {
      const mutated = Buffer.from((round % 2 === 0 ? good : question('*', 0, 0x21)).subarray(0, 1 + Math.floor(random() * 60)));
      for (let flip = 0; flip < 3; flip += 1) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      send(host, mutated);
    }
    assert.deepEqual(host.exploits, []);
  });

  describe('corpus', { skip: skipWithoutCorpus() }, () => {
    it('name service traffic and nmap probes from the corpus never throw', async () => {
      const host = new TestServiceHost(PROFILE);
      let datagrams = 0;
      for (const capture of ['benign-http-wikipedia.pcap', 'ms17-010-doublepulsar-ping-infected-win7.pcap', 'nmap-version-scan.pcap']) {
        for (const session of await corpusSessions(capture)) {
          if (session.proto !== 'udp') continue;
          for (const turn of clientTurns(session)) {
            send(host, turn);
            datagrams += 1;
          }
        }
      }
      assert.ok(datagrams > 0);
      assert.deepEqual(host.exploits, []);
    });
  });
});
