import type { ExploitReport } from '../observation.ts';
import type { PeerAddress, ServiceHost } from '../service.ts';
import type { OpenPipes } from './open-pipes.ts';
import { smbHostState } from './smb-host-state.ts';

/**
 * What the SMB1 and SMB2 handlers of one connection share: the host, the pipes, whether the
 * connection closed, and the exploit reports already made (one per vulnerability and path, so an
 * exploit's many grooming requests make one piece of evidence).
 */
export class SmbConnectionState {
  readonly host: ServiceHost;
  readonly peer: PeerAddress;
  readonly pipes: OpenPipes;
  closed = false;
  /** a kernel pool corruption this connection caused on a vulnerable profile */
  corrupted = false;
  private readonly reported = new Map<string, boolean>();

  constructor(host: ServiceHost, peer: PeerAddress, pipes: OpenPipes) {
    this.host = host;
    this.peer = peer;
    this.pipes = pipes;
  }

  /** reports once per `key`; returns whether the profile is vulnerable */
  reportOnce(key: string, report: ExploitReport): boolean {
    const earlier = this.reported.get(key);
    if (earlier !== undefined) return earlier;
    const vulnerable = this.host.reportExploit(report);
    this.reported.set(key, vulnerable);
    return vulnerable;
  }

  /** the pool is corrupted: code that arrives on this or a later connection may run in the kernel */
  markKernelCorruption(vulnerability: string): void {
    this.corrupted = true;
    const state = smbHostState(this.host);
    state.corruption ??= { vulnerability, at: this.host.now() };
  }
}
