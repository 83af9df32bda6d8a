/** `crashtest profiles` end to end: the real bin, spawned. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/corpus.ts';

function crashtest(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/crashtest.js', 'profiles', ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function jsonLines(stdout: string): { id: string; vulnerabilities: { id: string }[] }[] {
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string; vulnerabilities: { id: string }[] });
}

describe('crashtest profiles', () => {
  it('--json prints every profile, one object per line', () => {
    const { code, stdout } = crashtest('--json');
    assert.equal(code, 0);
    const profiles = jsonLines(stdout);
    assert.ok(profiles.length >= 45);
    assert.ok(profiles.some((profile) => profile.id === 'win-7-sp1-x64'));
  });

  it('--service and --vuln filter together', () => {
    const { code, stdout } = crashtest('--json', '--service', 'tcp/445', '--vuln', 'MS09-050');
    assert.equal(code, 0);
    const ids = jsonLines(stdout).map((profile) => profile.id);
    assert.deepEqual(ids, ['win-vista-sp0', 'win-vista-sp1', 'win-vista-sp2', 'win-2008-sp1', 'win-2008-sp2', 'win-2008-dc']);
  });

  it('the table names each profile and its unpatched bulletins', () => {
    const { code, stdout } = crashtest('--vuln', 'MS17-010');
    assert.equal(code, 0);
    assert.match(stdout, /^ID\s+SYSTEM\s+ARCH\s+LISTENS\s+UNPATCHED/);
    assert.match(stdout, /win-7-sp1-x64 +Windows 7 SP1 +x64 .*MS17-010/);
    assert.doesNotMatch(stdout, /win-7-sp1-x64-ms17-010/);
  });

  it('one profile in full', () => {
    const { code, stdout } = crashtest('linux-tomcat-log4j-2.14');
    assert.equal(code, 0);
    assert.match(stdout, /unpatched CVE-2021-44228 .*tcp\/8080/);
  });

  it('an unknown id and a malformed service fail with their codes', () => {
    const unknown = crashtest('win-98-se');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /CT_ERR_PROFILE_UNKNOWN/);
    const malformed = crashtest('--service', '445');
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /CT_ERR_INVALID_ARGUMENT/);
  });
});
