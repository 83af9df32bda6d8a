/**
 * The SAM (samr, 12345778-1234-abcd-ef00-0123456789ac v1) over the lsass pipes. Connect answers
 * as the product does for an anonymous caller (NT 5 lets a null session connect, NT 6 does not);
 * operations on accounts need rights nobody has here. On Samba with a "username map script",
 * SamrUnicodeChangePasswordUser2 hands the user name to /bin/sh (CVE-2007-2447): shell syntax in
 * the name runs.
 */
import { randomBytes } from 'node:crypto';
import { FaultStatus, ReturnStatus } from '../fault-status.ts';
import { NdrWriter } from '../ndr-writer.ts';
import { hasApplicationFeature, isLegacyWindows, isSamba, servesSmbRpc } from '../profile-traits.ts';
import { fault, response, type RpcCall, type RpcInterface, type RpcResult } from '../rpc-interface.ts';
import { scanWideStrings } from '../wide-string-scan.ts';
import { reportOnce } from './vulnerability-access.ts';

const Opnum = { Connect: 0, CloseHandle: 1, UnicodeChangePasswordUser2: 55, Connect2: 57, Connect4: 62, Connect5: 64 } as const;
const LAST_OPNUM = 73;
const STATUS_WRONG_PASSWORD = 0xc000006a;
const USERNAME_MAP_SCRIPT = '/etc/samba/scripts/mapusers.sh';
/** what /bin/sh evaluates inside the double quotes Samba puts around the name, or ends the command with */
const SHELL_SYNTAX = /`|\$\(|[;&|\n]/;

export const securityAccountManagerInterface: RpcInterface = {
  name: 'samr',
  uuid: '12345778-1234-abcd-ef00-0123456789ac',
  majorVersion: 1,
  pipes: ['samr', 'lsarpc', 'lsass', 'netlogon', 'protected_storage'],
  offeredBy: servesSmbRpc,
  tcpPlacement: () => 'none',
  invoke(call) {
    switch (call.opnum) {
      case Opnum.Connect:
      case Opnum.Connect2:
      case Opnum.Connect4:
        return connect(call, false);
      case Opnum.Connect5:
        return connect(call, true);
      case Opnum.CloseHandle:
        return response(new NdrWriter().bytes(new Uint8Array(20)).u32(0).finish());
      case Opnum.UnicodeChangePasswordUser2:
        return changePassword(call);
      default:
        return call.opnum > LAST_OPNUM ? fault(FaultStatus.OperationRangeError) : fault(FaultStatus.AccessDenied);
    }
  },
};

function connect(call: RpcCall, withRevision: boolean): RpcResult {
  const allowed = isLegacyWindows(call.host.profile) || isSamba(call.host.profile);
  const writer = new NdrWriter();
  if (withRevision) writer.u32(1).u32(1).u32(3).u32(0);
  writer.bytes(allowed ? randomBytes(20) : new Uint8Array(20));
  return response(writer.u32(allowed ? ReturnStatus.Success : ReturnStatus.AccessDenied).finish());
}

function changePassword(call: RpcCall): RpcResult {
  const { profile } = call.host;
  if (isSamba(profile) && hasApplicationFeature(profile, 'username-map-script')) {
    const injected = scanWideStrings(call.stub, call.littleEndian, (text) => SHELL_SYNTAX.test(text))[0];
    if (injected) {
      const detail = `SamrUnicodeChangePasswordUser2: user name with shell syntax passed to the username map script`;
      if (reportOnce(call, 'CVE-2007-2447', detail)) {
        call.host.runCommand('sh', `${USERNAME_MAP_SCRIPT} "${injected.text}"`, `${call.peer.address}:${call.peer.port}`);
      }
    }
  }
  return response(new NdrWriter().u32(STATUS_WRONG_PASSWORD).finish());
}
