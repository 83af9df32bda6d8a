import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostCompromiseDetector } from '../../../src/verdict/host-compromise/index.ts';
import { seededRandom } from '../../helpers/random.ts';
import { builtSession } from './built-sessions.ts';

test('hostile input: random and half-protocol bytes never throw and yield no finding', () => {
  const random = seededRandom(0x5eed);
  const detector = new HostCompromiseDetector();
  const prefixes = ['', 'GET / HTTP/1.1\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n', '\x00\x00\x00\x40\xffSMB\x32', 'C:\\>', 'sh-4.2$ ', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\nzz\r\n'];
  for (let index = 0; index < 400; index++) {
    const turns = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, turn) => {
      const prefix = prefixes[Math.floor(random() * prefixes.length)]!;
      const noise = Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
      return { direction: turn % 2 === 0 ? ('to_server' as const) : ('to_client' as const), at: turn * 0.1, data: Buffer.concat([Buffer.from(prefix, 'latin1'), noise]) };
    });
    const session = builtSession({ client: `10.0.${index >> 8}.${index & 255}:40000`, server: '10.1.1.1:445', start: index, turns });
    assert.deepEqual(detector.observe(session), []);
  }
  assert.deepEqual(
    Object.keys(detector.counters.snapshot('host_compromise')).filter((name) => name.endsWith('rule_errors')),
    [],
  );
});

test('hostile input: many clients keep the drive-by memory at its bound', () => {
  const detector = new HostCompromiseDetector({ options: { driveBy: { hosts: 32 } } });
  for (let index = 0; index < 500; index++) {
    detector.observe(builtSession({ client: `10.3.${index >> 8}.${index & 255}:40000`, server: '10.1.1.1:80', start: index, turns: [{ direction: 'to_server', at: 0, data: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' }] }));
  }
  assert.equal(detector.counters.get('host_compromise.drive_by.hosts_evicted'), 500 - 32);
});
