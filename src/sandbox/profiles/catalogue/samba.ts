import type { ProfileDefinition } from '../profile-definition.ts';
import { LINUX_2_6, LINUX_3_X, SAMBA_SMB1_DIALECTS } from '../unix-stacks.ts';

const NETBIOS_AND_SMB: ProfileDefinition['services'] = [
  { proto: 'udp', port: 137, name: 'netbios-ns', product: 'nmbd' },
  { proto: 'udp', port: 138, name: 'netbios-dgm', product: 'nmbd' },
  { proto: 'tcp', port: 139, name: 'netbios-ssn', product: 'smbd (SMB1)' },
  { proto: 'tcp', port: 445, name: 'microsoft-ds', product: 'smbd (SMB1)' },
];

/** Samba file servers of the 3.x series. */
export const SAMBA: readonly ProfileDefinition[] = [
  {
    id: 'linux-samba-3.x',
    family: 'samba',
    description: 'Linux 2.6 file server with Samba 3.0.20 and a "username map script" configured',
    os: { kind: 'linux', product: 'ubuntu', name: 'Ubuntu 8.04 LTS', version: '8.04' },
    arch: 'x86',
    roles: ['server'],
    applications: [{ name: 'samba', version: '3.0.20', features: ['username-map-script'] }],
    services: NETBIOS_AND_SMB,
    fingerprint: { ...LINUX_2_6, smbDialects: SAMBA_SMB1_DIALECTS },
  },
  {
    id: 'linux-samba-3.6',
    family: 'samba',
    description: 'Linux 3.x file server with Samba 3.6.3 and a guest-writable share',
    os: { kind: 'linux', product: 'linux', name: 'Linux 3.x (generic distribution)', version: '3.2' },
    arch: 'x64',
    roles: ['server'],
    applications: [{ name: 'samba', version: '3.6.3', features: ['writable-share'] }],
    services: NETBIOS_AND_SMB,
    fingerprint: { ...LINUX_3_X, smbDialects: SAMBA_SMB1_DIALECTS },
  },
];
