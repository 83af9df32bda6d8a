/**
 * What RPCSS did wrong with the names and lengths in a DCOM activation request, for both
 * IRemoteActivation::RemoteActivation and ISystemActivator::RemoteCreateInstance:
 *
 * - MS03-026 (CVE-2003-0352): a file or object name of the form `\\server\…` has its server part
 *   copied by GetServerPath / GetMachineName into a 32-character stack buffer with no bound; a
 *   longer server part overruns it and the saved return address.
 * - MS03-039 (CVE-2003-0528, CVE-2003-0715): the same path longer than MAX_PATH overruns a heap
 *   buffer; and activation property blobs whose declared sizes disagree with the bytes sent are
 *   copied by those sizes.
 */
import type { ServiceHost } from '../../service.ts';
import type { NdrString } from '../ndr-reader.ts';
import { processBits } from '../profile-traits.ts';
import type { RpcCall } from '../rpc-interface.ts';
import { scanWideStrings } from '../wide-string-scan.ts';

/** GetMachineName's buffer, in characters, terminator included */
export const SERVER_NAME_BUFFER_CHARACTERS = 32;
const MAX_PATH = 260;

export interface ActivationFinding {
  vulnerability: 'MS03-026' | 'MS03-039';
  detail: string;
  /** where attacker bytes sit in the stub */
  offset: number;
  placement: 'stack' | 'region';
}

/** The first overflow a name in the activation stub causes, or null for honest names. */
export function findActivationNameOverflow(call: RpcCall, operation: string): ActivationFinding | null {
  const paths = scanWideStrings(call.stub, call.littleEndian, (text) => text.startsWith('\\\\') || text.length > MAX_PATH);
  for (const path of paths) {
    const serverName = uncServerName(path);
    if (serverName !== null && serverName.length + 1 > SERVER_NAME_BUFFER_CHARACTERS) {
      return {
        vulnerability: 'MS03-026',
        detail: `${operation}: server name of ${serverName.length} characters in "\\\\server\\…" path, GetMachineName copies it into a ${SERVER_NAME_BUFFER_CHARACTERS}-character stack buffer`,
        offset: path.dataOffset,
        placement: 'stack',
      };
    }
  }
  const long = paths.find((path) => path.text.length > MAX_PATH);
  if (long) {
    return {
      vulnerability: 'MS03-039',
      detail: `${operation}: activation path of ${long.text.length} characters, longer than the MAX_PATH buffer RPCSS copies it into`,
      offset: long.dataOffset,
      placement: 'region',
    };
  }
  return null;
}

/** the server part of a `\\server\share…` name, or null when the text is not a UNC path */
export function uncServerName(path: NdrString): string | null {
  if (!path.text.startsWith('\\\\')) return null;
  const rest = path.text.slice(2);
  const end = rest.indexOf('\\');
  return end < 0 ? rest : rest.slice(0, end);
}

/** Reports a finding once per connection and, on a vulnerable profile, runs the code it carries. */
export function reportActivationFinding(call: RpcCall, finding: ActivationFinding): boolean {
  const host: ServiceHost = call.host;
  if (!call.firstTime(`${finding.vulnerability}:activation`)) return host.vulnerable(finding.vulnerability);
  const vulnerable = host.reportExploit({ vulnerability: finding.vulnerability, service: 'msrpc', detail: finding.detail, offset: finding.offset });
  if (vulnerable) {
    host.runCode(call.stub, {
      service: 'msrpc',
      vulnerability: finding.vulnerability,
      os: 'windows',
      bits: processBits(host.profile),
      placement: finding.placement,
      offsets: [finding.offset],
    });
  }
  return vulnerable;
}
