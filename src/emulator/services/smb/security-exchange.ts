import type { ServiceHost } from '../service.ts';
import { NtStatus } from './nt-status.ts';
import { NtlmMessageType, buildNtlmChallenge, findNtlmssp, ntlmMessageType, ntlmNegotiateFlags, parseNtlmAuthenticate } from './ntlmssp.ts';
import { NegotiationState, isSpnego, spnegoResponseToken } from './spnego.ts';

export interface SecurityStep {
  status: number;
  /** the security blob to send back (may be empty) */
  blob: Uint8Array;
  /** the user name the client presented, when it presented one */
  user?: string;
  /** set once the logon is decided as a null session */
  anonymous?: boolean;
}

/**
 * One NTLMSSP logon, over SPNEGO or raw. A dummy cannot know any password, so only a null session
 * succeeds; a user name with a response is refused with STATUS_LOGON_FAILURE — valid-credential
 * administration (PsExec) must not be able to compromise a dummy.
 */
export class SecurityExchange {
  private readonly host: ServiceHost;

  constructor(host: ServiceHost) {
    this.host = host;
  }

  step(blob: Uint8Array): SecurityStep {
    const wrapped = isSpnego(blob);
    const at = findNtlmssp(blob);
    if (at < 0) {
      // Kerberos or an empty token: steer the client to NTLMSSP, as Windows does without a KDC
      if (blob.length > 0) this.host.anomaly('smb.security_blob_not_ntlmssp');
      return { status: NtStatus.logonFailure, blob: new Uint8Array(0) };
    }
    const message = blob.subarray(at);
    const type = ntlmMessageType(message);
    if (type === NtlmMessageType.negotiate) {
      const challenge = buildNtlmChallenge(this.identity(), ntlmNegotiateFlags(message));
      return {
        status: NtStatus.moreProcessingRequired,
        blob: wrapped ? spnegoResponseToken(NegotiationState.acceptIncomplete, challenge) : challenge,
      };
    }
    if (type === NtlmMessageType.authenticate) {
      const authenticate = parseNtlmAuthenticate(message);
      if (!authenticate) {
        this.host.anomaly('smb.ntlmssp_authenticate_invalid');
        return { status: NtStatus.invalidParameter, blob: new Uint8Array(0) };
      }
      if (authenticate.anonymous || (authenticate.ntResponseLength === 0 && authenticate.lmResponseLength <= 1)) {
        return {
          status: NtStatus.success,
          blob: wrapped ? spnegoResponseToken(NegotiationState.acceptCompleted) : new Uint8Array(0),
          user: authenticate.user,
          anonymous: true,
        };
      }
      return { status: NtStatus.logonFailure, blob: new Uint8Array(0), user: authenticate.user };
    }
    this.host.anomaly('smb.ntlmssp_message_type_unknown');
    return { status: NtStatus.invalidParameter, blob: new Uint8Array(0) };
  }

  private identity() {
    const challenge = new Uint8Array(8);
    // a fixed-per-host challenge: replays stay deterministic, and nothing ever verifies the answer
    for (let index = 0; index < 8; index++) challenge[index] = this.host.hostname.charCodeAt(index % Math.max(1, this.host.hostname.length)) ^ (index * 37);
    const nt6 = !this.host.profile.os.version.startsWith('5.') && !this.host.profile.os.version.startsWith('4.');
    return {
      computer: this.host.hostname.toUpperCase().slice(0, 15),
      domain: 'WORKGROUP',
      osVersion: this.host.profile.os.version,
      serverChallenge: challenge,
      ...(nt6 ? { filetime: filetimeOf(this.host.now()) } : {}),
    };
  }
}

/** Windows FILETIME (100 ns since 1601) of a virtual time in milliseconds since the dummy started */
export function filetimeOf(virtualMilliseconds: number): bigint {
  const start = 1_500_000_000_000; // a fixed epoch keeps responses reproducible
  return (BigInt(Math.floor(start + virtualMilliseconds)) + 11_644_473_600_000n) * 10_000n;
}
