import type { ProfileDefinition } from '../profile-definition.ts';
import { iis, windowsProfile } from '../windows-products.ts';

const FAMILY = 'windows-nt';
const web = iis('windows-nt4');

/** Windows NT 4.0: SP6a is the last service pack (November 1999); no SMB over TCP 445. */
export const WINDOWS_NT: readonly ProfileDefinition[] = [
  windowsProfile({
    id: 'win-nt4-sp6a',
    family: FAMILY,
    product: 'windows-nt4',
    servicePack: 6,
    servicePackLabel: 'SP6a',
    arch: 'x86',
    description: 'Windows NT Server 4.0 SP6a, file and print sharing over NetBIOS',
  }),
  windowsProfile({
    id: 'win-nt4-sp6a-iis4',
    family: FAMILY,
    product: 'windows-nt4',
    servicePack: 6,
    servicePackLabel: 'SP6a',
    arch: 'x86',
    description: 'Windows NT Server 4.0 SP6a with IIS 4.0 and Index Server 2.0 (NT 4.0 Option Pack)',
    applications: [web.application],
    services: web.services,
  }),
];
