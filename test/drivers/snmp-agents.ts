/**
 * Test helpers: real SNMP agents on loopback high ports, started as child processes with generated
 * configs and stopped by the caller. snmpsim plays a switch (bridge tables, writable ifAdminStatus
 * through its writecache variation module); Debian's snmpd serves real reads.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnmpClient, type SnmpTarget } from '../../src/drivers/index.ts';

export const V3_USER = { user: 'crashtest', authKey: 'crashtest-auth-1', privKey: 'crashtest-priv-1' };

export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export const SNMPSIM_MISSING = hasBinary('snmpsimd') ? false : 'snmpsimd not installed (apt-get install snmpsim): SNMP switch tests skipped';
export const SNMPD_MISSING = hasBinary('snmpd') ? false : 'snmpd not installed (apt-get install snmpd): SNMP read tests skipped';

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export function target(port: number, overrides: Partial<SnmpTarget> = {}): SnmpTarget {
  return {
    name: 'sim-switch',
    host: '127.0.0.1',
    port,
    version: '2c',
    community: 'switch',
    user: V3_USER.user,
    authProtocol: 'sha',
    authKey: V3_USER.authKey,
    privProtocol: 'aes',
    privKey: V3_USER.privKey,
    context: 'switch',
    timeoutMs: 1_000,
    retries: 1,
    ...overrides,
  };
}

export interface RunningAgent {
  port: number;
  stop(): Promise<void>;
  log(): string;
  exited(): boolean;
}

/** One `.snmprec` row: OID, BER tag (2 INTEGER, 4 OCTET STRING, 66 Gauge32 …) and value, optionally with a variation. */
export type SnmpRecord = [oid: string, tag: string, value: string | number];

export function renderSnmprec(records: readonly SnmpRecord[]): string {
  const compare = (a: string, b: string) => {
    const left = a.split('.').map(Number);
    const right = b.split('.').map(Number);
    for (let index = 0; index < Math.min(left.length, right.length); index++) if (left[index] !== right[index]) return left[index]! - right[index]!;
    return left.length - right.length;
  };
  return [...records].sort((a, b) => compare(a[0], b[0])).map(([oid, tag, value]) => `${oid}|${tag}|${value}`).join('\n') + '\n';
}

/** Starts snmpsimd serving each `data` entry as a community (v2c) and a context (v3, authPriv SHA/AES). */
export async function startSnmpSim(data: Record<string, readonly SnmpRecord[]>): Promise<RunningAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-snmpsim-'));
  const dataDir = join(dir, 'data');
  const cacheDir = join(dir, 'cache');
  mkdirSync(dataDir);
  mkdirSync(cacheDir);
  for (const [name, records] of Object.entries(data)) writeFileSync(join(dataDir, `${name}.snmprec`), renderSnmprec(records));
  // As root snmpsimd drops to nobody, who must read the data and write the cache.
  chmodSync(dir, 0o755);
  chmodSync(dataDir, 0o755);
  chmodSync(cacheDir, 0o777);
  for (const name of Object.keys(data)) chmodSync(join(dataDir, `${name}.snmprec`), 0o644);
  const port = await freeUdpPort();
  const args = [
    `--data-dir=${dataDir}`,
    `--cache-dir=${cacheDir}`,
    `--agent-udpv4-endpoint=127.0.0.1:${port}`,
    `--v3-user=${V3_USER.user}`,
    `--v3-auth-key=${V3_USER.authKey}`,
    '--v3-auth-proto=SHA',
    `--v3-priv-key=${V3_USER.privKey}`,
    '--v3-priv-proto=AES',
    '--logging-method=stderr',
  ];
  if (process.getuid?.() === 0) args.push('--process-user=nobody', '--process-group=nogroup');
  const child = spawn('snmpsimd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const agent = watch(child, port, () => rmSync(dir, { recursive: true, force: true }));
  await waitForAgent(agent, target(port, { community: Object.keys(data)[0]! }));
  return agent;
}

