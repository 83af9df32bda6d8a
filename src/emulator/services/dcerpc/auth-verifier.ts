/**
 * The authentication trailer of a connection-oriented PDU (MS-RPCE §2.2.2.11): 8 bytes of
 * sec_trailer then `auth_length` bytes of token, at the very end of the fragment.
 */

export const AUTH_TRAILER_BYTES = 8;

export const AuthType = {
  None: 0,
  Spnego: 9,
  Ntlm: 10,
  Kerberos: 16,
  NetlogonSecureChannel: 0x44,
} as const;

export const AuthLevel = {
  Integrity: 5,
  Privacy: 6,
} as const;

export interface AuthVerifier {
  type: number;
  level: number;
  padLength: number;
  contextId: number;
  token: Uint8Array;
  /** where the sec_trailer starts in the fragment: the body ends before it (and its padding) */
  trailerOffset: number;
}

/**
 * The verifier of `fragment`, null when `auth_length` is 0, or 'invalid' when the declared length
 * does not fit the fragment after `bodyStart`.
 */
export function readAuthVerifier(fragment: Uint8Array, authLength: number, bodyStart: number, littleEndian: boolean): AuthVerifier | null | 'invalid' {
  if (authLength === 0) return null;
  const trailerOffset = fragment.length - authLength - AUTH_TRAILER_BYTES;
  if (trailerOffset < bodyStart) return 'invalid';
  const view = new DataView(fragment.buffer, fragment.byteOffset, fragment.byteLength);
  const padLength = fragment[trailerOffset + 2]!;
  return {
    type: fragment[trailerOffset]!,
    level: fragment[trailerOffset + 1]!,
    padLength: Math.min(padLength, trailerOffset - bodyStart),
    contextId: view.getUint32(trailerOffset + 4, littleEndian),
    token: fragment.subarray(trailerOffset + AUTH_TRAILER_BYTES),
    trailerOffset,
  };
}

/** sec_trailer + token for a PDU the dummy sends, with `padLength` already placed before it by the caller */
export function buildAuthTrailer(type: number, level: number, padLength: number, contextId: number, token: Uint8Array): Uint8Array {
  const trailer = new Uint8Array(AUTH_TRAILER_BYTES + token.length);
  trailer[0] = type;
  trailer[1] = level;
  trailer[2] = padLength;
  new DataView(trailer.buffer).setUint32(4, contextId, true);
  trailer.set(token, AUTH_TRAILER_BYTES);
  return trailer;
}
