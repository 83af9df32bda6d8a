import type { ProfileDefinition } from '../profile-definition.ts';
import { iis, windowsProfile, type WindowsProfileOptions } from '../windows-products.ts';

const FAMILY = 'windows-2003';
const SERVICE_PACKS = [0, 1, 2];

function win2003(id: string, servicePack: number, description: string, extra: Partial<WindowsProfileOptions> = {}): ProfileDefinition {
  return windowsProfile({ id, family: FAMILY, product: 'windows-2003', servicePack, arch: 'x86', description, ...extra });
}

const web = iis('windows-2003');

/** Windows Server 2003 x86, RTM (April 2003) through SP2 (March 2007). */
export const WINDOWS_2003: readonly ProfileDefinition[] = [
  ...SERVICE_PACKS.map((servicePack) => win2003(`win-2003-sp${servicePack}`, servicePack, `Windows Server 2003 Standard SP${servicePack}, file sharing`)),
  win2003('win-2003-sp0-iis6', 0, 'Windows Server 2003 Standard SP0 with IIS 6.0', { applications: [web.application], services: web.services }),
  win2003('win-2003-sp2-dc', 2, 'Windows Server 2003 SP2 domain controller (Active Directory, DNS)', { domainController: true }),
  win2003('win-2003-sp2-apache-2.2', 2, 'Windows Server 2003 SP2 running Apache httpd 2.2.4 (Win32) with PHP 5.2.1', {
    applications: [
      { name: 'apache-httpd', version: '2.2.4' },
      { name: 'php', version: '5.2.1' },
    ],
    services: [{ proto: 'tcp', port: 80, name: 'http', product: 'Apache httpd 2.2.4 (Win32)', banner: 'Apache/2.2.4 (Win32) PHP/5.2.1' }],
  }),
];
