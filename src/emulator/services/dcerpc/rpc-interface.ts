/**
 * What an emulated RPC interface is to the connection that dispatches to it: an abstract syntax
 * (UUID and major version), whether the dummy's profile has it, and a handler per call.
 */
import type { Profile } from '../../../config/index.ts';
import type { PeerAddress, ServiceHost } from '../service.ts';

/** how the call reached the dummy: a TCP port (135 or a dynamic one) or an SMB named pipe */
export type RpcTransport = { kind: 'tcp'; localPort: number } | { kind: 'pipe'; name: string };

/**
 * Who the caller is, as far as a dummy can tell: nobody (null session, anonymous NTLM, no auth), or
 * someone whose credentials it cannot check because it knows no passwords.
 */
export type CallerIdentity = 'anonymous' | 'unverified';

export interface RpcCall {
  readonly host: ServiceHost;
  readonly peer: PeerAddress;
  readonly transport: RpcTransport;
  readonly caller: CallerIdentity;
  readonly opnum: number;
  /** the reassembled stub in the client's data representation */
  readonly stub: Uint8Array;
  readonly littleEndian: boolean;
  /** the object UUID of the request, when the client set one (DCOM calls on an IPID) */
  readonly objectUuid?: string;
  /** true once per connection for `key`: findings are reported once per connection, not per retry */
  firstTime(key: string): boolean;
}

export type TcpPlacement = 'port-135' | 'dynamic' | 'both' | 'none';

/**
 * What a call comes to: a response stub, a fault, or nothing at all because attacker code took
 * over the server thread (the call never returns; the connection stays open, as a hijacked RPC
 * thread leaves it).
 */
export type RpcResult = { kind: 'response'; stub: Uint8Array } | { kind: 'fault'; status: number } | { kind: 'hijacked' };

export interface RpcInterface {
  /** short name used in anomalies and state keys: `srvsvc`, `netlogon` */
  readonly name: string;
  /** lower-case text UUID */
  readonly uuid: string;
  readonly majorVersion: number;
  /** whether a host of this profile runs the interface at all */
  offeredBy(profile: Profile): boolean;
  /** named pipes (lower case, no PIPE prefix) whose server process also serves this interface */
  readonly pipes: readonly string[];
  /** where it listens over TCP on this profile: 135, the endpoint mapper's dynamic ports, both, or not at all */
  tcpPlacement(profile: Profile): TcpPlacement;
  invoke(call: RpcCall): RpcResult;
}

export function response(stub: Uint8Array): RpcResult {
  return { kind: 'response', stub };
}

export function fault(status: number): RpcResult {
  return { kind: 'fault', status };
}

export function hijacked(): RpcResult {
  return { kind: 'hijacked' };
}
