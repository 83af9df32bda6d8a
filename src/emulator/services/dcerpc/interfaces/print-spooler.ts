/**
 * The print spooler (spoolss, 12345678-1234-abcd-ef00-0123456789ab v1) over \PIPE\spoolss.
 * MS10-061 (CVE-2010-2729, Stuxnet): a print job on a shared printer, started with StartDocPrinter
 * naming an output file, is written by the spooler as SYSTEM wherever the client says (Guest
 * impersonation was not enforced): the client chooses a file in %SystemRoot%\system32 and its
 * WritePrinter data becomes that file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FaultStatus, ReturnStatus } from '../fault-status.ts';
import { hostServiceState } from '../host-service-state.ts';
import { NdrReader } from '../ndr-reader.ts';
import { NdrWriter } from '../ndr-writer.ts';
import { hasApplicationFeature, servesSmbRpc } from '../profile-traits.ts';
import { fault, response, type RpcCall, type RpcInterface, type RpcResult } from '../rpc-interface.ts';
import { callerReaches, reportOnce } from './vulnerability-access.ts';

const Opnum = { EnumPrinters: 0, OpenPrinter: 1, StartDocPrinter: 17, WritePrinter: 19, EndDocPrinter: 23, ClosePrinter: 29, OpenPrinterEx: 69 } as const;
const LAST_OPNUM = 101;
const HANDLE_BYTES = 20;
/** a print job's file is kept up to this size; the rest is counted, not stored; 16 MiB */
const MAX_JOB_BYTES = 16 * 1024 * 1024;
const MS10_061 = 'MS10-061';

interface PrintJob {
  outputFile: string | null;
  chunks: Uint8Array[];
  size: number;
  /** the spooler writes this job where the client said, as SYSTEM */
  exploited: boolean;
}

interface SpoolerState {
  /** open printer handles (hex) → the job started on them */
  handles: Map<string, PrintJob | null>;
}

function spoolerState(call: RpcCall): SpoolerState {
  return hostServiceState(call.host, 'dcerpc.spoolss', () => ({ handles: new Map() }));
}

export const printSpoolerInterface: RpcInterface = {
  name: 'spoolss',
  uuid: '12345678-1234-abcd-ef00-0123456789ab',
  majorVersion: 1,
  pipes: ['spoolss'],
  offeredBy: servesSmbRpc,
  tcpPlacement: () => 'none',
  invoke(call) {
    switch (call.opnum) {
      case Opnum.EnumPrinters:
        return response(new NdrWriter().u32(0).u32(0).u32(0).u32(0).finish());
      case Opnum.OpenPrinter:
      case Opnum.OpenPrinterEx:
        return openPrinter(call);
      case Opnum.StartDocPrinter:
        return startDoc(call);
      case Opnum.WritePrinter:
        return writePrinter(call);
      case Opnum.EndDocPrinter:
        return endDoc(call);
      case Opnum.ClosePrinter:
        return closePrinter(call);
      default:
        return call.opnum > LAST_OPNUM ? fault(FaultStatus.OperationRangeError) : fault(FaultStatus.AccessDenied);
    }
  },
};

function openPrinter(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  const name = reader.uniqueWideString()?.text ?? '';
  if (reader.overrun) return truncated(call);
  // "\\host\printer" or "\\host": only a shared printer opens; the server object opens always
  const printer = name.replace(/^\\\\[^\\]*\\?/, '');
  const shared = hasApplicationFeature(call.host.profile, 'shared-printer');
  if (printer.length > 0 && !shared) return response(new NdrWriter().bytes(new Uint8Array(HANDLE_BYTES)).u32(ReturnStatus.InvalidPrinterName).finish());
  const handle = randomBytes(HANDLE_BYTES);
  spoolerState(call).handles.set(Buffer.from(handle).toString('hex'), null);
  return response(new NdrWriter().bytes(handle).u32(0).finish());
}

function readHandle(reader: NdrReader): string {
  return Buffer.from(reader.take(HANDLE_BYTES)).toString('hex');
}

function startDoc(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  const handle = readHandle(reader);
  reader.u32(); // level
  reader.u32(); // union discriminant
  reader.pointer(); // DOC_INFO_1
  const documentPointer = reader.pointer();
  const outputPointer = reader.pointer();
  const datatypePointer = reader.pointer();
  if (documentPointer !== 0) reader.wideString();
  const outputFile = outputPointer !== 0 ? reader.wideString().text : null;
  if (datatypePointer !== 0) reader.wideString();
  if (reader.overrun) return truncated(call);
  const handles = spoolerState(call).handles;
  if (!handles.has(handle)) return response(new NdrWriter().u32(0).u32(ReturnStatus.Win32InvalidParameter).finish());
  let exploited = false;
  if (outputFile && isFilePath(outputFile) && callerReaches(call, MS10_061)) {
    exploited = reportOnce(call, MS10_061, `StartDocPrinter on a shared printer with output file "${outputFile.slice(0, 200)}": the spooler writes the job there as SYSTEM`);
  }
  handles.set(handle, { outputFile, chunks: [], size: 0, exploited });
  return response(new NdrWriter().u32(handles.size).u32(0).finish());
}

/** an output "file" that is a path rather than a port name such as LPT1: or FILE: */
function isFilePath(name: string): boolean {
  return /^[a-z]:[\\/]|^\\\\|%[a-z]+%|[\\/]/i.test(name) && !/^[a-z]+\d*:$/i.test(name);
}

function writePrinter(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  const handle = readHandle(reader);
  const data = reader.conformantBytes();
  if (reader.overrun) return truncated(call);
  const job = spoolerState(call).handles.get(handle);
  if (!job) return response(new NdrWriter().u32(0).u32(ReturnStatus.Win32InvalidParameter).finish());
  if (job.size + data.length <= MAX_JOB_BYTES) job.chunks.push(Uint8Array.from(data));
  job.size += data.length;
  return response(new NdrWriter().u32(data.length).u32(0).finish());
}

function endDoc(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  const handle = readHandle(reader);
  if (reader.overrun) return truncated(call);
  const handles = spoolerState(call).handles;
  const job = handles.get(handle);
  if (job) {
    finishJob(call, job);
    handles.set(handle, null);
  }
  return response(new NdrWriter().u32(0).finish());
}

function closePrinter(call: RpcCall): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  const handle = readHandle(reader);
  const handles = spoolerState(call).handles;
  const job = handles.get(handle);
  if (job) finishJob(call, job);
  handles.delete(handle);
  return response(new NdrWriter().bytes(new Uint8Array(HANDLE_BYTES)).u32(0).finish());
}

/** the job lands in the file the client named, on a vulnerable spooler */
function finishJob(call: RpcCall, job: PrintJob): void {
  if (!job.exploited || !job.outputFile) return;
  const bytes = Buffer.concat(job.chunks);
  const path = job.outputFile.replace(/%systemroot%/i, 'C:\\WINDOWS');
  call.host.state.files.set(path, bytes);
  call.host.observe({
    kind: 'file',
    at: call.host.now(),
    path,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    origin: `${call.peer.address}:${call.peer.port}`,
  });
}

function truncated(call: RpcCall): RpcResult {
  call.host.anomaly('dcerpc.spoolss_stub_truncated');
  return fault(FaultStatus.BadStubData);
}
