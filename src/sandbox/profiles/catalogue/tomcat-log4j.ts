import type { ProfileDefinition } from '../profile-definition.ts';
import { LINUX_5_X } from '../unix-stacks.ts';

const JAVA_NOTE = 'JDK 8 older than 8u191: an LDAP reference may load a class from a remote codebase';

/** Java web applications that log request data through Log4j 2 (vulnerable 2.0-beta9 to 2.14.1). */
export const TOMCAT_LOG4J: readonly ProfileDefinition[] = [
  {
    id: 'linux-tomcat-log4j-2.14',
    family: 'tomcat-log4j',
    description: 'Linux container: Tomcat 8.0.36 on JDK 8 serving a web application that logs headers and form fields with Log4j 2.14.1',
    os: { kind: 'linux', product: 'debian', name: 'Debian GNU/Linux 8 (container)', version: '8' },
    arch: 'x64',
    roles: ['server'],
    applications: [
      { name: 'java', version: '1.8.0_102' },
      { name: 'tomcat', version: '8.0.36' },
      { name: 'log4j', version: '2.14.1', features: ['logs-request-data'] },
    ],
    services: [{ proto: 'tcp', port: 8080, name: 'http', product: 'Apache Tomcat 8.0.36 (Coyote HTTP/1.1)', banner: 'Apache-Coyote/1.1' }],
    fingerprint: LINUX_5_X,
    notes: [JAVA_NOTE],
  },
  {
    id: 'linux-java-log4j-2.14',
    family: 'tomcat-log4j',
    description: 'Linux container: a Java HTTP service (embedded server on TCP 8000) logging request paths and headers with Log4j 2.14.1',
    os: { kind: 'linux', product: 'debian', name: 'Debian GNU/Linux 10 (container)', version: '10' },
    arch: 'x64',
    roles: ['server'],
    applications: [
      { name: 'java', version: '1.8.0_181' },
      { name: 'log4j', version: '2.14.1', features: ['logs-request-data'] },
    ],
    services: [{ proto: 'tcp', port: 8000, name: 'http', product: 'embedded Java HTTP server' }],
    fingerprint: LINUX_5_X,
    notes: [JAVA_NOTE],
  },
  {
    id: 'linux-tomcat-log4j-2.17',
    family: 'tomcat-log4j',
    description: 'The linux-tomcat-log4j-2.14 application with Log4j 2.17.1 (message lookups removed): the fixed contrast',
    os: { kind: 'linux', product: 'debian', name: 'Debian GNU/Linux 8 (container)', version: '8' },
    arch: 'x64',
    roles: ['server'],
    applications: [
      { name: 'java', version: '1.8.0_102' },
      { name: 'tomcat', version: '8.0.36' },
      { name: 'log4j', version: '2.17.1', features: ['logs-request-data'] },
    ],
    services: [{ proto: 'tcp', port: 8080, name: 'http', product: 'Apache Tomcat 8.0.36 (Coyote HTTP/1.1)', banner: 'Apache-Coyote/1.1' }],
    fingerprint: LINUX_5_X,
  },
];
