/**
 * The Server service (srvsvc, 4b324fc8-1670-01d3-1278-5a47bf6ee188 v3) over \PIPE\srvsvc and
 * \PIPE\browser: share enumeration and server information answered plausibly, and the path
 * canonicalisation calls where MS06-040 and MS08-067 lived.
 */
import { FaultStatus } from '../fault-status.ts';
import { NdrReader } from '../ndr-reader.ts';
import { NdrWriter } from '../ndr-writer.ts';
import { hasApplicationFeature, isDomainController, processBits, servesSmbRpc } from '../profile-traits.ts';
import { fault, hijacked, response, type RpcCall, type RpcInterface, type RpcResult } from '../rpc-interface.ts';
import { canonicalizePath, MAX_PATH } from './path-canonicalization.ts';
import { callerReaches, reportOnce } from './vulnerability-access.ts';

const Opnum = {
  NetrShareEnum: 15,
  NetrServerGetInfo: 21,
  NetprPathType: 30,
  NetprPathCanonicalize: 31,
  NetprPathCompare: 32,
  NetprNameCanonicalize: 34,
} as const;
/** NetrCharDevEnum (0) through NetrServerAliasDel (56 on NT6) */
const LAST_OPNUM = 56;
const ERROR_INVALID_LEVEL = 124;
const ERROR_INVALID_NAME = 123;
const NERR_BUF_TOO_SMALL = 2123;
const PLATFORM_ID_NT = 500;
const SV_TYPE = { Workstation: 0x1, Server: 0x2, DomainController: 0x8, ServerNt: 0x8000, Nt: 0x1000 } as const;

export const serverServiceInterface: RpcInterface = {
  name: 'srvsvc',
  uuid: '4b324fc8-1670-01d3-1278-5a47bf6ee188',
  majorVersion: 3,
  pipes: ['srvsvc', 'browser', 'wkssvc'],
  offeredBy: servesSmbRpc,
  tcpPlacement: () => 'none',
  invoke(call) {
    switch (call.opnum) {
      case Opnum.NetrShareEnum:
        return shareEnum(call);
      case Opnum.NetrServerGetInfo:
        return serverGetInfo(call);
      case Opnum.NetprPathType:
      case Opnum.NetprPathCanonicalize:
      case Opnum.NetprPathCompare:
      case Opnum.NetprNameCanonicalize:
        return canonicalize(call);
      default:
        return call.opnum > LAST_OPNUM ? fault(FaultStatus.OperationRangeError) : fault(FaultStatus.AccessDenied);
    }
  },
};

interface Share {
  name: string;
  type: number;
  remark: string;
}

function shares(call: RpcCall): Share[] {
  const list: Share[] = [
    { name: 'IPC$', type: 0x80000003, remark: 'Remote IPC' },
    { name: 'ADMIN$', type: 0x80000000, remark: 'Remote Admin' },
    { name: 'C$', type: 0x80000000, remark: 'Default share' },
  ];
  const { profile } = call.host;
  if (isDomainController(profile)) list.push({ name: 'NETLOGON', type: 0, remark: 'Logon server share' }, { name: 'SYSVOL', type: 0, remark: 'Logon server share' });
  if (hasApplicationFeature(profile, 'shared-printer')) list.push({ name: 'Printer', type: 1, remark: 'Shared printer' });
  return list;
}

function shareEnum(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  reader.uniqueWideString();
  const level = reader.u32();
  reader.u32(); // union discriminant
  reader.pointer(); // the container the client offers is empty
  reader.u32();
  reader.pointer();
  reader.u32(); // preferred maximum length
  const resumePresent = reader.pointer() !== 0;
  if (reader.overrun) return truncated(call);
  const writer = new NdrWriter();
  const list = shares(call);
  if (level !== 0 && level !== 1) {
    writer.u32(level).u32(level).u32(0).u32(0);
    return response(writer.u32(resumePresent ? 1 : 0).u32(ERROR_INVALID_LEVEL).finish());
  }
  writer.u32(level).u32(level).referent().u32(list.length).referent().u32(list.length);
  for (const share of list) {
    writer.referent();
    if (level === 1) writer.u32(share.type).referent();
  }
  for (const share of list) {
    writer.wideString(share.name);
    if (level === 1) writer.wideString(share.remark);
  }
  writer.u32(list.length);
  if (resumePresent) writer.referent().u32(0);
  else writer.u32(0);
  return response(writer.u32(0).finish());
}

