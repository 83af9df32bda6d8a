/**
 * Builds the PDUs a dummy sends on a connection-oriented association: bind_ack / alter_context_resp,
 * bind_nak, response fragments and fault, each in the dummy's little-endian representation.
 */
import { AUTH_TRAILER_BYTES, buildAuthTrailer } from './auth-verifier.ts';
import { NdrWriter } from './ndr-writer.ts';
import { PDU_HEADER_BYTES, PacketFlag, PacketType, writePduHeader } from './pdu-header.ts';

export const NDR_TRANSFER_SYNTAX = '8a885d04-1ceb-11c9-9fe8-08002b104860';
export const NDR64_TRANSFER_SYNTAX = '71710533-beba-4937-8319-b5dbef9ccc36';
/** bind time feature negotiation (MS-RPCE §3.3.1.5.3): the last 8 bytes of the UUID are a bitmask */
export const FEATURE_NEGOTIATION_PREFIX = '6cb71c2c-9812-4540';

export const ContextResult = { Acceptance: 0, UserRejection: 1, ProviderRejection: 2, NegotiateAck: 3 } as const;
export const RejectReason = { NotSpecified: 0, AbstractSyntaxNotSupported: 1, TransferSyntaxesNotSupported: 2 } as const;
export const BindNakReason = { NotSpecified: 0, ProtocolVersionNotSupported: 4, AuthenticationTypeNotRecognized: 8 } as const;

export interface ContextAnswer {
  result: number;
  reason: number;
  /** the transfer syntax accepted, all zeros for a rejection */
  transferSyntax: string;
  transferVersion: number;
}

export interface AuthAnswer {
  type: number;
  level: number;
  contextId: number;
  token: Uint8Array;
}

export interface BindAnswer {
  packetType: PacketType.BindAck | PacketType.AlterContextResponse;
  callId: number;
  maxTransmit: number;
  maxReceive: number;
  associationGroup: number;
  /** the port or pipe the client reached ("135", "\\PIPE\\srvsvc"); empty in alter_context_resp */
  secondaryAddress: string;
  contexts: ContextAnswer[];
  auth?: AuthAnswer;
}

export function buildBindAnswer(answer: BindAnswer): Uint8Array {
  const body = new NdrWriter();
  body.u16(answer.maxTransmit).u16(answer.maxReceive).u32(answer.associationGroup);
  const address = answer.secondaryAddress;
  body.u16(address.length === 0 ? 0 : address.length + 1);
  for (let index = 0; index < address.length; index++) body.u8(address.charCodeAt(index));
  if (address.length > 0) body.u8(0);
  // the body follows a 16-byte header, so aligning within the body aligns within the PDU
  body.align(4);
  body.u8(answer.contexts.length).u8(0).u16(0);
  for (const context of answer.contexts) {
    body.u16(context.result).u16(context.reason).uuid(context.transferSyntax).u32(context.transferVersion);
  }
  return assemble(answer.packetType, PacketFlag.FirstFragment | PacketFlag.LastFragment, answer.callId, body.finish(), answer.auth);
}

export function buildBindNak(callId: number, reason: number): Uint8Array {
  // the versions supported: just 5.0
  const body = Uint8Array.from([reason & 0xff, reason >>> 8, 1, 5, 0]);
  return assemble(PacketType.BindNak, PacketFlag.FirstFragment | PacketFlag.LastFragment, callId, body);
}

export function buildFault(callId: number, contextId: number, status: number, didNotExecute: boolean): Uint8Array {
  const body = new NdrWriter().u32(0).u16(contextId).u8(0).u8(0).u32(status).u32(0).finish();
  const flags = PacketFlag.FirstFragment | PacketFlag.LastFragment | (didNotExecute ? PacketFlag.DidNotExecute : 0);
  return assemble(PacketType.Fault, flags, callId, body);
}

/**
 * The response stub cut into fragments no longer than `maxFragment`; every fragment but the last
 * carries a multiple of 8 stub bytes, as C706 §12.6.3.7 asks.
 */
export function buildResponse(callId: number, contextId: number, stub: Uint8Array, maxFragment: number): Uint8Array[] {
  const headerBytes = PDU_HEADER_BYTES + 8;
  const perFragment = Math.max(8, Math.floor((maxFragment - headerBytes) / 8) * 8);
  const fragments: Uint8Array[] = [];
  let offset = 0;
  do {
    const piece = stub.subarray(offset, offset + perFragment);
    const first = offset === 0;
    offset += piece.length;
    const last = offset >= stub.length;
    const flags = (first ? PacketFlag.FirstFragment : 0) | (last ? PacketFlag.LastFragment : 0);
    const body = new Uint8Array(8 + piece.length);
    const view = new DataView(body.buffer);
    view.setUint32(0, stub.length - (offset - piece.length), true); // alloc_hint: what is left
    view.setUint16(4, contextId, true);
    body.set(piece, 8);
    fragments.push(assemble(PacketType.Response, flags, callId, body));
  } while (offset < stub.length);
  return fragments;
}

function assemble(packetType: number, flags: number, callId: number, body: Uint8Array, auth?: AuthAnswer): Uint8Array {
  const padLength = auth ? (4 - ((PDU_HEADER_BYTES + body.length) % 4)) % 4 : 0;
  const trailer = auth ? buildAuthTrailer(auth.type, auth.level, padLength, auth.contextId, auth.token) : new Uint8Array(0);
  const total = PDU_HEADER_BYTES + body.length + padLength + trailer.length;
  const pdu = new Uint8Array(total);
  writePduHeader(pdu, { packetType, flags, fragmentLength: total, authLength: auth ? trailer.length - AUTH_TRAILER_BYTES : 0, callId });
  pdu.set(body, PDU_HEADER_BYTES);
  pdu.set(trailer, PDU_HEADER_BYTES + body.length + padLength);
  return pdu;
}
