import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HostCompromiseDetector } from '../../../src/verdict/host-compromise/index.ts';
import { builtSession, httpRequest, httpResponse, peImage } from './built-sessions.ts';

const VICTIM = '192.168.1.20';
const KIT = '203.0.113.5';
const PACKED_PAGE = `<html><script>var s='${'4'.repeat(600)}';eval(decode(s));</script></html>`;
const FLASH_PAGE = '<object classid="clsid:d27cdb6e-ae6d-11cf-96b8-444553540000"><param name="movie" value="/x"/></object>';

function fetch(start: number, server: string, host: string, target: string, response: Buffer, headers: Record<string, string> = {}, method = 'GET') {
  return builtSession({
    client: `${VICTIM}:${40000 + Math.round(start * 10)}`,
    server: `${server}:80`,
    start,
    turns: [
      { direction: 'to_server', at: 0, data: httpRequest(method, host, target, headers, method === 'POST' ? 'id=1' : '') },
      { direction: 'to_client', at: 0.2, data: response },
    ],
  });
}

function run(sessions: ReturnType<typeof fetch>[]) {
  const detector = new HostCompromiseDetector();
  return sessions.flatMap((session) => detector.observe(session));
}

const landing = (start: number, body = PACKED_PAGE) => fetch(start, KIT, 'kit.example', '/land', httpResponse(200, 'text/html', body), { Referer: 'http://news.example/' });
const payload = (start: number, body: Buffer = peImage()) => fetch(start, KIT, 'kit.example', '/load', httpResponse(200, 'text/plain', body));
const checkin = (start: number) => fetch(start, '198.51.100.9', 'c2.example', '/gate.php', httpResponse(200, 'text/html', 'ok'), {}, 'POST');

test('download then check-in: packed exploit page, PE from the same site, POST to a new host', () => {
  const findings = run([fetch(0, '192.0.2.1', 'news.example', '/', httpResponse(200, 'text/html', '<p>news</p>')), landing(1), payload(3), checkin(20)]);
  assert.equal(findings.length, 1);
  const finding = findings[0]!;
  assert.equal(finding.rule, 'download_then_checkin');
  assert.equal(finding.hostIp, VICTIM);
  assert.equal(finding.attackerIp, KIT);
  assert.deepEqual(finding.evidence.map((item) => item.kind), ['exploit_page', 'executable_download', 'checkin_to_new_destination']);
  assert.deepEqual(finding.evidence[0]!.marks, ['obfuscated_script']);
  assert.equal(finding.evidence[0]!.referrerHost, 'news.example');
  assert.equal(finding.evidence[1]!.format, 'pe', 'judged by bytes although the server said text/plain');
  assert.deepEqual(finding.evidence[2]!.reasons, ['post', 'no_referer']);
});

test('download then check-in: a plugin page and an encrypted payload (no MZ) also qualify', () => {
  const findings = run([landing(0, FLASH_PAGE), payload(5, randomBytes(64 * 1024)), checkin(30)]);
  assert.equal(findings.length, 1);
  assert.deepEqual(findings[0]!.evidence[0]!.marks, ['plugin_object']);
  assert.equal(findings[0]!.evidence[1]!.format, 'opaque_binary');
});

test('download then check-in: each link of the chain is needed', () => {
  assert.deepEqual(run([payload(3), checkin(20)]), [], 'no exploit page: an ordinary download');
  assert.deepEqual(run([landing(1), checkin(20)]), [], 'no download: the exploit did not land');
  assert.deepEqual(run([landing(1), payload(3)]), [], 'no check-in');
  assert.deepEqual(run([landing(1), fetch(3, '192.0.2.77', 'cdn.example', '/setup.exe', httpResponse(200, 'application/octet-stream', peImage())), checkin(20)]), [], 'download from another site');
  assert.deepEqual(run([landing(1), payload(1000), checkin(1010)]), [], 'download long after the page');
  assert.deepEqual(run([landing(1), payload(3), checkin(2000)]), [], 'check-in long after the download');
  assert.deepEqual(run([checkin(0), landing(1), payload(3), checkin(20)]), [], 'the check-in host was contacted before');
  assert.deepEqual(run([landing(1), payload(3, Buffer.from(`<html>${'text '.repeat(3000)}</html>`)), checkin(20)]), [], 'a text body is not a program');
});

test('download then check-in: gzip and chunked bodies are decoded before judging', () => {
  const gzipped = gzipSync(Buffer.from(PACKED_PAGE));
  const chunked = Buffer.concat([
    Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n'),
    Buffer.from(`${(10).toString(16)}\r\n`),
    gzipped.subarray(0, 10),
    Buffer.from(`\r\n${(gzipped.length - 10).toString(16)}\r\n`),
    gzipped.subarray(10),
    Buffer.from('\r\n0\r\n\r\n'),
  ]);
  const page = fetch(1, KIT, 'kit.example', '/land', chunked);
  assert.equal(run([page, payload(3), checkin(20)]).length, 1);
});
