/**
 * One connection-oriented DCE/RPC association (C706 chapter 12, MS-RPCE §3.3), whatever carries it:
 * a TCP connection to 135 or a dynamic port, or an SMB named pipe. It buffers partial PDUs, binds
 * presentation contexts to the interfaces the transport offers, reassembles fragmented requests
 * within a bound, follows NTLMSSP far enough to know an anonymous caller from a credentialed one,
 * and dispatches calls. Malformed input becomes an anomaly and a bind_nak, a fault or a close.
 */
import { randomInt } from 'node:crypto';
import { concatBytes } from '../../../core/index.ts';
import type { PeerAddress, ServiceHost } from '../service.ts';
import { AuthLevel, AuthType, readAuthVerifier, type AuthVerifier } from './auth-verifier.ts';
import { FaultStatus } from './fault-status.ts';
import { NdrReader } from './ndr-reader.ts';
import { buildNtlmChallenge, findNtlmMessage, ntlmMessageType, NtlmMessageType, readNtlmAuthenticate } from './ntlmssp.ts';
import {
  BindNakReason,
  buildBindAnswer,
  buildBindNak,
  buildFault,
  buildResponse,
  ContextResult,
  FEATURE_NEGOTIATION_PREFIX,
  NDR_TRANSFER_SYNTAX,
  RejectReason,
  type AuthAnswer,
  type ContextAnswer,
} from './pdu-builder.ts';
import { PDU_HEADER_BYTES, PacketFlag, PacketType, readPduHeader, type PduHeader } from './pdu-header.ts';
import type { CallerIdentity, RpcInterface, RpcResult, RpcTransport } from './rpc-interface.ts';
import { spnegoResponse } from './spnego-response.ts';

/** largest fragment the dummy sends or asks for, as Windows does (5840 bytes) */
const SERVER_MAX_FRAGMENT = 5840;
/** C706's floor for max_recv_frag: a client asking for less still gets fragments this large */
const MIN_FRAGMENT = 1432;
/** a reassembled request larger than this is refused (nca_s_fault_remote_no_memory); 4 MiB */
export const MAX_CALL_STUB_BYTES = 4 * 1024 * 1024;
const NULL_UUID = '00000000-0000-0000-0000-000000000000';

interface PendingCall {
  callId: number;
  contextId: number;
  opnum: number;
  objectUuid?: string;
  fragments: Uint8Array[];
  length: number;
  littleEndian: boolean;
}

export class DceRpcConnection {
  private buffered: Uint8Array = new Uint8Array(0);
  private readonly contexts = new Map<number, RpcInterface>();
  private readonly reported = new Set<string>();
  private pending: PendingCall | null = null;
  private bound = false;
  private maxFragment = SERVER_MAX_FRAGMENT;
  private associationGroup = 0;
  private identity: CallerIdentity | 'negotiating' = 'anonymous';
  private isClosed = false;

