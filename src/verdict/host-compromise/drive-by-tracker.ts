/**
 * Rule 4, download then check-in (the client side of a drive-by): a host
 *   1. receives exploit-kit content (plugin objects or packed script, exploit-content.ts),
 *   2. within `pageToDownloadSeconds` fetches a program from that same site (same server address,
 *      same Host, or a Referer naming it) — a PE or ELF image, or an encrypted blob, judged by the
 *      bytes whatever the Content-Type says (executable-body.ts),
 *   3. within `checkinSeconds` after the download, talks to a destination it had never contacted
 *      before the download, in the way programs do and browsers following links do not: a POST,
 *      a request to a bare IP address, a request with no Referer, or a connection that is not HTTP.
 * Each step alone is ordinary (pages embed Flash, people download installers, browsers open new
 * sites); the chain within minutes is what infection looks like from the wire.
 *
 * What the corpus shows: in the 2016 CryptoWall drive-by the host gets a Flash object page and a
 * Flash file from the kit, then a 358 KB encrypted blob from the same server (no MZ: kits encrypt
 * payloads), then POSTs to two sites never seen before. In the 2010 honeynet exploit-kit capture
 * all four clients get the packed exploit page; only two of them then fetch MZ images from it
 * (their browsers were vulnerable, the other two were Firefox builds the kit's exploits did not
 * reach), and both then open new sites without a Referer. The check-in evidence there is weak
 * (it could be a person typing an address); the download after the exploit page is what separates
 * the infected from the clean clients, and it is recorded as such in the evidence.
 *
 * Memory: at most `hosts` hosts; per host `pagesPerHost` exploit pages, `downloadsPerHost`
 * downloads, `candidatesPerHost` check-in candidates and `destinationsPerHost` first-contact times,
 * all least-recently-used first out (counted). A forgotten destination may look new again later.
 */
import type { Counters, Session, Timestamp } from '../../core/index.ts';
import { exploitContentMarks, type ExploitContentMark } from './exploit-content.ts';
import { classifyExecutable, type ExecutableFormat } from './executable-body.ts';
import type { HostCompromiseEvidence, HostCompromiseFinding } from './host-compromise-finding.ts';
import { hostWithoutPort, readHttpExchanges, type HttpExchange } from './http-exchanges.ts';
import { RecencyMap } from './recency-map.ts';
import { secondsOf, sessionStart } from './session-time.ts';

export interface DriveByOptions {
  /** exploit page → executable download (300 s = 5 min) */
  pageToDownloadSeconds: number;
  /** executable download → first check-in (600 s = 10 min) */
  checkinSeconds: number;
  hosts: number;
  pagesPerHost: number;
  downloadsPerHost: number;
  candidatesPerHost: number;
  destinationsPerHost: number;
}

export const DEFAULT_DRIVE_BY_OPTIONS: DriveByOptions = {
  pageToDownloadSeconds: 300,
  checkinSeconds: 600,
  hosts: 2048,
  pagesPerHost: 16,
  downloadsPerHost: 16,
  candidatesPerHost: 64,
  destinationsPerHost: 512,
};

const MAX_CHECKINS_IN_EVIDENCE = 5;

interface WebEvent {
  sessionId: number;
  time: Timestamp;
  serverIp: string;
  /** Host header, or '' when the request had none */
  host: string;
  target: string;
}

interface ExploitPage extends WebEvent {
  marks: ExploitContentMark[];
  /** the site that sent the browser here, when it is another site */
  referrerHost?: string;
}

interface Download extends WebEvent {
  format: ExecutableFormat;
  bytes: number;
  entropy: number;
  contentType: string;
  referrerHost: string;
}

interface CheckinCandidate extends WebEvent {
  method: string;
  reasons: string[];
}

interface HostState {
  pages: ExploitPage[];
  downloads: Download[];
  candidates: CheckinCandidate[];
  /** destination (Host name, else address) → earliest time this host contacted it, in seconds */
  firstContact: RecencyMap<string, number>;
  reported: boolean;
}

const IP_LITERAL = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/;

export class DriveByTracker {
  private readonly hosts: RecencyMap<string, HostState>;

  constructor(
    private readonly options: DriveByOptions,
    private readonly counters: Counters,
  ) {
    this.hosts = new RecencyMap(options.hosts, () => counters.add('host_compromise.drive_by.hosts_evicted'));
  }

  observe(session: Session): HostCompromiseFinding[] {
    if (session.proto !== 'tcp') return [];
    const state = this.hosts.getOrCreate(session.client.ip, () => this.newState());
    const exchanges = readHttpExchanges(session);
    if (exchanges.length === 0) this.recordOtherConnection(state, session);
    for (const exchange of exchanges) this.recordExchange(state, session, exchange);
    if (state.reported) return [];
    const finding = this.evaluate(session.client.ip, state);
    if (!finding) return [];
    state.reported = true;
    this.counters.add('host_compromise.drive_by.findings');
    return [finding];
  }

  private newState(): HostState {
    return {
      pages: [],
      downloads: [],
      candidates: [],
      firstContact: new RecencyMap(this.options.destinationsPerHost, () => this.counters.add('host_compromise.drive_by.destinations_evicted')),
      reported: false,
    };
  }

  private recordOtherConnection(state: HostState, session: Session): void {
    const time = sessionStart(session);
    this.contacted(state, session.server.ip, time);
    if (session.toServer.payloadBytes === 0) return; // a bare SYN or an empty connection says nothing
    const candidate: CheckinCandidate = { sessionId: session.id, time, serverIp: session.server.ip, host: '', target: `:${session.server.port}`, method: '', reasons: ['non_http_connection'] };
    push(state.candidates, candidate, this.options.candidatesPerHost, this.counters, 'host_compromise.drive_by.candidates_dropped');
  }

