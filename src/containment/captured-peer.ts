/**
 * A server the capture already heard: when the real target of an attack connected somewhere after
 * it, the server side of that session is what the dummy should meet when it connects there too
 * (the stager calling back gets the stage the attacker sent; the JNDI lookup gets the captured
 * LDAP answer). The containment looks peers up by destination; the daemon builds the lookup.
 */
import type { NetworkAddress } from './egress-event.ts';

export interface CapturedPeerTurn {
  direction: 'to_server' | 'to_client';
  data: Uint8Array;
}

export interface CapturedPeer {
  /** the capture's session id, named in the events */
  sessionId: number;
  /** the real host's side of the captured session */
  capturedClient: NetworkAddress;
  /** the session's turns in order: `to_client` bytes are played, `to_server` turns pace them */
  turns: readonly CapturedPeerTurn[];
}

/** Captured sessions to `destination`, oldest first: the lease's nth connection there meets the nth. */
export type PeerLookup = (destination: NetworkAddress) => readonly CapturedPeer[];
