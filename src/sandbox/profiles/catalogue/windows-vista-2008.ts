import type { ProfileDefinition } from '../profile-definition.ts';
import { windowsProfile } from '../windows-products.ts';

const FAMILY = 'windows-vista-2008';
const SERVER_2008_NOTE = 'Server 2008 was released as SP1 (February 2008): there is no SP0';

/** Windows Vista (January 2007, SP1 March 2008, SP2 May 2009) and Server 2008 (SP1 at release, SP2). */
export const WINDOWS_VISTA_2008: readonly ProfileDefinition[] = [
  ...[0, 1, 2].map((servicePack) =>
    windowsProfile({
      id: `win-vista-sp${servicePack}`,
      family: FAMILY,
      product: 'windows-vista',
      servicePack,
      arch: 'x86',
      description: `Windows Vista Business SP${servicePack} x86, file sharing`,
    }),
  ),
  ...[1, 2].map((servicePack) =>
    windowsProfile({
      id: `win-2008-sp${servicePack}`,
      family: FAMILY,
      product: 'windows-2008',
      servicePack,
      arch: 'x64',
      description: `Windows Server 2008 Standard SP${servicePack} x64, file sharing`,
      notes: [SERVER_2008_NOTE],
    }),
  ),
  windowsProfile({
    id: 'win-2008-dc',
    family: FAMILY,
    product: 'windows-2008',
    servicePack: 2,
    arch: 'x64',
    description: 'Windows Server 2008 SP2 x64 domain controller (Active Directory, DNS)',
    domainController: true,
    notes: [SERVER_2008_NOTE],
  }),
];
