import type { ProfileDefinition } from '../profile-definition.ts';
import { iis, sqlServer2000, windowsProfile, type WindowsProfileOptions } from '../windows-products.ts';

const FAMILY = 'windows-2000';
const SERVICE_PACKS = [0, 1, 2, 3, 4];

function win2000(id: string, servicePack: number, description: string, extra: Partial<WindowsProfileOptions> = {}): ProfileDefinition {
  return windowsProfile({ id, family: FAMILY, product: 'windows-2000', servicePack, arch: 'x86', description, ...extra });
}

function withIis(servicePack: number): ProfileDefinition {
  const web = iis('windows-2000');
  return win2000(`win-2000-sp${servicePack}-iis5`, servicePack, `Windows 2000 Server SP${servicePack} with IIS 5.0 (default install, .ida/.idq mapped)`, {
    applications: [web.application],
    services: web.services,
  });
}

function withSql(edition: 'sql-server-2000' | 'msde-2000', sqlServicePack: number): ProfileDefinition {
  const sql = sqlServer2000(edition, sqlServicePack);
  const name = edition === 'msde-2000' ? 'msde2000' : 'sql2000';
  const label = edition === 'msde-2000' ? 'MSDE 2000' : 'SQL Server 2000';
  return win2000(`win-2000-sp4-${name}-sp${sqlServicePack}`, 4, `Windows 2000 Server SP4 with ${label} SP${sqlServicePack}`, {
    applications: [sql.application],
    services: sql.services,
  });
}

/** Windows 2000 Server, SP0 (February 2000) through SP4 (June 2003); there was no SP5. */
export const WINDOWS_2000: readonly ProfileDefinition[] = [
  ...SERVICE_PACKS.map((servicePack) => win2000(`win-2000-sp${servicePack}`, servicePack, `Windows 2000 Server SP${servicePack}, file sharing`)),
  withIis(2),
  withIis(4),
  withSql('sql-server-2000', 2),
  withSql('sql-server-2000', 3),
  withSql('msde-2000', 2),
  win2000('win-2000-sp4-dc', 4, 'Windows 2000 Server SP4 domain controller (Active Directory, DNS)', { domainController: true }),
];
