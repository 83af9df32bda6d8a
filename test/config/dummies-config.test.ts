/**
 * The `dummies` section (real dummies declared in the config file) and the web tokens: a good file
 * loads with its defaults and its relative paths resolved against the file's folder; every broken
 * key is reported by `crashtest config check` style checking with its key path and line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkConfigText, loadConfigFile, validateConfig, WEB_TOKEN_MIN_LENGTH, type ConfigIssue } from '../../src/config/index.ts';
import { isCrashtestError } from '../../src/core/index.ts';
import { MIN_TOKEN_LENGTH } from '../../src/web/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'crashtest-dummies-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A Linux profile as a user writes it: one HTTP service, nothing unpatched. */
function profile(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    family: 'site-apps',
    description: 'Our intranet application on Debian 12',
    os: { kind: 'linux', product: 'debian', name: 'Debian GNU/Linux', version: '12' },
    arch: 'x64',
    roles: ['server'],
    services: [{ proto: 'tcp', port: 8080, name: 'http' }],
    fingerprint: { initialTtl: 64, tcpWindowSizes: [64_240], tcpOptionOrder: ['mss', 'sackOK', 'timestamp', 'nop', 'wscale'], smbDialects: [], httpServerHeaders: [] },
    vulnerabilities: [],
    ...overrides,
  };
}

const GOOD = `
dummies:
  netns:
    maxVictims: 3
    profiles:
      - profile: ${JSON.stringify(profile('intranet-app'))}
        lowerDir: roots/intranet
        services: ["cd /srv && exec /usr/bin/node service.cjs"]
        readyProbe: "GET / HTTP/1.0\\r\\n\\r\\n"
  qemu:
    goldenDirectory: golden
    profiles:
      - profile: ${JSON.stringify(profile('dvr-image', { roles: ['embedded'] }))}
        machine:
          kernel: images/vmlinuz
          initrd: /srv/images/initramfs.cpio.gz
          memoryMiB: 128
          readiness: { port: 80 }
web:
  adminToken: 0123456789abcdef-admin
  readOnlyToken: 0123456789abcdef-read
`;

function issuesOf(text: string): Map<string, ConfigIssue> {
  const checked = checkConfigText(text, 'yaml', dir);
  assert.equal(checked.ok, false, 'the file should be refused');
  return new Map((checked.ok ? [] : checked.issues).map((issue) => [issue.key, issue]));
}