  constructor(
    private readonly host: ServiceHost,
    private readonly peer: PeerAddress,
    private readonly transport: RpcTransport,
    /** every interface this transport reaches on this host */
    private readonly offered: readonly RpcInterface[],
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /** Bytes from the client in any pieces; the PDUs the dummy answers with, concatenated. */
  receive(bytes: Uint8Array): Uint8Array {
    if (this.isClosed) return new Uint8Array(0);
    this.buffered = concat([this.buffered, bytes]);
    const answers: Uint8Array[] = [];
    while (!this.isClosed) {
      const header = readPduHeader(this.buffered);
      if (!header) break;
      if (!this.headerUsable(header)) break;
      if (this.buffered.length < header.fragmentLength) break;
      const fragment = this.buffered.subarray(0, header.fragmentLength);
      this.buffered = this.buffered.subarray(header.fragmentLength);
      answers.push(...this.handle(header, fragment));
    }
    return concat(answers);
  }

  /** the client went away: a half-assembled call dies with it */
  end(): void {
    this.pending = null;
    this.isClosed = true;
  }

  private headerUsable(header: PduHeader): boolean {
    if (header.versionMajor !== 5) {
      this.host.anomaly('dcerpc.version_unsupported');
      this.close();
      return false;
    }
    if (header.fragmentLength < PDU_HEADER_BYTES) {
      this.host.anomaly('dcerpc.fragment_length_invalid');
      this.close();
      return false;
    }
    return true;
  }

  private handle(header: PduHeader, fragment: Uint8Array): Uint8Array[] {
    switch (header.packetType) {
      case PacketType.Bind:
        return this.onBind(header, fragment, PacketType.BindAck);
      case PacketType.AlterContext:
        return this.onBind(header, fragment, PacketType.AlterContextResponse);
      case PacketType.Auth3:
        this.onAuth3(header, fragment);
        return [];
      case PacketType.Request:
        return this.onRequest(header, fragment);
      case PacketType.CoCancel:
      case PacketType.Orphaned:
        // the client abandons its call: drop what was assembled, answer nothing (C706 §12.6.4.11)
        if (this.pending?.callId === header.callId) this.pending = null;
        return [];
      case PacketType.Shutdown:
      case PacketType.Response:
      case PacketType.Fault:
      case PacketType.BindAck:
      case PacketType.BindNak:
      case PacketType.AlterContextResponse:
        this.host.anomaly('dcerpc.packet_type_unexpected');
        this.close();
        return [];
      default:
        this.host.anomaly('dcerpc.packet_type_unknown');
        this.close();
        return [];
    }
  }

  private onBind(header: PduHeader, fragment: Uint8Array, answerType: PacketType.BindAck | PacketType.AlterContextResponse): Uint8Array[] {
    const isBind = answerType === PacketType.BindAck;
    if (isBind && this.bound) {
      // a second bind on one association is a protocol error (C706 §12.6.4.3)
      this.host.anomaly('dcerpc.bind_repeated');
      return [buildBindNak(header.callId, BindNakReason.NotSpecified)];
    }
    if (!isBind && !this.bound) this.host.anomaly('dcerpc.alter_context_before_bind');
    const verifier = readAuthVerifier(fragment, header.authLength, PDU_HEADER_BYTES + 8, header.littleEndian);
    if (verifier === 'invalid') {
      this.host.anomaly('dcerpc.auth_length_invalid');
      return [isBind ? buildBindNak(header.callId, BindNakReason.NotSpecified) : buildFault(header.callId, 0, FaultStatus.ProtocolError, true)];
    }
    const bodyEnd = verifier ? verifier.trailerOffset - verifier.padLength : fragment.length;
    const reader = new NdrReader(fragment.subarray(PDU_HEADER_BYTES, bodyEnd), header.littleEndian);
    const clientMaxTransmit = reader.u16();
    const clientMaxReceive = reader.u16();
    const associationGroup = reader.u32();
    const contextCount = reader.u8();
    reader.skip(3);
    const answers: ContextAnswer[] = [];
    const accepted: [number, RpcInterface][] = [];
    for (let index = 0; index < contextCount && !reader.overrun; index++) {
      const { answer, contextId, rpcInterface } = this.readContext(reader);
      answers.push(answer);
      if (rpcInterface) accepted.push([contextId, rpcInterface]);
    }
    if (reader.overrun || contextCount === 0) {
      this.host.anomaly(contextCount === 0 ? 'dcerpc.bind_without_contexts' : 'dcerpc.bind_truncated');
      return [isBind ? buildBindNak(header.callId, BindNakReason.NotSpecified) : buildFault(header.callId, 0, FaultStatus.ProtocolError, true)];
    }
    let auth: AuthAnswer | undefined;
    if (verifier) {
      const outcome = this.authenticateBind(verifier);
      if (outcome === 'refused') return [buildBindNak(header.callId, BindNakReason.AuthenticationTypeNotRecognized)];
      auth = outcome ?? undefined;
    }
    for (const [contextId, rpcInterface] of accepted) this.contexts.set(contextId, rpcInterface);
    if (isBind) {
      this.bound = true;
      this.maxFragment = Math.max(MIN_FRAGMENT, Math.min(SERVER_MAX_FRAGMENT, clientMaxReceive || SERVER_MAX_FRAGMENT));
      this.associationGroup = associationGroup !== 0 ? associationGroup : randomInt(0x1000, 0xffff);
    }
    const negotiated = Math.max(MIN_FRAGMENT, Math.min(SERVER_MAX_FRAGMENT, clientMaxTransmit || SERVER_MAX_FRAGMENT));
    return [
      buildBindAnswer({
        packetType: answerType,
        callId: header.callId,
        maxTransmit: negotiated,
        maxReceive: negotiated,
        associationGroup: this.associationGroup,
        secondaryAddress: isBind ? this.secondaryAddress() : '',
        contexts: answers,
        ...(auth ? { auth } : {}),
      }),
    ];
  }

  private readContext(reader: NdrReader): { answer: ContextAnswer; contextId: number; rpcInterface?: RpcInterface } {
    const contextId = reader.u16();
    const transferCount = reader.u8();
    reader.skip(1);
    const abstractUuid = reader.uuid();
    const majorVersion = reader.u16();
    reader.u16(); // minor version: Windows accepts any minor of a major it serves
    const transfers: string[] = [];
    for (let index = 0; index < transferCount && !reader.overrun; index++) {
      const transfer = reader.uuid();
      const version = reader.u32();
      transfers.push(`${transfer}/${version}`);
    }
    const rejection = (reason: number): ContextAnswer => ({ result: ContextResult.ProviderRejection, reason, transferSyntax: NULL_UUID, transferVersion: 0 });
    const feature = transfers.find((transfer) => transfer.startsWith(FEATURE_NEGOTIATION_PREFIX));
    if (feature) {
      // supports security-context multiplexing and keeping the connection on orphan (bits 1 and 2)
      const offeredBits = parseInt(feature.slice(19, 21), 16) || 0;
      return { contextId, answer: { result: ContextResult.NegotiateAck, reason: offeredBits & 0x3, transferSyntax: NULL_UUID, transferVersion: 0 } };
    }
    const rpcInterface = this.offered.find((candidate) => candidate.uuid === abstractUuid && candidate.majorVersion === majorVersion);
    if (!rpcInterface) return { contextId, answer: rejection(RejectReason.AbstractSyntaxNotSupported) };
    if (!transfers.includes(`${NDR_TRANSFER_SYNTAX}/2`)) return { contextId, answer: rejection(RejectReason.TransferSyntaxesNotSupported) };
    return {
      contextId,
      rpcInterface,
      answer: { result: ContextResult.Acceptance, reason: 0, transferSyntax: NDR_TRANSFER_SYNTAX, transferVersion: 2 },
    };
  }

  /** the answer's auth trailer, null for no trailer, 'refused' for a package a dummy cannot speak */
  private authenticateBind(verifier: AuthVerifier): AuthAnswer | null | 'refused' {
    const answer = (token: Uint8Array): AuthAnswer => ({ type: verifier.type, level: verifier.level, contextId: verifier.contextId, token });
    if (verifier.type === AuthType.NetlogonSecureChannel) {
      // the secure channel's NL_AUTH_MESSAGE answer: MessageType 1, no flags; its session key is unknowable here
      this.identity = 'unverified';
      return answer(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    }
    if (verifier.type !== AuthType.Ntlm && verifier.type !== AuthType.Spnego) return 'refused';
    const start = findNtlmMessage(verifier.token);
    if (start < 0) {
      this.host.anomaly('dcerpc.auth_token_unreadable');
      return 'refused';
    }
    const message = verifier.token.subarray(start);
    if (ntlmMessageType(message) === NtlmMessageType.Authenticate) {
      this.takeAuthenticate(message);
      return null;
    }
    this.identity = 'negotiating';
    const challenge = buildNtlmChallenge({ computer: this.host.hostname, domain: 'WORKGROUP' }, this.host.now());
    return answer(verifier.type === AuthType.Spnego ? spnegoResponse(challenge) : challenge);
  }

  private onAuth3(header: PduHeader, fragment: Uint8Array): void {
    const verifier = readAuthVerifier(fragment, header.authLength, PDU_HEADER_BYTES, header.littleEndian);
    if (verifier === 'invalid' || verifier === null) {
      this.host.anomaly('dcerpc.auth3_without_token');
      return;
    }
    const start = findNtlmMessage(verifier.token);
    if (start < 0) {
      this.host.anomaly('dcerpc.auth_token_unreadable');
      return;
    }
    this.takeAuthenticate(verifier.token.subarray(start));
  }

  private takeAuthenticate(message: Uint8Array): void {
    const logon = readNtlmAuthenticate(message);
    if (logon === 'invalid') {
      this.host.anomaly('dcerpc.ntlm_authenticate_invalid');
      this.identity = 'unverified';
      return;
    }
    this.identity = logon === 'anonymous' ? 'anonymous' : 'unverified';
  }

  private onRequest(header: PduHeader, fragment: Uint8Array): Uint8Array[] {
    const objectPresent = (header.flags & PacketFlag.ObjectUuid) !== 0;
    const bodyStart = PDU_HEADER_BYTES + 8 + (objectPresent ? 16 : 0);
    if (fragment.length < bodyStart) {
      this.host.anomaly('dcerpc.request_truncated');
      return [buildFault(header.callId, 0, FaultStatus.ProtocolError, true)];
    }
    const fields = new NdrReader(fragment.subarray(PDU_HEADER_BYTES, bodyStart), header.littleEndian);
    fields.u32(); // alloc_hint: advisory only, never trusted for sizing
    const contextId = fields.u16();
    const opnum = fields.u16();
    const objectUuid = objectPresent ? fields.uuid() : undefined;
    const verifier = readAuthVerifier(fragment, header.authLength, bodyStart, header.littleEndian);
    if (verifier === 'invalid') {
      this.host.anomaly('dcerpc.auth_length_invalid');
      return [buildFault(header.callId, contextId, FaultStatus.ProtocolError, true)];
    }
    const stubPiece = fragment.subarray(bodyStart, verifier ? verifier.trailerOffset - verifier.padLength : fragment.length);
    const first = (header.flags & PacketFlag.FirstFragment) !== 0;
    const last = (header.flags & PacketFlag.LastFragment) !== 0;
    if (first) {
      if (this.pending) this.host.anomaly('dcerpc.fragment_call_abandoned');
      this.pending = { callId: header.callId, contextId, opnum, fragments: [], length: 0, littleEndian: header.littleEndian, ...(objectUuid ? { objectUuid } : {}) };
    } else if (!this.pending || this.pending.callId !== header.callId) {
      this.host.anomaly('dcerpc.fragment_unexpected');
      return [];
    }
    const call = this.pending!;
    if (call.length + stubPiece.length > MAX_CALL_STUB_BYTES) {
      this.host.anomaly('dcerpc.request_too_large');
      this.pending = null;
      return [buildFault(header.callId, contextId, FaultStatus.RemoteNoMemory, true)];
    }
    call.fragments.push(stubPiece);
    call.length += stubPiece.length;
    if (!last) return [];
    this.pending = null;
    if (verifier && verifier.level >= AuthLevel.Privacy) {
      // a sealed stub needs the session key of a logon the dummy could not verify
      return [buildFault(header.callId, contextId, FaultStatus.AccessDenied, true)];
    }
    return this.dispatch(call, concat(call.fragments));
  }

  private dispatch(call: PendingCall, stub: Uint8Array): Uint8Array[] {
    const rpcInterface = this.contexts.get(call.contextId);
    if (!rpcInterface) {
      this.host.anomaly(this.bound ? 'dcerpc.request_context_unknown' : 'dcerpc.request_before_bind');
      return [buildFault(call.callId, call.contextId, FaultStatus.UnknownInterface, true)];
    }
    const result = this.invoke(rpcInterface, call, stub);
    if (result.kind === 'hijacked') return [];
    if (result.kind === 'fault') {
      const didNotExecute = result.status === FaultStatus.OperationRangeError || result.status === FaultStatus.UnknownInterface;
      return [buildFault(call.callId, call.contextId, result.status, didNotExecute)];
    }
    return buildResponse(call.callId, call.contextId, result.stub, this.maxFragment);
  }

  private invoke(rpcInterface: RpcInterface, call: PendingCall, stub: Uint8Array): RpcResult {
    try {
      return rpcInterface.invoke({
        host: this.host,
        peer: this.peer,
        transport: this.transport,
        caller: this.identity === 'negotiating' ? 'anonymous' : this.identity,
        opnum: call.opnum,
        stub,
        littleEndian: call.littleEndian,
        ...(call.objectUuid ? { objectUuid: call.objectUuid } : {}),
        firstTime: (key) => {
          if (this.reported.has(key)) return false;
          this.reported.add(key);
          return true;
        },
      });
    } catch {
      // a handler bug must not take the dummy down with hostile input; it is counted, not hidden
      this.host.anomaly(`dcerpc.${rpcInterface.name}_handler_failed`);
      return { kind: 'fault', status: FaultStatus.BadStubData };
    }
  }

  private secondaryAddress(): string {
    return this.transport.kind === 'tcp' ? String(this.transport.localPort) : `\\PIPE\\${this.transport.name}`;
  }

  private close(): void {
    this.isClosed = true;
    this.pending = null;
    this.buffered = new Uint8Array(0);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}
