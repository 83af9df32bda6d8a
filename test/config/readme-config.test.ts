/**
 * The configuration examples in README.md are kept true: every ```yaml block there passes
 * `crashtest config check`'s validation (the real-dummies example included, paths and all).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkConfigText, formatConfigIssue } from '../../src/config/index.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);

test('README has its configuration examples, among them one declaring real dummies', () => {
  assert.ok(blocks.length >= 2, `found ${blocks.length} yaml block(s)`);
  assert.ok(blocks.some((block) => /^dummies:/m.test(block) && /netns:/.test(block) && /qemu:/.test(block)));
});

test('every YAML example in README validates', () => {
  for (const block of blocks) {
    const checked = checkConfigText(block, 'yaml', '/etc/crashtest');
    assert.ok(checked.ok, `README example refused:\n${checked.ok ? '' : checked.issues.map(formatConfigIssue).join('\n')}\n---\n${block}`);
  }
});

test('relative paths of the example resolve against the config file\'s folder', () => {
  const checked = checkConfigText(blocks.find((block) => /^dummies:/m.test(block))!, 'yaml', '/etc/crashtest');
  assert.ok(checked.ok);
  assert.equal(checked.config.dummies.netns.profiles[0]!.lowerDir, '/etc/crashtest/roots/intranet');
  assert.equal(checked.config.dummies.qemu.profiles[0]!.machine.kernel, '/etc/crashtest/images/dvr/vmlinuz');
});
