/**
 * A SPNEGO negTokenResp (RFC 4178) carrying an NTLMSSP token, for clients that bind with the
 * Negotiate package (auth type 9): the dummy always picks NTLM, as a workgroup Windows host does.
 */
const NTLMSSP_OID = [0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
const ACCEPT_INCOMPLETE = 1;

export function spnegoResponse(ntlmToken: Uint8Array): Uint8Array {
  const state = [0xa0, 0x03, 0x0a, 0x01, ACCEPT_INCOMPLETE];
  const mechanism = [0xa1, ...derLength(NTLMSSP_OID.length), ...NTLMSSP_OID];
  const octets = [0x04, ...derLength(ntlmToken.length), ...ntlmToken];
  const token = [0xa2, ...derLength(octets.length), ...octets];
  const body = [...state, ...mechanism, ...token];
  const sequence = [0x30, ...derLength(body.length), ...body];
  return Uint8Array.from([0xa1, ...derLength(sequence.length), ...sequence]);
}

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  if (length < 0x100) return [0x81, length];
  return [0x82, length >>> 8, length & 0xff];
}
