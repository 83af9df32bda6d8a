/**
 * Netlogon (MS-NRPC, 12345678-1234-abcd-ef00-01234567cffb v1): the secure-channel handshake and
 * the machine password change. CVE-2020-1472 (Zerologon): the server computes ClientCredential
 * with AES-CFB8 under an all-zero IV, so for one session key in 256 an all-zero client challenge
 * encrypts to all zeros and an all-zero ClientCredential passes without the machine secret. The
 * dummy models that one key deterministically: on a vulnerable domain controller an all-zero
 * credential after an all-zero challenge with AES negotiated is accepted, and a password set on
 * such a channel resets the machine account.
 */
import { randomBytes } from 'node:crypto';
import type { Profile } from '../../../../config/index.ts';
import { FaultStatus, ReturnStatus } from '../fault-status.ts';
import { hostServiceState } from '../host-service-state.ts';
import { NdrReader } from '../ndr-reader.ts';
import { NdrWriter } from '../ndr-writer.ts';
import { isDomainController, isSamba, isWindows } from '../profile-traits.ts';
import { fault, response, type RpcCall, type RpcInterface, type RpcResult } from '../rpc-interface.ts';

export const ZEROLOGON = 'CVE-2020-1472';

const Opnum = {
  ServerReqChallenge: 4,
  ServerAuthenticate: 5,
  ServerPasswordSet: 6,
  ServerAuthenticate2: 15,
  ServerAuthenticate3: 26,
  ServerPasswordSet2: 30,
} as const;
/** NetrLogonUasLogon (0) through DsrUpdateReadOnlyServerDnsRecords (48) */
const LAST_OPNUM = 48;
/** NETLOGON_NEG_SUPPORTS_AES: the secure channel uses AES-CFB8 */
const NEGOTIATE_AES = 0x01000000;
/** what a 2008 R2 DC offers back */
const SERVER_FLAGS = 0x612fffff;
const NL_TRUST_PASSWORD_BYTES = 516;

interface SecureChannel {
  /** established with the zero credential rather than the machine secret */
  withoutSecret: boolean;
}

interface NetlogonState {
  /** client challenge per client computer name (upper case), as NetrServerReqChallenge left it */
  challenges: Map<string, Uint8Array>;
  channels: Map<string, SecureChannel>;
}

function netlogonState(call: RpcCall): NetlogonState {
  return hostServiceState(call.host, 'dcerpc.netlogon', () => ({ challenges: new Map(), channels: new Map() }));
}

export const netlogonInterface: RpcInterface = {
  name: 'netlogon',
  uuid: '12345678-1234-abcd-ef00-01234567cffb',
  majorVersion: 1,
  pipes: ['netlogon', 'lsarpc', 'lsass', 'samr', 'protected_storage'],
  offeredBy: (profile) => isWindows(profile) || isSamba(profile),
  // lsass registers Netlogon on a dynamic TCP port only where it serves secure channels: on DCs
  tcpPlacement: (profile: Profile) => (isWindows(profile) && isDomainController(profile) ? 'dynamic' : 'none'),
  invoke(call) {
    switch (call.opnum) {
      case Opnum.ServerReqChallenge:
        return requestChallenge(call);
      case Opnum.ServerAuthenticate:
      case Opnum.ServerAuthenticate2:
      case Opnum.ServerAuthenticate3:
        return authenticate(call);
      case Opnum.ServerPasswordSet:
      case Opnum.ServerPasswordSet2:
        return passwordSet(call);
      default:
        if (call.opnum > LAST_OPNUM) return fault(FaultStatus.OperationRangeError);
        return fault(FaultStatus.AccessDenied);
    }
  },
};

interface ChannelRequest {
  accountName: string;
  secureChannelType: number;
  computerName: string;
}

/** PrimaryName, AccountName, SecureChannelType, ComputerName: the prefix Authenticate* and PasswordSet* share */
function readChannelRequest(reader: NdrReader): ChannelRequest {
  reader.uniqueWideString();
  const accountName = reader.wideString().text;
  const secureChannelType = reader.u16();
  const computerName = reader.wideString().text;
  return { accountName, secureChannelType, computerName };
}

