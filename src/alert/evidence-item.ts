/**
 * One piece of evidence behind a verdict or a host compromise, as it appears in events: what the
 * dummy (or a watched host) did, one shape per `kind`, field names in snake_case like the rest of
 * EVE. schemas/evidence.schema.json describes the same shapes; a test keeps them in step. The schema
 * lets a producer add detail fields beyond these (it checks the ones listed).
 */

/** Fields every kind may carry. */
interface EvidenceBase {
  /** one line a person reads: `connect 198.51.100.7:4444` */
  summary?: string;
  /** what did it: `shellcode`, `cmd`, `sh`, `jndi`, a service name */
  origin?: string;
}

export type EvidenceItem = EvidenceBase &
  (
    | { kind: 'connect'; proto: 'tcp'; dest_ip: string; dest_port: number; refused?: boolean; bytes_sent?: number; bytes_received?: number; first_bytes_hex?: string; sha256?: string }
    | { kind: 'listen'; proto: 'tcp' | 'udp'; port: number }
    | { kind: 'dns'; qname: string; qtype: string; answer?: string | null; via?: 'udp' | 'tcp' | 'resolver'; dest_ip?: string; dest_port?: number }
    | { kind: 'download'; protocol: 'http' | 'ftp' | 'tftp' | 'other'; url?: string; file?: string; dest_ip?: string; dest_port?: number; bytes: number; sha256: string }
    | { kind: 'exec'; shell: 'cmd' | 'sh' | 'process'; command: string }
    | { kind: 'icmp'; dest_ip: string; count: number; payload_bytes?: number }
    | { kind: 'exploit'; vulnerability: string; service: string; detail: string; vulnerable: boolean; offset?: number }
    | {
        kind: 'code';
        service: string;
        vulnerability?: string;
        os: 'windows' | 'linux';
        bits: 32 | 64;
        sha256: string;
        instructions: number;
        end_reason?: string;
        /** calls that acted on the outside (network, process, download, file) */
        active_calls?: number;
        /** the trace's call summaries, in order (the whole trace is in the evidence folder) */
        calls: string[];
      }
    | { kind: 'file'; path: string; bytes: number; sha256?: string }
    | { kind: 'implant'; name: string }
    | { kind: 'lookup'; expression: string; resolved: string }
    | { kind: 'udp'; dest_ip: string; dest_port: number; bytes: number; first_bytes_hex?: string }
    | { kind: 'http'; method: string; host: string; url: string; user_agent?: string; dest_ip?: string; dest_port?: number }
    | { kind: 'tls'; sni: string; alpn?: string[]; dest_ip?: string; dest_port?: number }
    | { kind: 'ftp'; command: string; argument: string }
    | { kind: 'ldap'; operation?: 'bind' | 'search'; base_dn?: string; name?: string; dest_ip?: string; dest_port?: number }
    | { kind: 'rmi'; strings: string[]; dest_ip?: string; dest_port?: number }
    | { kind: 'answered'; what: string }
    | { kind: 'signature'; id: number; message: string; matched_by: 'payload_key' | 'content' }
  );

export type EvidenceKind = EvidenceItem['kind'];

/** Every kind, in the order docs/events.md lists them. */
export const EVIDENCE_KINDS = [
  'connect',
  'listen',
  'dns',
  'download',
  'exec',
  'icmp',
  'exploit',
  'code',
  'file',
  'implant',
  'lookup',
  'udp',
  'http',
  'tls',
  'ftp',
  'ldap',
  'rmi',
  'answered',
  'signature',
] as const satisfies readonly EvidenceKind[];

// A kind added to EvidenceItem but not to EVIDENCE_KINDS fails to compile here.
const everyKindListed: [Exclude<EvidenceKind, (typeof EVIDENCE_KINDS)[number]>] extends [never] ? true : false = true;
void everyKindListed;
