import type { ProfileDefinition } from './profile-definition.ts';

/**
 * TCP/IP stack fingerprints of the Unix-like profiles (typical SYN/ACK parameters, p0f-style;
 * narrowing treats them as hints). None of them speaks SMB unless Samba runs.
 */
type Fingerprint = ProfileDefinition['fingerprint'];

export const LINUX_2_6: Fingerprint = {
  initialTtl: 64,
  tcpWindowSizes: [5792, 5840, 14480, 14600],
  tcpOptionOrder: ['mss', 'sackOK', 'timestamp', 'nop', 'wscale'],
  smbDialects: [],
};

export const LINUX_3_X: Fingerprint = {
  initialTtl: 64,
  tcpWindowSizes: [14480, 14600, 28960, 29200],
  tcpOptionOrder: ['mss', 'sackOK', 'timestamp', 'nop', 'wscale'],
  smbDialects: [],
};

export const LINUX_5_X: Fingerprint = {
  initialTtl: 64,
  tcpWindowSizes: [64240, 65160, 28960, 29200],
  tcpOptionOrder: ['mss', 'sackOK', 'timestamp', 'nop', 'wscale'],
  smbDialects: [],
};

export const FREEBSD_8: Fingerprint = {
  initialTtl: 64,
  tcpWindowSizes: [65535],
  tcpOptionOrder: ['mss', 'nop', 'wscale', 'sackOK', 'timestamp'],
  smbDialects: [],
};

/** SMB1 dialects smbd accepts */
export const SAMBA_SMB1_DIALECTS = [
  'PC NETWORK PROGRAM 1.0',
  'MICROSOFT NETWORKS 1.03',
  'MICROSOFT NETWORKS 3.0',
  'LANMAN1.0',
  'LM1.2X002',
  'DOS LANMAN2.1',
  'LANMAN2.1',
  'Samba',
  'NT LANMAN 1.0',
  'NT LM 0.12',
];
