/**
 * The few SPNEGO tokens ([RFC 4178], DER) an SMB server sends around NTLMSSP: the mechanism list
 * in the NEGOTIATE response and the negTokenResp wrapping the challenge and the final verdict.
 */

const SPNEGO_OID = Uint8Array.of(0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02);
const NTLMSSP_OID = Uint8Array.of(0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a);

export const NegotiationState = { acceptCompleted: 0, acceptIncomplete: 1, reject: 2 } as const;

function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const lengthBytes =
    length < 0x80 ? [length] : length < 0x100 ? [0x81, length] : length < 0x10000 ? [0x82, length >> 8, length & 0xff] : [0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
  const out = new Uint8Array(1 + lengthBytes.length + length);
  out[0] = tag;
  out.set(lengthBytes, 1);
  let offset = 1 + lengthBytes.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** negTokenInit offering NTLMSSP, as the NEGOTIATE response's security blob. */
export function spnegoInitToken(): Uint8Array {
  const mechTypes = der(0xa0, der(0x30, NTLMSSP_OID));
  return der(0x60, SPNEGO_OID, der(0xa0, der(0x30, mechTypes)));
}

/** negTokenResp with a state and, optionally, the NTLMSSP token it carries. */
export function spnegoResponseToken(state: number, ntlmToken?: Uint8Array): Uint8Array {
  const parts = [der(0xa0, Uint8Array.of(0x0a, 0x01, state))];
  if (ntlmToken) {
    parts.push(der(0xa1, NTLMSSP_OID));
    parts.push(der(0xa2, der(0x04, ntlmToken)));
  }
  return der(0xa1, der(0x30, ...parts));
}

/** Whether a client blob is SPNEGO-wrapped (negTokenInit or negTokenResp) rather than raw NTLMSSP. */
export function isSpnego(blob: Uint8Array): boolean {
  return blob.length > 0 && (blob[0] === 0x60 || blob[0] === 0xa1);
}
