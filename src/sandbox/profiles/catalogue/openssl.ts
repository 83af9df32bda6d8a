import type { ProfileDefinition } from '../profile-definition.ts';
import { LINUX_3_X } from '../unix-stacks.ts';

function tlsServer(id: string, opensslVersion: string, description: string): ProfileDefinition {
  return {
    id,
    family: 'openssl',
    description,
    os: { kind: 'linux', product: 'linux', name: 'Linux 3.x (generic distribution)', version: '3.2' },
    arch: 'x64',
    roles: ['server'],
    applications: [
      { name: 'apache-httpd', version: '2.4.7', features: ['mod_ssl'] },
      { name: 'openssl', version: opensslVersion, features: ['heartbeat'] },
    ],
    services: [
      { proto: 'tcp', port: 80, name: 'http', product: 'Apache httpd 2.4.7', banner: 'Apache/2.4.7 (Unix) OpenSSL/' + opensslVersion },
      { proto: 'tcp', port: 443, name: 'https', product: `Apache httpd 2.4.7, mod_ssl, OpenSSL ${opensslVersion}`, banner: 'Apache/2.4.7 (Unix) OpenSSL/' + opensslVersion },
    ],
    fingerprint: LINUX_3_X,
  };
}

/** TLS servers built on OpenSSL 1.0.1: heartbeat enabled, vulnerable through 1.0.1f, fixed in 1.0.1g. */
export const OPENSSL: readonly ProfileDefinition[] = [
  tlsServer('linux-openssl-1.0.1f', '1.0.1f', 'Linux web server: Apache 2.4.7 with mod_ssl linked against OpenSSL 1.0.1f (heartbeat on)'),
  tlsServer('linux-openssl-1.0.1g', '1.0.1g', 'The same web server with OpenSSL 1.0.1g: the fixed contrast'),
];
