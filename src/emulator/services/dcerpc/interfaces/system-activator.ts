/**
 * ISystemActivator (000001a0-0000-0000-c000-000000000046 v0), RPCSS's activation interface on 135
 * and reached on the dynamic ports: RemoteCreateInstance and RemoteGetClassObject carry activation
 * properties whose names (MS03-026, MS03-039) and sizes (MS03-039) RPCSS mishandled. An honest
 * anonymous activation is refused as access denied, as a host that does not let anonymous callers
 * launch servers answers.
 */
import { FaultStatus } from '../fault-status.ts';
import { NdrWriter } from '../ndr-writer.ts';
import { isWindows } from '../profile-traits.ts';
import { fault, hijacked, response, type RpcCall, type RpcInterface, type RpcResult } from '../rpc-interface.ts';
import { findActivationSizeMismatch } from './activation-properties.ts';
import { findActivationNameOverflow, reportActivationFinding, type ActivationFinding } from './dcom-activation-checks.ts';

const Opnum = { RemoteGetClassObject: 3, RemoteCreateInstance: 4 } as const;
const E_ACCESSDENIED = 0x80070005;

export const systemActivatorInterface: RpcInterface = {
  name: 'isystemactivator',
  uuid: '000001a0-0000-0000-c000-000000000046',
  majorVersion: 0,
  pipes: ['epmapper'],
  offeredBy: isWindows,
  tcpPlacement: () => 'both',
  invoke(call) {
    // opnums 0-2 are IUnknown's, which never travel over RPC
    if (call.opnum !== Opnum.RemoteGetClassObject && call.opnum !== Opnum.RemoteCreateInstance) return fault(FaultStatus.OperationRangeError);
    const operation = call.opnum === Opnum.RemoteCreateInstance ? 'RemoteCreateInstance' : 'RemoteGetClassObject';
    const finding = findActivationNameOverflow(call, operation) ?? sizeFinding(call, operation);
    if (finding && reportActivationFinding(call, finding)) return hijacked();
    return refused();
  },
};

function sizeFinding(call: RpcCall, operation: string): ActivationFinding | null {
  const mismatch = findActivationSizeMismatch(call.stub, call.littleEndian);
  if (!mismatch) return null;
  return {
    vulnerability: 'MS03-039',
    detail: `${operation}: ${mismatch.what} declares ${mismatch.declared} where the request carries ${mismatch.carried}: RPCSS copies by the declaration`,
    offset: 0,
    placement: 'region',
  };
}

/** ORPCTHAT (flags, no extensions), a null out-properties pointer, E_ACCESSDENIED */
function refused(): RpcResult {
  return response(new NdrWriter().u32(0).u32(0).u32(0).u32(E_ACCESSDENIED).finish());
}
