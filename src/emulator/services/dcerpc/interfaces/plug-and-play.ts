/**
 * Plug and Play (umpnpmgr, 8d9f4e40-a03d-11ce-8f69-08003e30051b v1), in services.exe on NT 5 and
 * reached through \PIPE\browser and \PIPE\ntsvcs. MS05-039 (CVE-2005-1983, Zotob):
 * PNP_QueryResConfList copies the device instance ID into a MAX_DEVICE_ID_LEN (200-character)
 * stack buffer while validating it; a longer ID overruns it.
 */
import { FaultStatus } from '../fault-status.ts';
import { NdrReader } from '../ndr-reader.ts';
import { NdrWriter } from '../ndr-writer.ts';
import { isWindows, processBits } from '../profile-traits.ts';
import { fault, hijacked, response, type RpcCall, type RpcInterface, type RpcResult } from '../rpc-interface.ts';
import { callerReaches, reportOnce } from './vulnerability-access.ts';

const Opnum = { GetVersion: 2, QueryResConfList: 54 } as const;
const LAST_OPNUM = 65;
const MAX_DEVICE_ID_LEN = 200;
const CR_ACCESS_DENIED = 0x33;
const CR_INVALID_DEVINST = 0x05;

export const plugAndPlayInterface: RpcInterface = {
  name: 'pnp',
  uuid: '8d9f4e40-a03d-11ce-8f69-08003e30051b',
  majorVersion: 1,
  pipes: ['browser', 'ntsvcs', 'srvsvc', 'svcctl'],
  offeredBy: isWindows,
  tcpPlacement: () => 'none',
  invoke(call) {
    if (call.opnum === Opnum.GetVersion) return response(new NdrWriter().u16(0x0400).u32(0).finish());
    if (call.opnum === Opnum.QueryResConfList) return queryResConfList(call);
    return call.opnum > LAST_OPNUM ? fault(FaultStatus.OperationRangeError) : response(new NdrWriter().u32(CR_ACCESS_DENIED).finish());
  },
};

function queryResConfList(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  const deviceId = reader.wideString();
  if (reader.overrun) {
    call.host.anomaly('dcerpc.pnp_stub_truncated');
    return fault(FaultStatus.BadStubData);
  }
  const length = Math.max(deviceId.text.length, deviceId.actualCount);
  if (length > MAX_DEVICE_ID_LEN && callerReaches(call, 'MS05-039')) {
    const detail = `PNP_QueryResConfList: device instance ID of ${length} characters, validated in a ${MAX_DEVICE_ID_LEN}-character stack buffer`;
    if (reportOnce(call, 'MS05-039', detail)) {
      call.host.runCode(call.stub, { service: 'msrpc', vulnerability: 'MS05-039', os: 'windows', bits: processBits(call.host.profile), placement: 'stack' });
      return hijacked();
    }
  }
  // the out buffer is a conformant array of ResourceLen bytes; an unknown device answers none
  return response(new NdrWriter().u32(0).u32(0).u32(CR_INVALID_DEVINST).finish());
}
