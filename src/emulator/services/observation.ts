/**
 * What an emulated dummy noticed about itself, in the order it happened. The verdict stage reads
 * these (with the containment's egress events): an `exploit` on a vulnerable profile is `exploited`;
 * code that ran with outward behaviour, a command run, a listener opened, a file dropped or an
 * implant installed is `compromised`.
 */
import type { BehaviourTrace } from '../behaviour/trace.ts';

export interface ExploitReport {
  /** bulletin or CVE id as the catalogue names it: `MS17-010`, `CVE-2014-0160` */
  vulnerability: string;
  /** the service where it happened: `smb`, `msrpc`, `http`, `tls`, `ms-sql-m` */
  service: string;
  /** one line a person reads: "FEA list of 65,536 bytes declared, 4,096 converted: pool overflow" */
  detail: string;
  /** where the attacker bytes sit in the client's stream, when known */
  offset?: number;
}

/** What the service knows about where attacker code lands, so the runner tries the right place first. */
export interface CodeHints {
  /** the service where the code arrived */
  service: string;
  /** `MS02-039`: the vulnerability that hands control to the code */
  vulnerability?: string;
  os?: 'windows' | 'linux';
  bits?: 32 | 64;
  /** Windows kernel code (EternalBlue's ring-0 payload) rather than a user process */
  kernel?: boolean;
  /** the code is on the stack at esp (a stack overflow returning through `jmp esp`) */
  placement?: 'region' | 'stack';
  /** offsets in the bytes to try before the finder's own candidates */
  offsets?: number[];
}

export type DummyObservation =
  | ({ kind: 'exploit'; vulnerable: boolean; at: number } & ExploitReport)
  | { kind: 'code'; at: number; service: string; vulnerability?: string; trace: BehaviourTrace; bytesSha256: string }
  | { kind: 'exec'; at: number; shell: 'cmd' | 'sh' | 'process'; command: string; origin: string }
  | { kind: 'listen'; at: number; proto: 'tcp' | 'udp'; port: number; origin: string }
  | { kind: 'file'; at: number; path: string; bytes: number; sha256: string; origin: string }
  /** attacker code made itself outlive its run: a hooked dispatch slot, a patched image, queued user-mode code … */
  | { kind: 'implant'; at: number; name: string; origin: string; mechanism?: string; detail?: string }
  | { kind: 'lookup'; at: number; expression: string; resolved: string; origin: string }
  /** the dummy answered a check the way an infected host does (a bind shell's banner, an implant's reply) */
  | { kind: 'answered'; at: number; what: string; origin: string };

export type DummyObservationKind = DummyObservation['kind'];
