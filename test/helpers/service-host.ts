/**
 * A ServiceHost for protocol-emulator tests: a real profile from the catalogue, and every report,
 * code run, command and lookup kept in arrays a test can assert on. The network is a recording
 * endpoint, so nothing leaves.
 */
import { createHash } from 'node:crypto';
import type { Profile } from '../../src/config/index.ts';
import { RecordingEndpoint } from '../../src/emulator/behaviour/network-endpoint.ts';
import type { CodeHints, DummyObservation, ExploitReport } from '../../src/emulator/services/observation.ts';
import type { HostState, ServiceHost, ShellKind } from '../../src/emulator/services/service.ts';
import { defaultCatalogue } from '../../src/sandbox/index.ts';

export class TestServiceHost implements ServiceHost {
  readonly profile: Profile;
  readonly address = '10.0.0.2';
  readonly hostname: string;
  readonly state: HostState = { listeners: new Map(), implants: new Set(), files: new Map(), services: new Map() };
  readonly network = new RecordingEndpoint();
  readonly exploits: (ExploitReport & { vulnerable: boolean })[] = [];
  readonly codeRuns: { bytes: Uint8Array; hints: CodeHints; sha256: string }[] = [];
  readonly commands: { shell: ShellKind; commandLine: string; origin: string }[] = [];
  readonly lookups: { text: string; origin: string }[] = [];
  readonly observations: DummyObservation[] = [];
  readonly anomalies: string[] = [];
  virtualNow = 0;

  constructor(profileId: string) {
    const profile = defaultCatalogue().get(profileId);
    if (!profile) throw new Error(`no profile ${profileId}`);
    this.profile = profile;
    this.hostname = profileId.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 15);
  }

  vulnerable(id: string): boolean {
    return this.profile.vulnerabilities.some((vulnerability) => vulnerability.id === id);
  }

  reportExploit(report: ExploitReport): boolean {
    const vulnerable = this.vulnerable(report.vulnerability);
    this.exploits.push({ ...report, vulnerable });
    return vulnerable;
  }

  runCode(bytes: Uint8Array, hints: CodeHints): void {
    this.codeRuns.push({ bytes, hints, sha256: createHash('sha256').update(bytes).digest('hex') });
  }

  runCommand(shell: ShellKind, commandLine: string, origin: string): string {
    this.commands.push({ shell, commandLine, origin });
    return '';
  }

  evaluateLookups(text: string, origin: string): void {
    this.lookups.push({ text, origin });
  }

  observe(observation: DummyObservation): void {
    this.observations.push(observation);
  }

  anomaly(name: string): void {
    this.anomalies.push(name);
  }

  now(): number {
    return this.virtualNow;
  }
}
