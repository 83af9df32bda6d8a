import type { ProfileDefinition } from '../profile-definition.ts';
import { LINUX_3_X } from '../unix-stacks.ts';

/** Apache running CGI scripts through bash, before the September 2014 Shellshock patches. */
export const LINUX_APACHE_CGI: readonly ProfileDefinition[] = [
  {
    id: 'linux-apache-bash-cgi',
    family: 'linux-apache-cgi',
    description: 'Debian 7 (wheezy) as released: Apache 2.2.22 with mod_cgi running bash 4.2 scripts under /cgi-bin/',
    os: { kind: 'linux', product: 'debian', name: 'Debian GNU/Linux 7 (wheezy)', version: '7.0' },
    arch: 'x64',
    roles: ['server'],
    applications: [
      { name: 'apache-httpd', version: '2.2.22', features: ['mod_cgi'] },
      { name: 'bash', version: '4.2.37', features: ['cgi'] },
      { name: 'openssh', version: '6.0p1' },
    ],
    services: [
      { proto: 'tcp', port: 22, name: 'ssh', product: 'OpenSSH 6.0p1', banner: 'SSH-2.0-OpenSSH_6.0p1 Debian-4' },
      { proto: 'tcp', port: 80, name: 'http', product: 'Apache httpd 2.2.22 (mod_cgi)', banner: 'Apache/2.2.22 (Debian)' },
    ],
    fingerprint: LINUX_3_X,
  },
];
