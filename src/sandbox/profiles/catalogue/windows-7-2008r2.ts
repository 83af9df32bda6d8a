import type { ProfileDefinition } from '../profile-definition.ts';
import { windowsProfile } from '../windows-products.ts';

const FAMILY = 'windows-7-2008r2';

/** Windows 7 (October 2009, SP1 February 2011), x86 and x64, and Server 2008 R2 (x64 only). */
export const WINDOWS_7_2008R2: readonly ProfileDefinition[] = [
  ...[0, 1].flatMap((servicePack) =>
    (['x86', 'x64'] as const).map((arch) =>
      windowsProfile({
        id: `win-7-sp${servicePack}-${arch}`,
        family: FAMILY,
        product: 'windows-7',
        servicePack,
        arch,
        description: `Windows 7 Professional SP${servicePack} ${arch}, file sharing`,
      }),
    ),
  ),
  windowsProfile({
    id: 'win-7-sp1-x64-ms17-010',
    family: FAMILY,
    product: 'windows-7',
    servicePack: 1,
    arch: 'x64',
    description: 'Windows 7 Professional SP1 x64 with the March 2017 SMBv1 update (KB4012212/KB4012215)',
    hotfixes: ['MS17-010'],
  }),
  ...[0, 1].map((servicePack) =>
    windowsProfile({
      id: `win-2008r2-sp${servicePack}`,
      family: FAMILY,
      product: 'windows-2008r2',
      servicePack,
      arch: 'x64',
      description: `Windows Server 2008 R2 Standard SP${servicePack}, file sharing`,
    }),
  ),
  windowsProfile({
    id: 'win-2008r2-sp1-dc',
    family: FAMILY,
    product: 'windows-2008r2',
    servicePack: 1,
    arch: 'x64',
    description: 'Windows Server 2008 R2 SP1 domain controller (Active Directory, DNS)',
    domainController: true,
  }),
];
