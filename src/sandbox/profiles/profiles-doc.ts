import type { Profile } from '../../config/index.ts';
import type { ProfileCatalogue } from './profile-catalogue.ts';
import { VULNERABILITY_RULES } from './vulnerability-rules.ts';

/** Renders docs/profiles.md from the catalogue, so the page cannot drift from the data. */
export function renderProfilesDoc(catalogue: ProfileCatalogue): string {
  const profiles = catalogue.list();
  const lines = [
    '# Dummy profiles',
    '',
    'Each dummy is one profile: an operating system at a service pack, optional applications, the',
    'services it listens on, how its stack looks on the wire, and the public vulnerabilities it has',
    'unpatched. `crashtest profiles` lists them (`--service tcp/445`, `--vuln MS17-010`, `--json`).',
    '',
    'This page is generated from `src/sandbox/profiles/catalogue/` (`npx tsx scripts/profiles-doc.ts >',
    'docs/profiles.md`) and a test keeps the two equal.',
    '',
    '## How vulnerabilities are decided',
    '',
    'A profile is the system as installed from the media of its service pack, with no hotfix released',
    'after it unless the profile lists that bulletin under hotfixes. A bulletin applies to every service',
    'pack of a product it names below the first service pack that shipped the fix, including older',
    'service packs it no longer listed because they were out of support. Products a bulletin does not',
    'name at all (NT 4.0 after 2004, Windows 2000 after 2010) are not marked. Only remotely reachable',
    'cases count: where a bulletin says a local logon is needed the product is left out; where it says',
    'valid credentials are needed the access is `authenticated`. A vulnerability is listed only when the',
    'profile exposes a service it is reached on.',
    '',
    '| id | CVEs | component | reached via | applies to |',
    '|---|---|---|---|---|',
    ...VULNERABILITY_RULES.map(
      (rule) => `| ${rule.id} | ${rule.cves.join(', ') || '—'} | ${escape(rule.component)} | ${rule.via.join(', ')} | ${escape(rule.rule)} |`,
    ),
    '',
    `## Profiles (${profiles.length})`,
    '',
  ];
  for (const family of [...new Set(profiles.map((profile) => profile.family))]) {
    lines.push(`### ${family}`, '', '| id | system | arch | roles, applications | listens on | unpatched |', '|---|---|---|---|---|---|');
    for (const profile of profiles.filter((candidate) => candidate.family === family)) {
      const applications = profile.applications.map((application) => `${application.name} ${application.version}${application.servicePack === undefined ? '' : ` SP${application.servicePack}`}`);
      const hotfixes = profile.hotfixes.map((hotfix) => `+${hotfix}`);
      lines.push(
        `| \`${profile.id}\` | ${escape(systemName(profile))} | ${profile.arch} | ${escape([...profile.roles, ...applications, ...hotfixes].join(', '))} | ${listening(profile)} | ${vulnerabilities(profile)} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '## Fingerprints',
    '',
    'Typical stack parameters (p0f-style); narrowing by observed facts treats a window size outside the list as a mismatch.',
    '',
    '| id | initial TTL | TCP windows | TCP options | SMB dialects | HTTP Server |',
    '|---|---|---|---|---|---|',
    ...profiles.map((profile) => {
      const { fingerprint } = profile;
      const smb = smbSummary(fingerprint.smbDialects);
      return `| \`${profile.id}\` | ${fingerprint.initialTtl} | ${fingerprint.tcpWindowSizes.join(', ')} | ${fingerprint.tcpOptionOrder.join(',')} | ${smb} | ${escape(fingerprint.httpServerHeaders.join('; ')) || '—'} |`;
    }),
    '',
  );
  return lines.join('\n');
}

/** "Windows XP Professional SP1", "Debian GNU/Linux 7 (wheezy)" */
export function systemName(profile: Profile): string {
  const { os } = profile;
  const servicePack = os.servicePackLabel ?? (os.servicePack === undefined ? '' : `SP${os.servicePack}`);
  return [os.name, servicePack].filter((part) => part !== '').join(' ');
}

function listening(profile: Profile): string {
  const ports = profile.services.map((service) => `${service.proto}/${service.port}`);
  if (profile.rpcDynamicPorts) ports.push(`tcp/${profile.rpcDynamicPorts.first}-${profile.rpcDynamicPorts.last} (RPC)`);
  return ports.join(' ');
}

function vulnerabilities(profile: Profile): string {
  if (profile.vulnerabilities.length === 0) return '—';
  return profile.vulnerabilities.map((vulnerability) => (vulnerability.access === 'authenticated' ? `${vulnerability.id} (auth)` : vulnerability.id)).join(', ');
}

/** the highest SMB1 dialect and every SMB2 one: the full SMB1 list is the same on every Windows */
function smbSummary(dialects: readonly string[]): string {
  if (dialects.length === 0) return '—';
  return dialects.filter((dialect) => dialect === 'NT LM 0.12' || /^\d/.test(dialect)).join(', ');
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|');
}
