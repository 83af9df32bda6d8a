import type { ProfileDefinition } from '../profile-definition.ts';
import { sqlServer2000, windowsProfile, type WindowsProfileOptions } from '../windows-products.ts';

const FAMILY = 'windows-xp';
const SERVICE_PACKS = [0, 1, 2, 3];
const FIREWALL_NOTE = 'SP2 and later turn Windows Firewall on by default; the profile models a host with file and printer sharing allowed';

function winXp(id: string, servicePack: number, description: string, extra: Partial<WindowsProfileOptions> = {}): ProfileDefinition {
  return windowsProfile({
    id,
    family: FAMILY,
    product: 'windows-xp',
    servicePack,
    arch: 'x86',
    description,
    notes: servicePack >= 2 ? [FIREWALL_NOTE] : [],
    ...extra,
  });
}

const msde = sqlServer2000('msde-2000', 2);

/** Windows XP Professional x86, RTM (October 2001) through SP3 (May 2008). */
export const WINDOWS_XP: readonly ProfileDefinition[] = [
  ...SERVICE_PACKS.map((servicePack) => winXp(`win-xp-sp${servicePack}`, servicePack, `Windows XP Professional SP${servicePack}, file sharing`)),
  winXp('win-xp-sp1-msde2000-sp2', 1, 'Windows XP Professional SP1 with MSDE 2000 SP2 (embedded by a desktop application)', {
    applications: [msde.application],
    services: msde.services,
  }),
  winXp('win-xp-sp3-printshare', 3, 'Windows XP Professional SP3 sharing a printer', {
    applications: [{ name: 'print-spooler', version: '5.1', features: ['shared-printer'] }],
  }),
  winXp('win-xp-sp3-ms17-010', 3, 'Windows XP Professional SP3 with the May 2017 SMBv1 update (KB4012598)', { hotfixes: ['MS17-010'] }),
];
