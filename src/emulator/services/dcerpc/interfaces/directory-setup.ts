/**
 * DsRole (dssetup, 3919286a-b10c-11d0-9ba8-00c04fd92ef5 v0) in lsass over \PIPE\lsarpc.
 * MS04-011 (CVE-2003-0533, Sasser): DsRolerUpgradeDownlevelServer writes its arguments into the
 * setup log through a vsprintf into a fixed 2,048-byte buffer; strings whose formatted line
 * does not fit overrun it.
 */
import { FaultStatus, ReturnStatus } from '../fault-status.ts';
import { NdrWriter } from '../ndr-writer.ts';
import { isLegacyWindows, isWindows, processBits } from '../profile-traits.ts';
import { fault, hijacked, response, type RpcCall, type RpcInterface, type RpcResult } from '../rpc-interface.ts';
import { scanWideStrings } from '../wide-string-scan.ts';
import { callerReaches, reportOnce } from './vulnerability-access.ts';

const Opnum = { GetPrimaryDomainInformation: 0, UpgradeDownlevelServer: 4 } as const;
const LAST_OPNUM = 12;
const LOG_BUFFER_CHARACTERS = 2048;
/** the timestamp and routine name the log line starts with */
const LOG_PREFIX_CHARACTERS = 64;

export const directorySetupInterface: RpcInterface = {
  name: 'dssetup',
  uuid: '3919286a-b10c-11d0-9ba8-00c04fd92ef5',
  majorVersion: 0,
  pipes: ['lsarpc', 'lsass', 'samr', 'netlogon', 'protected_storage'],
  offeredBy: (profile) => isWindows(profile) && profile.os.product !== 'windows-nt4',
  tcpPlacement: () => 'none',
  invoke(call) {
    if (call.opnum === Opnum.UpgradeDownlevelServer) return upgradeDownlevelServer(call);
    if (call.opnum === Opnum.GetPrimaryDomainInformation) return response(new NdrWriter().u32(0).u32(ReturnStatus.Win32AccessDenied).finish());
    return call.opnum > LAST_OPNUM ? fault(FaultStatus.OperationRangeError) : fault(FaultStatus.AccessDenied);
  },
};

function upgradeDownlevelServer(call: RpcCall): RpcResult {
  const strings = scanWideStrings(call.stub, call.littleEndian, (text) => text.length > 0);
  const logged = strings.reduce((sum, string) => sum + string.text.length, 0);
  if (logged + LOG_PREFIX_CHARACTERS > LOG_BUFFER_CHARACTERS && callerReaches(call, 'MS04-011')) {
    const detail = `DsRolerUpgradeDownlevelServer: ${logged} characters of arguments formatted into the ${LOG_BUFFER_CHARACTERS}-byte setup log buffer`;
    if (reportOnce(call, 'MS04-011', detail)) {
      call.host.runCode(call.stub, { service: 'msrpc', vulnerability: 'MS04-011', os: 'windows', bits: processBits(call.host.profile), placement: 'stack' });
      return hijacked();
    }
  }
  // a member server is not promoted by an anonymous caller; NT 5 answers the Win32 error
  return response(new NdrWriter().u32(0).u32(isLegacyWindows(call.host.profile) ? ReturnStatus.Win32AccessDenied : ReturnStatus.Win32NotSupported).finish());
}
