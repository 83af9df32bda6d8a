/**
 * IRemoteActivation (4d9f4ab8-7d1c-11cf-861e-0020af6e7c57 v0), the NT 4-era activation interface
 * RPCSS still serves: RemoteActivation's pwszObjectName is the name Blaster-family exploits made
 * "\\<long server name>\…" (MS03-026). An honest anonymous activation is refused.
 */
import { FaultStatus } from '../fault-status.ts';
import { NdrReader } from '../ndr-reader.ts';
import { NdrWriter } from '../ndr-writer.ts';
import { isWindows } from '../profile-traits.ts';
import { fault, hijacked, response, type RpcCall, type RpcInterface, type RpcResult } from '../rpc-interface.ts';
import { findActivationNameOverflow, reportActivationFinding } from './dcom-activation-checks.ts';

const E_ACCESSDENIED = 0x80070005;
/** interfaces one activation may ask for: more is a malformed request */
const MAX_INTERFACES = 1024;

export const remoteActivationInterface: RpcInterface = {
  name: 'iremoteactivation',
  uuid: '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57',
  majorVersion: 0,
  pipes: ['epmapper'],
  offeredBy: isWindows,
  tcpPlacement: () => 'both',
  invoke(call) {
    if (call.opnum !== 0) return fault(FaultStatus.OperationRangeError);
    const finding = findActivationNameOverflow(call, 'RemoteActivation');
    if (finding && reportActivationFinding(call, finding)) return hijacked();
    return refused(call);
  },
};

/** how many interfaces the request asks for: the answer carries one result per interface */
function requestedInterfaces(call: RpcCall): number | null {
  const reader = new NdrReader(call.stub, call.littleEndian);
  reader.skip(4 + 4 + 4 + 16); // ORPCTHIS without extensions
  if (reader.pointer() !== 0) return null;
  reader.skip(16); // clsid
  reader.uniqueWideString(); // pwszObjectName
  if (reader.pointer() !== 0) {
    reader.u32();
    reader.conformantBytes(); // pObjectStorage
  }
  reader.u32(); // ClientImpLevel
  reader.u32(); // Mode
  const count = reader.u32();
  return reader.overrun || count > MAX_INTERFACES ? null : count;
}

function refused(call: RpcCall): RpcResult {
  const count = requestedInterfaces(call);
  if (count === null) {
    call.host.anomaly('dcerpc.remote_activation_malformed');
    return fault(FaultStatus.BadStubData);
  }
  const writer = new NdrWriter();
  writer.u32(0).u32(0); // ORPCTHAT
  writer.u32(0).u32(0); // OXID
  writer.u32(0); // no OXID bindings
  writer.bytes(new Uint8Array(16)); // IPID of IRemUnknown
  writer.u32(0); // authentication hint
  writer.u16(5).u16(7); // COM version 5.7
  writer.u32(E_ACCESSDENIED); // phr
  writer.u32(count);
  for (let index = 0; index < count; index++) writer.u32(0); // no interface data
  writer.u32(count);
  for (let index = 0; index < count; index++) writer.u32(E_ACCESSDENIED);
  writer.u32(0); // return value: the call itself went through
  return response(writer.finish());
}
