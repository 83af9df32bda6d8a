/**
 * The service control manager (svcctl, 367abb81-9844-35f1-ad32-98f038001003 v2) over \PIPE\svcctl:
 * every operation needs rights, which no caller of a dummy has (anonymous, or credentials it cannot
 * verify), so OpenSCManager answers ERROR_ACCESS_DENIED with a null handle — PsExec-style service
 * creation stops there, as it does on a real host for a caller without admin rights.
 */
import { FaultStatus, ReturnStatus } from '../fault-status.ts';
import { NdrWriter } from '../ndr-writer.ts';
import { isWindows } from '../profile-traits.ts';
import { fault, response, type RpcInterface } from '../rpc-interface.ts';

const OPEN_SC_MANAGER = new Set([15, 27]); // OpenSCManagerW, OpenSCManagerA
const LAST_OPNUM = 55;

export const serviceControlManagerInterface: RpcInterface = {
  name: 'svcctl',
  uuid: '367abb81-9844-35f1-ad32-98f038001003',
  majorVersion: 2,
  pipes: ['svcctl', 'ntsvcs'],
  offeredBy: isWindows,
  tcpPlacement: () => 'none',
  invoke(call) {
    if (OPEN_SC_MANAGER.has(call.opnum)) return response(new NdrWriter().bytes(new Uint8Array(20)).u32(ReturnStatus.Win32AccessDenied).finish());
    // CreateServiceW, StartServiceW and the rest operate on handles nobody could have opened
    return call.opnum > LAST_OPNUM ? fault(FaultStatus.OperationRangeError) : fault(FaultStatus.AccessDenied);
  },
};
