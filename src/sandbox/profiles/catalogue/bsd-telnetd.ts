import type { ProfileDefinition } from '../profile-definition.ts';
import { FREEBSD_8 } from '../unix-stacks.ts';

/** FreeBSD with telnetd enabled in inetd, as released before the December 2011 advisory. */
export const BSD_TELNETD: readonly ProfileDefinition[] = [
  {
    id: 'freebsd-telnetd',
    family: 'bsd-telnetd',
    description: 'FreeBSD 8.2-RELEASE i386 with telnetd (encryption option compiled in) enabled in inetd',
    os: { kind: 'freebsd', product: 'freebsd', name: 'FreeBSD 8.2-RELEASE', version: '8.2' },
    arch: 'x86',
    roles: ['server'],
    applications: [
      { name: 'bsd-telnetd', version: '8.2', features: ['encrypt-option'] },
      { name: 'openssh', version: '5.4p1' },
    ],
    services: [
      { proto: 'tcp', port: 22, name: 'ssh', product: 'OpenSSH 5.4p1', banner: 'SSH-2.0-OpenSSH_5.4p1 FreeBSD-20100308' },
      { proto: 'tcp', port: 23, name: 'telnet', product: 'FreeBSD telnetd', banner: 'FreeBSD/i386 ({hostname})' },
    ],
    fingerprint: FREEBSD_8,
  },
];
