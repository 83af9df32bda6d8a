import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INSTANCE_NAME_ROOM_BYTES, sqlResolutionService } from '../../../../src/emulator/services/mssql/sql-resolution-service.ts';
import { skipWithoutCorpus } from '../../../helpers/corpus.ts';
import { clientTurns, corpusSessions } from '../../../helpers/corpus-sessions.ts';
import { seededRandom } from '../../../helpers/random.ts';
import { TestServiceHost } from '../../../helpers/service-host.ts';

const peer = { address: '192.0.2.7', port: 1025 };
const service = sqlResolutionService();

function send(host: TestServiceHost, bytes: Uint8Array): Uint8Array[] {
  return service.receive(host, peer, 1434, bytes);
}

function instanceRequest(nameLength: number, filler = 0x41): Uint8Array {
  const request = new Uint8Array(1 + nameLength).fill(filler);
  request[0] = 0x04;
  return request;
}

async function slammerDatagrams(): Promise<Buffer[]> {
  const sessions = await corpusSessions('internet-host-2004-worm-background.pcap');
  return sessions.filter((session) => session.proto === 'udp' && session.server.port === 1434).flatMap(clientTurns);
}

describe('SQL Server resolution service (UDP 1434)', () => {
  it('answers 0x02 and 0x03 with the instance, its version and its TCP port', () => {
    const host = new TestServiceHost('win-2000-sp4-sql2000-sp2');
    for (const kind of [0x02, 0x03]) {
      const [answer] = send(host, Uint8Array.of(kind));
      assert.ok(answer);
      assert.equal(answer[0], 0x05);
      assert.equal(Buffer.from(answer).readUInt16LE(1), answer.length - 3);
      const text = Buffer.from(answer.subarray(3)).toString('latin1');
      assert.match(text, new RegExp(`^ServerName;${host.hostname};InstanceName;MSSQLSERVER;IsClustered;No;Version;8\\.00\\.534;tcp;1433;np;`));
      assert.ok(text.endsWith(';;'));
    }
    assert.deepEqual(host.exploits, []);
  });

  it('answers 0x04 for its own instance and stays silent for another', () => {
    const host = new TestServiceHost('win-2000-sp4-sql2000-sp3');
    assert.equal(send(host, Buffer.from('\x04MSSQLSERVER\x00', 'latin1')).length, 1);
    assert.equal(send(host, Buffer.from('\x04OTHER\x00', 'latin1')).length, 0);
    assert.deepEqual(host.exploits, []);
  });

  it(`MS02-039: a name of ${INSTANCE_NAME_ROOM_BYTES} bytes still fits the key buffer, one more overflows it`, () => {
    const host = new TestServiceHost('win-2000-sp4-sql2000-sp2');
    send(host, instanceRequest(INSTANCE_NAME_ROOM_BYTES));
    assert.equal(host.exploits.length, 0);
    assert.ok(host.anomalies.includes('ms-sql-m.instance_name_too_long'));
    const attack = instanceRequest(INSTANCE_NAME_ROOM_BYTES + 1);
    assert.deepEqual(send(host, attack), []);
    assert.equal(host.exploits.length, 1);
    assert.equal(host.exploits[0]!.vulnerability, 'MS02-039');
    assert.equal(host.exploits[0]!.vulnerable, true);
    assert.equal(host.codeRuns.length, 1);
    assert.deepEqual(host.codeRuns[0]!.hints, { service: 'ms-sql-m', vulnerability: 'MS02-039', os: 'windows', bits: 32, placement: 'stack' });
  });

  it('MS02-039: the name ends at its NUL, so a long datagram with a short name is no attack', () => {
    const host = new TestServiceHost('win-2000-sp4-sql2000-sp2');
    const request = instanceRequest(400);
    request[10] = 0;
    send(host, request);
    assert.deepEqual(host.exploits, []);
  });

  it('MSDE 2000 SP2 is vulnerable too', () => {
    const host = new TestServiceHost('win-2000-sp4-msde2000-sp2');
    send(host, instanceRequest(200, 0x01));
    assert.equal(host.exploits[0]?.vulnerable, true);
    assert.equal(host.codeRuns.length, 1);
  });

  it('malformed and mutated datagrams never throw and are counted', () => {
    const host = new TestServiceHost('win-2000-sp4-sql2000-sp2');
    assert.deepEqual(send(host, new Uint8Array(0)), []);
    assert.deepEqual(send(host, Uint8Array.of(0x99, 1, 2)), []);
    assert.ok(host.anomalies.includes('ms-sql-m.empty_request'));
    assert.ok(host.anomalies.includes('ms-sql-m.request_type_unknown'));
    const random = seededRandom(1434);
    for (let round = 0; round < 2_000; round += 1) {
      const bytes = new Uint8Array(Math.floor(random() * 300));
      for (let index = 0; index < bytes.length; index += 1) bytes[index] = Math.floor(random() * 256);
      if (bytes.length > 0) bytes[0] = [0x02, 0x03, 0x04, 0x0a][round % 4]!;
      send(host, bytes);
    }
  });

  describe('corpus', { skip: skipWithoutCorpus() }, () => {
    it('Slammer datagrams: MS02-039 exploited with a code run on SQL Server 2000 SP2', async () => {
      const datagrams = await slammerDatagrams();
      assert.equal(datagrams.length, 2);
      for (const datagram of datagrams) {
        const host = new TestServiceHost('win-2000-sp4-sql2000-sp2');
        assert.deepEqual(send(host, datagram), []);
        assert.equal(host.exploits.length, 1);
        assert.equal(host.exploits[0]!.vulnerable, true);
        assert.equal(host.codeRuns.length, 1);
        assert.equal(host.codeRuns[0]!.bytes.length, datagram.length);
      }
    });

    it('Slammer datagrams: attempted only on SQL Server 2000 SP3', async () => {
      for (const datagram of await slammerDatagrams()) {
        const host = new TestServiceHost('win-2000-sp4-sql2000-sp3');
        send(host, datagram);
        assert.equal(host.exploits.length, 1);
        assert.equal(host.exploits[0]!.vulnerable, false);
        assert.equal(host.codeRuns.length, 0);
      }
    });

    it('nmap version-scan probes never throw', async () => {
      const host = new TestServiceHost('win-2000-sp4-sql2000-sp2');
      for (const session of await corpusSessions('nmap-version-scan.pcap')) for (const turn of clientTurns(session)) send(host, turn);
      assert.equal(host.codeRuns.length, 0);
    });
  });
});
