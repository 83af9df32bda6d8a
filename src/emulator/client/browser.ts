/**
 * The client-side dummy's browser: the server side of its captured HTTP sessions is played into
 * it, response by response, and it reads what an exploit page delivers — decoded script strings,
 * heap sprays, plugin content the profile can load, executables. Attacker code found in decoded
 * strings is handed to the host: reported against the vulnerability the page names (when it names
 * one the profile has, the path is reached and the code runs), else against a generic client-side
 * id, and run in the emulated Windows process. What the code then does (connect, download, exec)
 * is the verdict; a page without code that runs outward yields nothing, however much script it has.
 */
import { findShellcode, profileShellcode } from '../finder/index.ts';
import type { EmulatedHost } from '../host/emulated-host.ts';
import { GENERIC_CLIENT_EXPLOIT, namedVulnerabilities, type ClientVulnerabilityMarker } from './client-vulnerabilities.ts';
import { parseHttpResponses } from './http-response-stream.ts';
import { decodePage, type PageFindings, type PluginKind } from './page-decoder.ts';

export interface BrowseLimits {
  /** responses read over all streams (default 128) */
  maxResponses?: number;
  /** code candidates run per browse (default 6) */
  maxCodeRuns?: number;
}

export interface BrowsedPage {
  status: number;
  contentType: string;
  kind: PageFindings['kind'];
  scripts: number;
  decodedStrings: number;
  heapSpray: boolean;
  plugins: PluginKind[];
  /** vulnerabilities the page names (whether or not the profile has them) */
  named: string[];
  codeRuns: number;
}

export interface BrowseResult {
  pages: BrowsedPage[];
  executables: number;
  anomalies: string[];
}

const SERVICE = 'http-client';
const ACTIVE_KINDS = new Set(['network', 'process', 'download', 'file']);
const PLUGIN_APPLICATIONS: Record<PluginKind, string | null> = {
  flash: 'flash-player',
  java: 'java-plugin',
  silverlight: 'silverlight',
  pdf: 'adobe-reader',
  activex: null,
};
const PDF_VULNERABILITIES = new Set(['CVE-2009-4324', 'CVE-2009-0927', 'CVE-2008-2992', 'CVE-2007-5659']);

function hasApplication(host: EmulatedHost, name: string): boolean {
  return host.profile.applications.some((application) => application.name === name);
}

/** Plays the server side of each connection (in fetch order) into the host's browser. Never throws on hostile bytes. */
export function browse(host: EmulatedHost, serverStreams: readonly Uint8Array[], limits: BrowseLimits = {}): BrowseResult {
  const result: BrowseResult = { pages: [], executables: 0, anomalies: [] };
  if (!hasApplication(host, 'internet-explorer')) return result;
  let responsesLeft = limits.maxResponses ?? 128;
  let codeRunsLeft = limits.maxCodeRuns ?? 6;
  for (const stream of serverStreams) {
    if (responsesLeft <= 0) break;
    const parsed = parseHttpResponses(stream, { maxResponses: responsesLeft });
    responsesLeft -= parsed.responses.length;
    for (const anomaly of parsed.anomalies) host.anomaly(`client.${anomaly}`);
    result.anomalies.push(...parsed.anomalies);
    for (const response of parsed.responses) {
      const contentType = response.headers.get('content-type') ?? '';
      const findings = decodePage(response.body, contentType);
      if (findings.kind === 'executable') {
        // delivered, not run: only code that runs in the dummy is behaviour
        result.executables++;
        host.anomaly('client.executable_delivered');
      }
      const plugin = pluginOfPage(findings);
      if (plugin && !loads(host, plugin)) continue;
      const codeRuns = detonatePage(host, findings, Math.max(0, codeRunsLeft));
      codeRunsLeft -= codeRuns;
      result.pages.push({
        status: response.status,
        contentType,
        kind: findings.kind,
        scripts: findings.scripts,
        decodedStrings: findings.decoded.length,
        heapSpray: findings.heapSpray,
        plugins: [...new Set(findings.objects.map((object) => object.plugin))],
        named: namedVulnerabilities(findings.text).map((marker) => marker.vulnerability),
        codeRuns,
      });
    }
  }
  return result;
}

function pluginOfPage(findings: PageFindings): PluginKind | null {
  return findings.kind === 'pdf' || findings.kind === 'flash' || findings.kind === 'java' || findings.kind === 'silverlight' ? findings.kind : null;
}

function loads(host: EmulatedHost, plugin: PluginKind): boolean {
  const application = PLUGIN_APPLICATIONS[plugin];
  return application === null || hasApplication(host, application);
}

/** Code candidates of one page, best first: decoded strings the finder takes for code. */
function codeCandidates(findings: PageFindings): Buffer[] {
  return findings.binaries
    .filter((bytes) => findShellcode(bytes, { maxCandidates: 1 }).length > 0)
    .sort((a, b) => b.length - a.length)
    .slice(0, 3);
}

function detonatePage(host: EmulatedHost, findings: PageFindings, budget: number): number {
  if (budget <= 0 || findings.binaries.length === 0) return 0;
  const candidates = codeCandidates(findings);
  if (candidates.length === 0) return 0;
  const markers = namedVulnerabilities(findings.text).filter((marker) => findings.kind === 'pdf' || !PDF_VULNERABILITIES.has(marker.vulnerability));
  let runs = 0;
  for (const bytes of candidates.slice(0, budget)) {
    if (markers.length > 0) {
      runs += runNamed(host, findings, markers, bytes);
      continue;
    }
    // no vulnerability named: only code that does something outward is worth a report
    if (!actsOutward(bytes)) continue;
    host.reportExploit({ vulnerability: GENERIC_CLIENT_EXPLOIT, service: SERVICE, detail: `${describe(findings)} carries attacker code (${bytes.length} bytes); the page names no vulnerability` });
    host.runCode(bytes, { service: SERVICE, os: 'windows', bits: 32 });
    runs++;
  }
  return runs;
}

function runNamed(host: EmulatedHost, findings: PageFindings, markers: ClientVulnerabilityMarker[], bytes: Buffer): number {
  const reached = markers.find((marker) => host.vulnerable(marker.vulnerability));
  const marker = reached ?? markers[0]!;
  const vulnerable = host.reportExploit({
    vulnerability: marker.vulnerability,
    service: SERVICE,
    detail: `${describe(findings)} reaches ${marker.component} with attacker code (${bytes.length} bytes)${reached ? '' : '; this profile has the fix'}`,
  });
  if (!vulnerable) return 0;
  host.runCode(bytes, { service: SERVICE, os: 'windows', bits: 32, vulnerability: marker.vulnerability });
  return 1;
}

function actsOutward(bytes: Buffer): boolean {
  const profiled = profileShellcode(bytes, { targets: [{ os: 'windows', bits: 32 }], maxCandidates: 3, timeBudgetMs: 1_000, totalInstructions: 4_000_000 });
  return profiled.trace?.events.some((event) => ACTIVE_KINDS.has(event.kind)) ?? false;
}

function describe(findings: PageFindings): string {
  const parts = [`a ${findings.kind} response`];
  if (findings.heapSpray) parts.push('with a heap spray');
  if (findings.decoded.length > 0) parts.push(`${findings.decoded.length} decoded string(s)`);
  return parts.join(', ');
}
