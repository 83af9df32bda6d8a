import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkConfigText, loadConfigFile } from '../../src/config/index.ts';
import { isCrashtestError } from '../../src/core/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'crashtest-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a YAML config loads, with the sensor, outputs and web sections', () => {
  const path = join(dir, 'ok.yaml');
  writeFileSync(path, 'sensor:\n  interfaces: [eth1, eth2]\n  bpfFilter: not port 22\noutputs:\n  syslogHost: 127.0.0.1\n  syslogProtocol: tcp\nweb:\n  adminToken: s3cret-s3cret-s3cret\n');
  const config = loadConfigFile(path);
  assert.deepEqual(config.sensor.interfaces, ['eth1', 'eth2']);
  assert.equal(config.outputs.syslogProtocol, 'tcp');
  assert.equal(config.web.listenAddress, '127.0.0.1');
  assert.ok(Object.isFrozen(config.sensor));
});

test('every YAML error is named by key path and line', () => {
  const checked = checkConfigText('flow:\n  memcapBytse: 10\nsensor:\n  snaplenBytes: -1\noutputs:\n  syslogProtocol: sctp\n', 'yaml');
  assert.equal(checked.ok, false);
  const issues = checked.ok ? [] : checked.issues;
  const byKey = new Map(issues.map((issue) => [issue.key, issue]));
  assert.equal(byKey.get('flow.memcapBytse')?.line, 2);
  assert.match(byKey.get('flow.memcapBytse')!.message, /unknown key/);
  assert.equal(byKey.get('sensor.snaplenBytes')?.line, 4);
  assert.equal(byKey.get('outputs.syslogProtocol')?.line, 6);
});

test('broken YAML is reported with its line, and loadConfigFile throws CT_ERR_CONFIG_INVALID', () => {
  const path = join(dir, 'broken.yml');
  writeFileSync(path, 'sensor:\n  interfaces: [eth1\n');
  assert.throws(() => loadConfigFile(path), (error: unknown) => isCrashtestError(error, 'CT_ERR_CONFIG_INVALID') && /line \d+/.test(error.message));
});

test('crashtest config check exits 0 on a valid file and 2 with every key path on an invalid one', () => {
  const good = join(dir, 'good.yaml');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(good, 'sensor:\n  interfaces: [eth1]\n');
  writeFileSync(bad, 'web:\n  port: 99999\n  tokn: x\n');
  const ok = spawnSync(process.execPath, ['bin/crashtest.js', 'config', 'check', good], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  const no = spawnSync(process.execPath, ['bin/crashtest.js', 'config', 'check', bad], { encoding: 'utf8' });
  assert.equal(no.status, 2);
  assert.match(no.stderr, /web\.port \(line 2/);
  assert.match(no.stderr, /web\.tokn \(line 3/);
});
