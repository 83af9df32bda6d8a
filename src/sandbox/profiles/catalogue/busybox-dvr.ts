import type { ProfileDefinition } from '../profile-definition.ts';
import { LINUX_2_6 } from '../unix-stacks.ts';

/** Embedded DVRs and cameras: BusyBox userland, a vendor web server that runs sh, telnet. */
export const BUSYBOX_DVR: readonly ProfileDefinition[] = [
  {
    id: 'busybox-dvr',
    family: 'busybox-dvr',
    description: 'DVR on embedded Linux 2.6 (ARM): BusyBox 1.16 shell and telnetd, JAWS-style web server passing parameters to sh, RTSP',
    os: { kind: 'linux', product: 'busybox-linux', name: 'embedded Linux 2.6 with BusyBox', version: '2.6' },
    arch: 'arm',
    roles: ['embedded'],
    applications: [
      { name: 'busybox', version: '1.16.1', features: ['telnetd', 'wget', 'tftp'] },
      { name: 'dvr-httpd', version: 'JAWS/1.0', features: ['shell-command-injection'] },
    ],
    services: [
      { proto: 'tcp', port: 23, name: 'telnet', product: 'BusyBox telnetd', banner: '{hostname} login: ' },
      { proto: 'tcp', port: 80, name: 'http', product: 'DVR web server', banner: 'JAWS/1.0' },
      { proto: 'tcp', port: 554, name: 'rtsp', product: 'DVR RTSP server' },
    ],
    fingerprint: LINUX_2_6,
    notes: ['ARM: attacker code for this profile is shell commands (wget, tftp), not x86 shellcode'],
  },
];