function requestChallenge(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  reader.uniqueWideString();
  const computerName = reader.wideString().text;
  const clientChallenge = Uint8Array.from(reader.take(8));
  if (reader.overrun) return truncated(call, 'netlogon_req_challenge_truncated');
  netlogonState(call).challenges.set(computerName.toUpperCase(), clientChallenge);
  return response(new NdrWriter().bytes(randomBytes(8)).u32(ReturnStatus.Success).finish());
}

function authenticate(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  const request = readChannelRequest(reader);
  const clientCredential = reader.take(8);
  const flags = call.opnum === Opnum.ServerAuthenticate ? 0 : reader.u32();
  if (reader.overrun) return truncated(call, 'netlogon_authenticate_truncated');
  const state = netlogonState(call);
  const key = request.computerName.toUpperCase();
  const challenge = state.challenges.get(key);
  const accepted = challenge !== undefined && zerologonAccepts(call, challenge, clientCredential, flags, request);
  if (accepted) state.channels.set(key, { withoutSecret: true });
  else state.channels.delete(key);
  return authenticateAnswer(call.opnum, accepted, flags);
}

/**
 * The one path by which a dummy that knows no machine secret can accept a credential: the zero
 * credential over a zero challenge under AES-CFB8. Anything else fails as a wrong secret would.
 */
function zerologonAccepts(call: RpcCall, challenge: Uint8Array, credential: Uint8Array, flags: number, request: ChannelRequest): boolean {
  const { profile } = call.host;
  if (!allZero(credential) || !allZero(challenge) || (flags & NEGOTIATE_AES) === 0) return false;
  if (call.firstTime(`${ZEROLOGON}:authenticate`)) {
    call.host.reportExploit({
      vulnerability: ZEROLOGON,
      service: 'msrpc',
      detail: `NetrServerAuthenticate with an all-zero ClientCredential after an all-zero client challenge (AES-CFB8, zero IV) for ${request.accountName || '(no account)'}: secure channel without the machine secret`,
    });
  }
  return isWindows(profile) && isDomainController(profile) && call.host.vulnerable(ZEROLOGON);
}

function authenticateAnswer(opnum: number, accepted: boolean, clientFlags: number): RpcResult {
  const writer = new NdrWriter().bytes(accepted ? randomBytes(8) : new Uint8Array(8));
  if (opnum !== Opnum.ServerAuthenticate) writer.u32(accepted ? (clientFlags & SERVER_FLAGS) >>> 0 : 0);
  if (opnum === Opnum.ServerAuthenticate3) writer.u32(accepted ? 1000 : 0);
  writer.u32(accepted ? ReturnStatus.Success : ReturnStatus.AccessDenied);
  return response(writer.finish());
}

function passwordSet(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  const request = readChannelRequest(reader);
  reader.take(8); // authenticator credential: unverifiable without the session key, and zero in the attack
  reader.u32(); // authenticator timestamp
  reader.take(call.opnum === Opnum.ServerPasswordSet2 ? NL_TRUST_PASSWORD_BYTES : 16);
  const channel = netlogonState(call).channels.get(request.computerName.toUpperCase());
  if (reader.overrun) return truncated(call, 'netlogon_password_set_truncated');
  if (!channel?.withoutSecret) return response(new NdrWriter().bytes(new Uint8Array(12)).u32(ReturnStatus.AccessDenied).finish());
  if (call.firstTime(`${ZEROLOGON}:password-set`)) {
    call.host.reportExploit({
      vulnerability: ZEROLOGON,
      service: 'msrpc',
      detail: 'machine password reset',
    });
  }
  return response(new NdrWriter().bytes(new Uint8Array(12)).u32(ReturnStatus.Success).finish());
}

function truncated(call: RpcCall, anomaly: string): RpcResult {
  call.host.anomaly(`dcerpc.${anomaly}`);
  return fault(FaultStatus.BadStubData);
}

function allZero(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes.every((byte) => byte === 0);
}