  private recordExchange(state: HostState, session: Session, exchange: HttpExchange): void {
    const request = exchange.request;
    const base: WebEvent = { sessionId: session.id, time: request.time, serverIp: session.server.ip, host: request.host, target: request.target.slice(0, 512) };
    this.contacted(state, destinationOf(base), request.time);
    this.contacted(state, session.server.ip, request.time);
    const referrerHost = refererHost(request.headers.get('referer'));
    const reasons: string[] = [];
    if (request.method === 'POST') reasons.push('post');
    if (IP_LITERAL.test(request.host)) reasons.push('ip_literal_host');
    if (referrerHost === '') reasons.push('no_referer');
    if (reasons.length > 0) push(state.candidates, { ...base, method: request.method, reasons }, this.options.candidatesPerHost, this.counters, 'host_compromise.drive_by.candidates_dropped');
    const response = exchange.response;
    if (!response || response.status < 200 || response.status >= 300 || response.body.length === 0) return;
    const responseEvent = { ...base, time: response.time };
    const marks = exploitContentMarks(response);
    if (marks.length > 0) {
      const page: ExploitPage = { ...responseEvent, marks, ...(referrerHost !== '' && referrerHost !== request.host ? { referrerHost } : {}) };
      push(state.pages, page, this.options.pagesPerHost, this.counters, 'host_compromise.drive_by.pages_dropped');
    }
    const executable = classifyExecutable(response.body);
    if (executable) {
      const download: Download = {
        ...responseEvent,
        format: executable.format,
        bytes: response.body.length,
        entropy: Math.round(executable.entropy * 1000) / 1000,
        contentType: (response.headers.get('content-type') ?? '').slice(0, 128),
        referrerHost,
      };
      push(state.downloads, download, this.options.downloadsPerHost, this.counters, 'host_compromise.drive_by.downloads_dropped');
    }
  }

  private contacted(state: HostState, destination: string, time: Timestamp): void {
    const seconds = secondsOf(time);
    const earlier = state.firstContact.get(destination);
    if (earlier === undefined || seconds < earlier) state.firstContact.set(destination, seconds);
  }

  /** The first complete chain page → download → check-in for this host, or null. */
  private evaluate(hostIp: string, state: HostState): HostCompromiseFinding | null {
    for (const download of state.downloads) {
      const downloadSeconds = secondsOf(download.time);
      const page = state.pages.find((candidate) => {
        const gap = downloadSeconds - secondsOf(candidate.time);
        return gap >= 0 && gap <= this.options.pageToDownloadSeconds && sameSite(candidate, download);
      });
      if (!page) continue;
      const checkins = state.candidates.filter((candidate) => {
        const gap = secondsOf(candidate.time) - downloadSeconds;
        if (gap <= 0 || gap > this.options.checkinSeconds || sameSite(page, candidate)) return false;
        const first = state.firstContact.peek(destinationOf(candidate));
        return first === undefined || first > downloadSeconds;
      });
      if (checkins.length === 0) continue;
      checkins.sort((a, b) => secondsOf(a.time) - secondsOf(b.time));
      return this.finding(hostIp, page, download, checkins);
    }
    return null;
  }

  private finding(hostIp: string, page: ExploitPage, download: Download, checkins: CheckinCandidate[]): HostCompromiseFinding {
    const shown = checkins.slice(0, MAX_CHECKINS_IN_EVIDENCE);
    const evidence: HostCompromiseEvidence[] = [
      { kind: 'exploit_page', sessionId: page.sessionId, server: page.serverIp, host: page.host, target: page.target, marks: page.marks, ...(page.referrerHost ? { referrerHost: page.referrerHost } : {}) },
      {
        kind: 'executable_download',
        sessionId: download.sessionId,
        server: download.serverIp,
        host: download.host,
        target: download.target,
        format: download.format,
        bytes: download.bytes,
        entropy: download.entropy,
        contentType: download.contentType,
        secondsAfterPage: round(secondsOf(download.time) - secondsOf(page.time)),
      },
      ...shown.map((checkin) => ({
        kind: 'checkin_to_new_destination',
        sessionId: checkin.sessionId,
        server: checkin.serverIp,
        host: checkin.host,
        method: checkin.method,
        target: checkin.target,
        reasons: checkin.reasons,
        secondsAfterDownload: round(secondsOf(checkin.time) - secondsOf(download.time)),
      })),
    ];
    const sessionIds = [...new Set([page.sessionId, download.sessionId, ...shown.map((checkin) => checkin.sessionId)])];
    return { type: 'host_compromise', hostIp, timestamp: checkins[0]!.time, attackerIp: page.serverIp, rule: 'download_then_checkin', evidence, sessionIds };
  }
}

function destinationOf(event: WebEvent): string {
  return event.host !== '' ? event.host : event.serverIp;
}

function sameSite(a: WebEvent, b: WebEvent & { referrerHost?: string }): boolean {
  return a.serverIp === b.serverIp || (a.host !== '' && (a.host === b.host || a.host === b.referrerHost));
}

function refererHost(referer: string | undefined): string {
  if (!referer) return '';
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(referer.trim());
  if (!match) return '';
  return hostWithoutPort(match[1]!.replace(/^[^@]*@/, ''));
}

function push<Item>(list: Item[], item: Item, cap: number, counters: Counters, counter: string): void {
  list.push(item);
  if (list.length > cap) {
    list.splice(0, list.length - cap);
    counters.add(counter);
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
