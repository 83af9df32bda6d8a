import type { Command } from 'commander';
import type { Profile } from '../config/index.ts';
import { openProfilesService, type ProfilesService } from '../daemon/index.ts';

interface ProfilesOptions {
  json?: boolean;
  service?: string;
  vuln?: string;
}

/** Where output goes; tests pass their own. */
export type WriteText = (text: string) => void;

const writeStdout: WriteText = (text) => void process.stdout.write(text);

/** `crashtest profiles [ID] [--json] [--service tcp/445] [--vuln MS17-010]`: the dummy profile catalogue. */
export function addProfilesCommand(program: Command, setExitCode: (code: number) => void, write: WriteText = writeStdout): void {
  program
    .command('profiles')
    .description('list the dummy profiles: system, services, unpatched vulnerabilities')
    .argument('[id]', 'show one profile in full (e.g. win-xp-sp1)')
    .option('--json', 'one JSON object per line per profile')
    .option('--service <proto/port>', 'only profiles exposing this service, e.g. tcp/445 or udp/1434')
    .option('--vuln <id>', 'only profiles with this vulnerability unpatched, e.g. MS17-010 or CVE-2014-0160')
    .action((id: string | undefined, options: ProfilesOptions) => {
      const service = openProfilesService();
      if (id !== undefined) {
        const profile = service.get(id);
        write(options.json ? `${JSON.stringify(profile)}\n` : renderProfile(service, profile));
      } else {
        const profiles = service.list({ service: options.service, vulnerability: options.vuln });
        write(options.json ? profiles.map((profile) => `${JSON.stringify(profile)}\n`).join('') : renderTable(service, profiles));
      }
      setExitCode(0);
    });
}

export function renderTable(service: ProfilesService, profiles: readonly Profile[]): string {
  const rows = profiles.map((profile) => [profile.id, service.systemName(profile), profile.arch, ports(profile), unpatched(profile)]);
  const header = ['ID', 'SYSTEM', 'ARCH', 'LISTENS', 'UNPATCHED'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n${profiles.length} profile(s)\n`;
}

export function renderProfile(service: ProfilesService, profile: Profile): string {
  const lines = [`${profile.id}  ${profile.description}`, `  system    ${service.systemName(profile)} (${profile.os.version}) ${profile.arch}`, `  roles     ${profile.roles.join(', ')}`];
  for (const application of profile.applications) {
    const servicePack = application.servicePack === undefined ? '' : ` SP${application.servicePack}`;
    const features = application.features.length === 0 ? '' : ` [${application.features.join(', ')}]`;
    lines.push(`  app       ${application.name} ${application.version}${servicePack}${features}`);
  }
  if (profile.hotfixes.length > 0) lines.push(`  hotfixes  ${profile.hotfixes.join(', ')}`);
  for (const listened of profile.services) {
    const banner = listened.banner === undefined ? '' : `  "${listened.banner}"`;
    lines.push(`  listens   ${`${listened.proto}/${listened.port}`.padEnd(10)}${listened.name}${listened.product ? ` (${listened.product})` : ''}${banner}`);
  }
  if (profile.rpcDynamicPorts) lines.push(`  listens   tcp/${profile.rpcDynamicPorts.first}-${profile.rpcDynamicPorts.last} DCE/RPC dynamic ports`);
  const { fingerprint } = profile;
  lines.push(`  stack     initial TTL ${fingerprint.initialTtl}, windows ${fingerprint.tcpWindowSizes.join('/')}, options ${fingerprint.tcpOptionOrder.join(',')}`);
  if (fingerprint.smbDialects.length > 0) lines.push(`  smb       ${fingerprint.smbDialects.join(', ')}`);
  for (const vulnerability of profile.vulnerabilities) {
    const where = vulnerability.reachedOn.map((reached) => `${reached.proto}/${reached.port}`).join(' ');
    lines.push(`  unpatched ${vulnerability.id} ${vulnerability.cves.join(' ')} ${vulnerability.component}: ${vulnerability.title} [${vulnerability.access}; ${where}]`);
    if (vulnerability.note) lines.push(`            ${vulnerability.note}`);
  }
  for (const note of profile.notes) lines.push(`  note      ${note}`);
  return `${lines.join('\n')}\n`;
}

function ports(profile: Profile): string {
  return (['tcp', 'udp'] as const)
    .map((proto) => {
      const listed = profile.services.filter((service) => service.proto === proto).map((service) => service.port);
      return listed.length === 0 ? '' : `${proto}/${listed.join(',')}`;
    })
    .filter((part) => part !== '')
    .join(' ');
}

function unpatched(profile: Profile): string {
  return profile.vulnerabilities.map((vulnerability) => vulnerability.id).join(' ') || '-';
}