/** Starts Debian's snmpd with a generated config: community `public` and the v3 authPriv user, read-only. */
export async function startSnmpd(): Promise<RunningAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'crashtest-snmpd-'));
  const port = await freeUdpPort();
  const config = join(dir, 'snmpd.conf');
  writeFileSync(
    config,
    [
      `agentAddress udp:127.0.0.1:${port}`,
      'rocommunity public 127.0.0.1',
      `createUser ${V3_USER.user} SHA "${V3_USER.authKey}" AES "${V3_USER.privKey}"`,
      `rouser ${V3_USER.user} priv`,
      'sysDescr crashtest test snmpd',
      '',
    ].join('\n'),
  );
  const child = spawn('snmpd', ['-f', '-C', '-c', config, '-Le', '-p', join(dir, 'snmpd.pid'), '-M', '/nonexistent'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SNMP_PERSISTENT_DIR: dir, MIBS: '' },
  });
  const agent = watch(child, port, () => rmSync(dir, { recursive: true, force: true }));
  await waitForAgent(agent, target(port, { community: 'public', name: 'snmpd' }));
  return agent;
}

function watch(child: ChildProcess, port: number, cleanup: () => void): RunningAgent {
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
    if (log.length > 100_000) log = log.slice(-50_000);
  });
  let hasExited = false;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      hasExited = true;
      resolve();
    }),
  );
  return {
    port,
    exited: () => hasExited,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
      cleanup();
    },
  };
}

async function waitForAgent(agent: RunningAgent, snmpTarget: SnmpTarget): Promise<void> {
  const deadline = Date.now() + 20_000;
  const client = new SnmpClient({ ...snmpTarget, timeoutMs: 300, retries: 0 });
  try {
    while (Date.now() < deadline && !agent.exited()) {
      try {
        await client.get(['1.3.6.1.2.1.1.1.0']);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    client.close();
  }
  await agent.stop();
  throw new Error(`SNMP agent on 127.0.0.1:${agent.port} did not answer (exited early or 20 s passed):\n${agent.log()}`);
}

const MAC_A = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0a];
const MAC_B = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0b];
const MAC_SELF = [0x02, 0x00, 0x00, 0x00, 0xff, 0xff];
export const SIM_MAC_A = '02:00:00:00:00:0a';
export const SIM_MAC_B = '02:00:00:00:00:0b';

/**
 * A 6-port access switch: ifIndex 10101..10104 are Gi1/0/1..4, 10201 is the uplink Te1/1/1,
 * 10301 a port channel; bridge ports 1..6 map onto them. MAC A is on Gi1/0/3 (VLAN 10), MAC B on
 * the uplink, and the switch's own MAC is in the table with status self.
 */
export function switchRecords(options: { qbridge: boolean }): SnmpRecord[] {
  const ports = [
    { bridgePort: 1, ifIndex: 10101, name: 'Gi1/0/1' },
    { bridgePort: 2, ifIndex: 10102, name: 'Gi1/0/2' },
    { bridgePort: 3, ifIndex: 10103, name: 'Gi1/0/3' },
    { bridgePort: 4, ifIndex: 10104, name: 'Gi1/0/4' },
    { bridgePort: 5, ifIndex: 10201, name: 'Te1/1/1' },
    { bridgePort: 6, ifIndex: 10301, name: 'Po1' },
  ];
  const records: SnmpRecord[] = [['1.3.6.1.2.1.1.1.0', '4', 'crashtest simulated switch']];
  for (const port of ports) {
    records.push([`1.3.6.1.2.1.2.2.1.2.${port.ifIndex}`, '4', `GigabitEthernet port ${port.name}`]);
    records.push([`1.3.6.1.2.1.2.2.1.7.${port.ifIndex}`, '2:writecache', 'value=1']);
    records.push([`1.3.6.1.2.1.31.1.1.1.1.${port.ifIndex}`, '4', port.name]);
    records.push([`1.3.6.1.2.1.17.1.4.1.2.${port.bridgePort}`, '2', port.ifIndex]);
  }
  const fdb: [number[], number, number][] = [
    [MAC_A, 3, 3],
    [MAC_B, 5, 3],
    [MAC_SELF, 1, 4],
  ];
  for (const [mac, bridgePort, status] of fdb) {
    if (options.qbridge) {
      records.push([`1.3.6.1.2.1.17.7.1.2.2.1.2.10.${mac.join('.')}`, '2', bridgePort]);
      records.push([`1.3.6.1.2.1.17.7.1.2.2.1.3.10.${mac.join('.')}`, '2', status]);
    } else {
      records.push([`1.3.6.1.2.1.17.4.3.1.2.${mac.join('.')}`, '2', bridgePort]);
      records.push([`1.3.6.1.2.1.17.4.3.1.3.${mac.join('.')}`, '2', status]);
    }
  }
  return records;
}
