/**
 * From what a dummy did to a level and its evidence. `compromised`: attacker code or commands did
 * something of their own (egress of any kind, a process, a listener, a dropped file, an implant, a
 * shell that answers); `exploited`: a vulnerable path of this profile was reached with attacker
 * data; `attempted`: an exploit reached a path this profile has patched. Nothing else is a verdict:
 * a dummy that merely answered its protocol stays silent.
 */
import type { EgressEvent } from '../containment/index.ts';
import type { DummyObservation } from '../emulator/index.ts';
import type { Observation } from '../sandbox/index.ts';
import { higherLevel, type VerdictLevel } from './level.ts';

/** One piece of evidence as events carry it: a kind and its details. */
export type EvidenceItem = { kind: string } & Record<string, string | number | boolean | string[] | null>;

export interface Judgement {
  level: VerdictLevel | null;
  evidence: EvidenceItem[];
  /** bulletins/CVEs reached on a vulnerable path */
  vulnerabilities: string[];
}

const MAX_EVIDENCE = 64;

function address(event: EgressEvent): string {
  return `${event.destination.address}:${event.destination.port}`;
}

export function egressEvidence(event: EgressEvent): EvidenceItem | null {
  const facts = event.facts;
  const to = { dest_ip: event.destination.address, dest_port: event.destination.port };
  switch (facts.kind) {
    case 'tcp_connect':
      return facts.replayedSession === undefined
        ? { kind: 'connect', proto: 'tcp', ...to, summary: `connects to ${address(event)}` }
        : { kind: 'connect', proto: 'tcp', ...to, replayed_session: facts.replayedSession, summary: `connects to ${address(event)} (answered from captured session ${facts.replayedSession})` };
    case 'tcp_refused':
      return { kind: 'connect', proto: 'tcp', ...to, refused: true, summary: `tries to connect to ${address(event)} (over its cap)` };
    case 'udp_datagram':
      return { kind: 'udp', ...to, bytes: facts.bytes, first_bytes_hex: facts.firstBytesHex, summary: `sends ${facts.bytes} bytes to udp ${address(event)}` };
    case 'icmp_echo':
      return { kind: 'icmp', dest_ip: event.destination.address, count: facts.count, summary: `pings ${event.destination.address}` };
    case 'dns_query':
      return { kind: 'dns', ...to, qname: facts.qname, qtype: facts.qtypeName, via: facts.via, summary: `looks up ${facts.qname}` };
    case 'http_request':
      return { kind: 'http', ...to, method: facts.method, host: facts.host, url: facts.url, user_agent: facts.userAgent, summary: `${facts.method} http://${facts.host}${facts.url}` };
    case 'ftp_transfer':
    case 'tftp_transfer':
      return { kind: 'download', ...to, protocol: event.protocol, file: facts.fileName, bytes: facts.bytes, sha256: facts.sha256, summary: `${facts.direction} ${facts.fileName} over ${event.protocol}` };
    case 'replayed_http_response': {
      // the capture's answer to the dummy's own request: the file the attacker's server handed out
      if (facts.status < 200 || facts.status > 299) return null;
      const url = `http://${facts.host || address(event)}${facts.url}`;
      return {
        kind: 'download',
        ...to,
        protocol: 'http',
        url,
        bytes: facts.bodyBytes,
        sha256: facts.bodySha256,
        content_type: facts.contentType,
        replayed_session: facts.sessionId,
        summary: `downloads ${url} (${facts.bodyBytes} bytes, answered from captured session ${facts.sessionId})`,
      };
    }
    case 'ldap_search':
      return { kind: 'ldap', ...to, base_dn: facts.baseDn, summary: `LDAP search ${facts.baseDn} at ${address(event)}` };
    case 'rmi_call':
      return { kind: 'rmi', ...to, strings: facts.strings.slice(0, 8), summary: `RMI call at ${address(event)}` };
    case 'tls_client_hello':
      return { kind: 'tls', ...to, sni: facts.sni, summary: `TLS to ${facts.sni || address(event)}` };
    default:
      return null;
  }
}

