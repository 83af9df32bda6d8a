import type { Session } from '../core/index.ts';
import type { ObservedFacts } from '../sandbox/index.ts';
import type { OversizeField } from './oversize-fields.ts';
import type { ServiceIdentification } from './service-identifier.ts';

/** A host that sent a payload; every sender of a deduplicated payload gets the job's verdict. */
export interface Sender {
  ip: string;
  port: number;
  /** MAC as a 48-bit integer, -1 when unknown */
  mac: number;
  vlan: number;
  sessionId: number;
  /** the protected host it was aimed at */
  targetIp: string;
  targetPort: number;
  /** capture time of the session's start, seconds since 1970 */
  seconds: number;
}

/** Why a job ranks where it does: each part of the score, so an operator can see the reason. */
export interface PriorityReasons {
  /** best score of the shellcode finder over the scanned client bytes, 0 when none */
  shellcodeScore: number;
  /** finder reasons of the best candidate (getpc_call_pop, nop_sled …) */
  shellcodeReasons: string[];
  /** text-form attacker code found (jndi_lookup, shellshock_function …) */
  injectionMarkers: string[];
  oversizeFields: OversizeField[];
  /** distinct host/port targets the sender touched within the scan window */
  senderTargets: number;
  scanningSource: boolean;
  firstSeenPayload: boolean;
  /** client-side jobs: what the responses deliver to a browser (decoded_strings, heap_spray, plugin:flash …) */
  clientSide?: string[];
}

export interface SignatureMatch {
  signatureId: number;
  /** 'payload_key': the normalised payload is one already proven; 'content': the signature's pattern occurs */
  matchedBy: 'payload_key' | 'content';
}

/**
 * A replay job: one payload, to be detonated once on each of its profiles. The session is the
 * first copy seen (what the replay plays); `senders` grows as identical copies arrive.
 */
export interface ReplayJob {
  /** unique within one Triage, increasing */
  id: number;
  payloadKey: string;
  /** byte ranges of the client stream the key masked (per-connection fields) */
  maskedRanges: Array<[number, number]>;
  service: ServiceIdentification & { proto: 'tcp' | 'udp'; port: number };
  session: Session;
  senders: Sender[];
  /** ids of the profiles to detonate on */
  profileIds: string[];
  /** what the capture showed of the target, and which of it the profile choice used */
  targetFacts: ObservedFacts;
  factsUsed: Array<keyof ObservedFacts>;
  priority: number;
  reasons: PriorityReasons;
  /** the capture did not show the handshake: the replay starts from the first client bytes it has */
  midstream: boolean;
  /** `to_client`: the session's server side is played into client-side dummies (their browser); absent: the client side into servers */
  direction?: 'to_client';
  /** set when a learned signature already proved this payload: no replay needed */
  signature?: SignatureMatch;
}

export function senderOf(session: Session): Sender {
  return {
    ip: session.client.ip,
    port: session.client.port,
    mac: session.client.mac,
    vlan: session.vlan,
    sessionId: session.id,
    targetIp: session.server.ip,
    targetPort: session.server.port,
    seconds: session.startSeconds,
  };
}
