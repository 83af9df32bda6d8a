/**
 * The netns driver's listener scan without namespaces (no root needed): /proc/net lines are
 * parsed as the kernel writes them, a watch on this test's own network namespace reports the
 * listeners the test opens after its baseline (and only once), and docs/netns.md names every
 * counter the scan bumps and its defaults.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { endianness } from 'node:os';
import { describe, it } from 'node:test';
import { Counters } from '../../src/core/index.ts';
import { canonicalAddress, procNetAddress } from '../../src/drivers/victims/netns/ip-address.ts';
import { DEFAULT_LISTENER_POLL_MS, ListenerWatch, MAX_LISTENERS_PER_LEASE, parseSocketTable, type ListeningSocket } from '../../src/drivers/victims/netns/listener-watch.ts';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const little = endianness() === 'LE';

describe('netns listener scan', () => {
  it('reads /proc/net addresses in host byte order, IPv6 in the compressed form', { skip: little ? false : 'fixtures are little-endian' }, () => {
    assert.equal(procNetAddress('0100007F'), '127.0.0.1');
    assert.equal(procNetAddress('00000000'), '0.0.0.0');
    assert.equal(procNetAddress('00000000000000000000000001000000'), '::1');
    assert.equal(procNetAddress('130200FD000000000000000001000000'), 'fd00:213::1');
    assert.equal(canonicalAddress('fd00:0213:0000:0000:0000:0000:0000:0002'), 'fd00:213::2');
    assert.equal(canonicalAddress('10.213.0.2'), '10.213.0.2');
  });

  it('TCP: LISTEN only; UDP: unconnected sockets on fixed ports, ephemeral ones set aside', { skip: little ? false : 'fixtures are little-endian' }, () => {
    const tcp = parseSocketTable(
      HEADER +
        '   0: 00000000:115C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n' +
        '   1: 0200D50A:1F90 0100D50A:D431 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0000000000000000 20 4 30 10 -1\n',
      'tcp',
      () => assert.fail('tcp has no ephemeral rule'),
    );
    assert.deepEqual(tcp, [{ proto: 'tcp', address: '0.0.0.0', port: 4_444, inode: 4_242 }]);
    const ephemeral: ListeningSocket[] = [];
    const udp = parseSocketTable(
      HEADER +
        '  10: 00000000:059A 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5001 2 0000000000000000 0\n' +
        '  11: 0200D50A:9C40 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5002 2 0000000000000000 0\n' +
        '  12: 0200D50A:9C41 01253D0A:0035 01 00000000:00000000 00:00000000 00000000     0        0 5003 2 0000000000000000 0\n',
      'udp',
      (socket) => ephemeral.push(socket),
    );
    assert.deepEqual(udp, [{ proto: 'udp', address: '0.0.0.0', port: 1_434, inode: 5_001 }]);
    assert.deepEqual(ephemeral, [{ proto: 'udp', address: '10.213.0.2', port: 40_000, inode: 5_002 }], 'a connected socket is neither');
  });

  it("a watch on this process's namespace reports a listener opened after its baseline, once, with its owner", async () => {
    const counters = new Counters();
    const seen: { proto: string; port: number; origin: string }[] = [];
    const watch = new ListenerWatch(process.pid, counters, (observation) => {
      if (observation.kind === 'listen') seen.push({ proto: observation.proto, port: observation.port, origin: observation.origin });
    });
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const udp = createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    try {
      const port = (server.address() as { port: number }).port;
      watch.scan();
      watch.scan();
      // the host namespace is shared with whatever else runs: look for ours only
      const ours = seen.filter((item) => item.proto === 'tcp' && item.port === port);
      assert.equal(ours.length, 1, JSON.stringify(seen));
      if (process.getuid?.() === 0) assert.match(ours[0]!.origin, new RegExp(`pid ${process.pid} .* on 127\\.0\\.0\\.1$`));
      const udpPort = udp.address().port;
      assert.ok(!seen.some((item) => item.proto === 'udp' && item.port === udpPort), 'an ephemeral UDP port is no listener');
      if (udpPort >= 32_768 && udpPort <= 60_999) assert.ok(counters.get('netns.udp_ephemeral_ignored') >= 1);
      assert.equal(counters.get('netns.listener_scans'), 2);
    } finally {
      server.close();
      udp.close();
    }
  });

  it('docs/netns.md names every counter of the scan, its poll default and its cap', () => {
    const doc = readFileSync(new URL('../../docs/netns.md', import.meta.url), 'utf8');
    const source = readFileSync(new URL('../../src/drivers/victims/netns/listener-watch.ts', import.meta.url), 'utf8');
    const counterNames = [...source.matchAll(/counters\.add\('([a-z_.]+)'/g)].map((match) => match[1]!);
    assert.ok(counterNames.length >= 5);
    for (const name of counterNames) assert.ok(doc.includes(`\`${name}\``), `docs/netns.md does not name ${name}`);
    assert.ok(doc.includes(`default ${DEFAULT_LISTENER_POLL_MS} ms`), 'the poll default');
    assert.ok(doc.includes(`more than ${MAX_LISTENERS_PER_LEASE} new listeners`), 'the cap');
  });
});