function dummyEvidence(observation: DummyObservation): EvidenceItem | null {
  switch (observation.kind) {
    case 'exploit':
      return { kind: 'exploit', vulnerability: observation.vulnerability, service: observation.service, vulnerable: observation.vulnerable, detail: observation.detail };
    case 'code': {
      const active = observation.trace.events.filter((event) => ['network', 'process', 'download', 'file'].includes(event.kind));
      return {
        kind: 'code',
        service: observation.service,
        os: observation.trace.os,
        bits: observation.trace.bits,
        instructions: observation.trace.instructionCount,
        calls: observation.trace.events.slice(0, 24).map((event) => event.summary),
        active_calls: active.length,
        sha256: observation.bytesSha256,
      };
    }
    case 'exec':
      return { kind: 'exec', shell: observation.shell, command: observation.command.slice(0, 1024), origin: observation.origin };
    case 'listen':
      return { kind: 'listen', proto: observation.proto, port: observation.port, origin: observation.origin };
    case 'file':
      return { kind: 'file', path: observation.path, bytes: observation.bytes, origin: observation.origin };
    case 'implant':
      return {
        kind: 'implant',
        name: observation.name,
        origin: observation.origin,
        ...(observation.mechanism ? { mechanism: observation.mechanism } : {}),
        ...(observation.detail ? { detail: observation.detail } : {}),
      };
    case 'lookup':
      return { kind: 'lookup', expression: observation.expression.slice(0, 1024), resolved: observation.resolved.slice(0, 1024), origin: observation.origin };
    case 'answered':
      return { kind: 'answered', what: observation.what, origin: observation.origin };
  }
}

/** Levels each observation supports on its own. */
function levelOf(observation: Observation): VerdictLevel | null {
  if (observation.source === 'containment') return 'compromised';
  const seen = observation.observation;
  switch (seen.kind) {
    case 'exploit':
      return seen.vulnerable ? 'exploited' : 'attempted';
    case 'code':
      return seen.trace.events.some((event) => ['network', 'process', 'download', 'file'].includes(event.kind)) ? 'compromised' : 'exploited';
    case 'lookup':
      return 'exploited';
    case 'exec':
    case 'listen':
    case 'file':
    case 'implant':
    case 'answered':
      return 'compromised';
  }
}

export function judge(observations: readonly Observation[]): Judgement {
  let level: VerdictLevel | null = null;
  const evidence: EvidenceItem[] = [];
  const vulnerabilities = new Set<string>();
  const seen = new Set<string>();
  // once a captured server answered the dummy, whatever it does next may follow from those bytes
  let replayed = false;
  for (const observation of observations) {
    level = higherLevel(level, levelOf(observation));
    if (observation.source === 'dummy' && observation.observation.kind === 'exploit' && observation.observation.vulnerable) {
      vulnerabilities.add(observation.observation.vulnerability);
    }
    const item = observation.source === 'containment' ? egressEvidence(observation.event) : dummyEvidence(observation.observation);
    if (observation.source === 'containment' && observation.event.facts.kind === 'tcp_connect' && observation.event.facts.replayedSession !== undefined) {
      replayed = true;
    } else if (item && replayed) {
      // a stage fetched from a captured server (a class, a payload) runs on the dummy: its acts too
      item.after_replay = true;
    }
    if (!item) continue;
    // repeated identical evidence (a worm's thousand datagrams) is one item
    const key = JSON.stringify({ ...item, summary: undefined, bytes: undefined, first_bytes_hex: undefined, dest_ip: item.kind === 'udp' || item.kind === 'icmp' ? undefined : item.dest_ip });
    if (seen.has(key)) continue;
    seen.add(key);
    if (evidence.length < MAX_EVIDENCE) evidence.push(item);
  }
  return { level, evidence, vulnerabilities: [...vulnerabilities] };
}