function serverGetInfo(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  reader.uniqueWideString();
  const level = reader.u32();
  if (reader.overrun) return truncated(call);
  const { profile, hostname } = call.host;
  const [major = 5, minor = 0] = profile.os.version.split('.').map(Number);
  const writer = new NdrWriter();
  if (level !== 100 && level !== 101) return response(writer.u32(level).u32(0).u32(ERROR_INVALID_LEVEL).finish());
  writer.u32(level).referent().u32(PLATFORM_ID_NT).referent();
  if (level === 101) {
    const server = profile.roles.includes('server') ? SV_TYPE.Server | SV_TYPE.ServerNt : 0;
    const type = SV_TYPE.Workstation | SV_TYPE.Nt | server | (isDomainController(profile) ? SV_TYPE.DomainController : 0);
    writer.u32(major).u32(minor).u32(type).referent();
  }
  writer.wideString(hostname);
  if (level === 101) writer.wideString('');
  return response(writer.u32(0).finish());
}

interface CanonicalizeRequest {
  paths: string[];
  prefix: string;
  outputBytes: number;
}

function readCanonicalizeRequest(call: RpcCall, reader: NdrReader): CanonicalizeRequest {
  reader.uniqueWideString();
  const paths = [reader.wideString().text];
  let prefix = '';
  let outputBytes = 0;
  if (call.opnum === Opnum.NetprPathCanonicalize) {
    outputBytes = reader.u32();
    prefix = reader.wideString().text;
    reader.u32(); // path type
    reader.u32(); // flags
  } else if (call.opnum === Opnum.NetprPathCompare) {
    paths.push(reader.wideString().text);
    reader.u32();
    reader.u32();
  } else if (call.opnum === Opnum.NetprNameCanonicalize) {
    outputBytes = reader.u32();
    reader.u32(); // name type
    reader.u32(); // flags
  } else {
    reader.u32();
    reader.u32();
  }
  return { paths, prefix, outputBytes };
}

const OPERATION_NAMES: Record<number, string> = {
  [Opnum.NetprPathType]: 'NetprPathType',
  [Opnum.NetprPathCanonicalize]: 'NetprPathCanonicalize',
  [Opnum.NetprPathCompare]: 'NetprPathCompare',
  [Opnum.NetprNameCanonicalize]: 'NetprNameCanonicalize',
};

function canonicalize(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  const request = readCanonicalizeRequest(call, reader);
  if (reader.overrun) return truncated(call);
  const operation = OPERATION_NAMES[call.opnum]!;
  let canonical = '';
  for (const path of request.paths) {
    const verdict = canonicalizePath(path, request.prefix);
    if (verdict.kind === 'above-start') {
      if (exploit(call, 'MS08-067', `${operation}: ${verdict.detail}; the backwards search for "\\" runs below the buffer (wcscpy underflow)`)) return hijacked();
      return canonicalAnswer(call, request, '', ERROR_INVALID_NAME);
    }
    if (verdict.kind === 'too-long') {
      const detail = `${operation}: prefix and path of ${verdict.length} characters joined into a ${MAX_PATH}-character stack buffer`;
      if (exploit(call, 'MS06-040', detail)) return hijacked();
      return canonicalAnswer(call, request, '', ERROR_INVALID_NAME);
    }
    canonical = verdict.canonical;
  }
  const status = request.outputBytes > 0 && (canonical.length + 1) * 2 > request.outputBytes ? NERR_BUF_TOO_SMALL : 0;
  return canonicalAnswer(call, request, status === 0 ? canonical : '', status);
}

/** true when attacker code took the thread: the call never returns */
function exploit(call: RpcCall, vulnerability: string, detail: string): boolean {
  if (!callerReaches(call, vulnerability)) return false;
  const vulnerable = reportOnce(call, vulnerability, detail);
  if (vulnerable) {
    call.host.runCode(call.stub, { service: 'msrpc', vulnerability, os: 'windows', bits: processBits(call.host.profile), placement: 'stack' });
  }
  return vulnerable;
}

function canonicalAnswer(call: RpcCall, request: CanonicalizeRequest, canonical: string, status: number): RpcResult {
  const writer = new NdrWriter();
  if (call.opnum === Opnum.NetprPathCanonicalize) {
    const output = new Uint8Array(Math.min(request.outputBytes, 0x10000));
    for (let index = 0; index < canonical.length && index * 2 + 1 < output.length; index++) {
      output[index * 2] = canonical.charCodeAt(index) & 0xff;
      output[index * 2 + 1] = canonical.charCodeAt(index) >>> 8;
    }
    writer.u32(output.length).bytes(output).align(4).u32(0x1001); // path type: ITYPE_PATH_ABSD
  } else if (call.opnum === Opnum.NetprNameCanonicalize) {
    const characters = Math.min(Math.floor(request.outputBytes / 2), 0x8000);
    writer.u32(characters);
    for (let index = 0; index < characters; index++) writer.u16(index < canonical.length ? canonical.charCodeAt(index) : 0);
  } else if (call.opnum === Opnum.NetprPathType) {
    writer.u32(0x1001);
  }
  return response(writer.u32(status).finish());
}

function truncated(call: RpcCall): RpcResult {
  call.host.anomaly('dcerpc.srvsvc_stub_truncated');
  return fault(FaultStatus.BadStubData);
}