describe('the dummies section', () => {
  it('a good file loads: defaults filled, relative paths resolved against the file, absolute ones kept', () => {
    mkdirSync(join(dir, 'etc'), { recursive: true });
    const path = join(dir, 'etc', 'crashtest.yaml');
    writeFileSync(path, GOOD);
    const config = loadConfigFile(path);
    assert.equal(config.dummies.emulated, true);
    const netns = config.dummies.netns.profiles[0]!;
    assert.equal(netns.profile.id, 'intranet-app');
    assert.equal(netns.lowerDir, join(dir, 'etc', 'roots', 'intranet'));
    assert.equal(netns.readyTimeoutMs, 10_000);
    assert.equal(netns.readyProbe, 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(config.dummies.netns.maxVictims, 3);
    assert.equal(config.dummies.netns.warmSpare, true);
    const machine = config.dummies.qemu.profiles[0]!.machine;
    assert.equal(machine.kernel, join(dir, 'etc', 'images', 'vmlinuz'));
    assert.equal(machine.initrd, '/srv/images/initramfs.cpio.gz');
    assert.equal(machine.memoryMiB, 128);
    assert.equal(machine.readiness.revertTimeoutMs, 10_000);
    assert.equal(machine.guest.gateway, '10.13.37.1');
    assert.equal(config.dummies.qemu.goldenDirectory, join(dir, 'etc', 'golden'));
    assert.equal(config.dummies.qemu.stateDirectory, '', 'empty stays empty: the driver picks its default');
    assert.ok(Object.isFrozen(machine.readiness));
  });

  it('an empty file gives the emulated catalogue alone', () => {
    const config = validateConfig({});
    assert.equal(config.dummies.emulated, true);
    assert.deepEqual(config.dummies.netns.profiles, []);
    assert.deepEqual(config.dummies.qemu.profiles, []);
  });

  it('each broken key is reported with its path and line', () => {
    const text = `dummies:
  netns:
    profiles:
      - profile: ${JSON.stringify(profile('app-one', { os: { kind: 'beos', product: 'beos', name: 'BeOS', version: '5' } }))}
        services: []
        lowerdir: typo
      - profile: ${JSON.stringify(profile('app-two'))}
        lowerDir: roots/two
        services: [true]
        readyPorts: [70000]
  qemu:
    accelerator: hvf
    profiles:
      - profile: ${JSON.stringify(profile('app-two'))}
        machine:
          kernel: vmlinuz
          disk: disk.qcow2
          readiness: {}
`;
    const issues = issuesOf(text);
    const expected: Array<[string, number, RegExp]> = [
      ['dummies.netns.profiles.0.profile.os.kind', 4, /windows|linux|freebsd/],
      ['dummies.netns.profiles.0.lowerDir', 4, /string/],
      ['dummies.netns.profiles.0.services', 5, /1/],
      ['dummies.netns.profiles.0.lowerdir', 6, /unknown key/],
      ['dummies.netns.profiles.1.services.0', 9, /string/],
      ['dummies.netns.profiles.1.readyPorts.0', 10, /65535/],
      ['dummies.qemu.accelerator', 12, /auto|kvm|tcg/],
      ['dummies.qemu.profiles.0.machine.kernel', 16, /exactly one of kernel or disk/],
      ['dummies.qemu.profiles.0.machine.readiness.port', 18, /number/],
      ['dummies.qemu.profiles.0.profile.id', 14, /app-two is declared twice \(first at dummies\.netns\.profiles\.1\)/],
    ];
    for (const [key, line, message] of expected) {
      const issue = issues.get(key);
      assert.ok(issue, `no issue for ${key}; got ${[...issues.keys()].join(', ')}`);
      assert.equal(issue.line, line, `${key} line`);
      assert.match(issue.message, message, key);
    }
  });

  it('a profile id declared twice in the farm is named where it repeats', () => {
    const entry = (id: string) => ({ profile: profile(id), lowerDir: '/srv/a', services: ['true'] });
    const issues = issuesOf(JSON.stringify({ dummies: { netns: { profiles: [entry('same'), entry('other'), entry('same')] } } }));
    assert.match(issues.get('dummies.netns.profiles.2.profile.id')?.message ?? '', /declared twice \(first at dummies\.netns\.profiles\.0\)/);
  });

  it('no dummies at all is refused on dummies.emulated', () => {
    assert.match(issuesOf('dummies:\n  emulated: false\n').get('dummies.emulated')?.message ?? '', /no dummies at all/);
  });

  it('validateConfig (no file) resolves relative paths against the working directory', () => {
    const config = validateConfig({ dummies: { netns: { profiles: [{ profile: profile('cwd-app'), lowerDir: 'roots/x', services: ['true'] }] } } });
    assert.equal(config.dummies.netns.profiles[0]!.lowerDir, join(process.cwd(), 'roots', 'x'));
  });
});

describe('the web tokens (issue 8)', () => {
  it('a short token, white space, or the same token twice are each refused with their key path', () => {
    const short = issuesOf('web:\n  adminToken: s3cret\n');
    assert.match(short.get('web.adminToken')?.message ?? '', new RegExp(`at least ${WEB_TOKEN_MIN_LENGTH} characters, found 6`));
    assert.equal(short.get('web.adminToken')?.line, 2);
    assert.match(issuesOf('web:\n  readOnlyToken: "0123456789abcdef 0123"\n').get('web.readOnlyToken')?.message ?? '', /white space/);
    const same = issuesOf('web:\n  adminToken: 0123456789abcdef0123\n  readOnlyToken: 0123456789abcdef0123\n');
    assert.match(same.get('web.readOnlyToken')?.message ?? '', /same token as web\.adminToken/);
    assert.equal(same.get('web.readOnlyToken')?.line, 3);
    assert.equal(same.has('web.adminToken'), false, 'the admin token itself is fine');
  });

  it('empty tokens (the default) and long distinct ones are accepted', () => {
    assert.equal(validateConfig({}).web.adminToken, '');
    const config = validateConfig({ web: { adminToken: 'a'.repeat(WEB_TOKEN_MIN_LENGTH), readOnlyToken: 'b'.repeat(WEB_TOKEN_MIN_LENGTH) } });
    assert.equal(config.web.readOnlyToken.length, WEB_TOKEN_MIN_LENGTH);
    assert.throws(() => validateConfig({ web: { adminToken: 'a'.repeat(WEB_TOKEN_MIN_LENGTH - 1) } }), (error: unknown) => isCrashtestError(error, 'CT_ERR_CONFIG_INVALID') && error.details.key === 'web.adminToken');
  });

  it('the config and the web server ask for the same minimum', () => {
    assert.equal(WEB_TOKEN_MIN_LENGTH, MIN_TOKEN_LENGTH);
  });

  it('crashtest config check reports them by key path and line, exit 2', () => {
    const path = join(dir, 'tokens.yaml');
    writeFileSync(path, 'web:\n  adminToken: change-me\n  readOnlyToken: change-me\n');
    const checked = spawnSync(process.execPath, ['bin/crashtest.js', 'config', 'check', path], { encoding: 'utf8' });
    assert.equal(checked.status, 2, checked.stderr);
    assert.match(checked.stderr, /web\.adminToken \(line 2, column \d+\): a bearer token needs at least 16 characters, found 9/);
    assert.match(checked.stderr, /web\.readOnlyToken \(line 3, column \d+\): .*at least 16/);
    assert.match(checked.stderr, /web\.readOnlyToken \(line 3, column \d+\): the same token as web\.adminToken/, 'every problem at once, not the first only');
  });
});
