import { ByteReader, ByteWriter, fromUtf16 } from './byte-reader.ts';
import { NtStatus } from './nt-status.ts';
import type { OpenPipe } from './open-pipes.ts';
import { SecurityExchange, filetimeOf } from './security-exchange.ts';
import { sambaUsernameMapCheck } from './samba-username-map.ts';
import type { SmbConnectionState } from './smb-connection-state.ts';
import { serverGuid } from './smb1-negotiate.ts';
import { Smb2Dialect, profileSmb2Dialects } from './smb2-dialects.ts';
import { spnegoInitToken } from './spnego.ts';

/** SMB2/3 ([MS-SMB2] 2.2): the 64-byte header and the commands a dummy's pipes need. */

export const SMB2_HEADER_LENGTH = 64;

export const Smb2Command = {
  negotiate: 0,
  sessionSetup: 1,
  logoff: 2,
  treeConnect: 3,
  treeDisconnect: 4,
  create: 5,
  close: 6,
  flush: 7,
  read: 8,
  write: 9,
  lock: 10,
  ioctl: 11,
  cancel: 12,
  echo: 13,
  queryDirectory: 14,
  changeNotify: 15,
  queryInfo: 16,
  setInfo: 17,
  oplockBreak: 18,
} as const;

const FLAG_SERVER_TO_REDIR = 0x00000001;
const FLAG_RELATED_OPERATIONS = 0x00000004;
const FSCTL_PIPE_TRANSCEIVE = 0x0011c017;
const FSCTL_PIPE_PEEK = 0x0011400c;
const FSCTL_PIPE_WAIT = 0x00110018;
const MAX_COMPOUND = 32;
const SESSION_FLAG_IS_NULL = 0x0002;

export interface Smb2Header {
  creditCharge: number;
  status: number;
  command: number;
  credits: number;
  flags: number;
  nextCommand: number;
  messageId: bigint;
  processId: number;
  treeId: number;
  sessionId: bigint;
}

interface Smb2Session {
  id: bigint;
  exchange: SecurityExchange;
  established: boolean;
}

interface Smb2Tree {
  id: number;
  ipc: boolean;
}

/** The ids a compound's related requests inherit from the one before ([MS-SMB2] 3.3.5.2.7.2). */
interface CompoundIds {
  sessionId: bigint;
  treeId: number;
  fileHandle: number | null;
}

interface Smb2Reply {
  status: number;
  body: Uint8Array;
  sessionId?: bigint;
  treeId?: number;
}

export function parseSmb2Header(message: Uint8Array): Smb2Header | null {
  const reader = new ByteReader(message);
  if (message.length < SMB2_HEADER_LENGTH || message[0] !== 0xfe || message[1] !== 0x53 || message[2] !== 0x4d || message[3] !== 0x42) return null;
  return {
    creditCharge: reader.u16(6)!,
    status: reader.u32(8)!,
    command: reader.u16(12)!,
    credits: reader.u16(14)!,
    flags: reader.u32(16)!,
    nextCommand: reader.u32(20)!,
    messageId: reader.u64(24)!,
    processId: reader.u32(32)!,
    treeId: reader.u32(36)!,
    sessionId: reader.u64(40)!,
  };
}

function errorBody(): Uint8Array {
  return Uint8Array.of(0x09, 0, 0, 0, 0, 0, 0, 0, 0);
}

/**
 * The SMB2 server of one connection: negotiate per the profile's dialects, null-session logon only,
 * IPC$ and named pipes through the PipeOpener, compounded requests.
 */
export class Smb2Server {
  private readonly connection: SmbConnectionState;
  private readonly sessions = new Map<bigint, Smb2Session>();
  private readonly trees = new Map<number, Smb2Tree>();
  private nextSessionId = 0x0000040000000001n;
  private nextTreeId = 1;
  private nextFileHandle = 1;
  private dialect = 0;

  constructor(connection: SmbConnectionState) {
    this.connection = connection;
  }

  private get host() {
    return this.connection.host;
  }

  /** The NEGOTIATE response that answers an SMB1 negotiate offering SMB2 (message id 0). */
  negotiateResponseFor(dialect: number): Uint8Array {
    if (dialect !== Smb2Dialect.wildcard) this.dialect = dialect;
    const header: Smb2Header = { creditCharge: 0, status: 0, command: Smb2Command.negotiate, credits: 1, flags: 0, nextCommand: 0, messageId: 0n, processId: 0xfeff, treeId: 0, sessionId: 0n };
    return this.frame(header, { status: NtStatus.success, body: this.negotiateBody(dialect) }, 0, false);
  }

  /** One SMB2 message, possibly a compound: the reply message (compounded the same way). */
  handle(message: Uint8Array): Uint8Array[] {
    const replies: Uint8Array[] = [];
    let offset = 0;
    const ids: CompoundIds = { sessionId: 0n, treeId: 0, fileHandle: null };
    for (let index = 0; index < MAX_COMPOUND; index++) {
      const header = parseSmb2Header(message.subarray(offset));
      if (!header) {
        this.host.anomaly(index === 0 ? 'smb.smb2_header_truncated' : 'smb.smb2_compound_truncated');
        if (index === 0) this.connection.closed = true;
        break;
      }
      const end = header.nextCommand === 0 ? message.length : offset + header.nextCommand;
      if (header.nextCommand !== 0 && (header.nextCommand % 8 !== 0 || header.nextCommand < SMB2_HEADER_LENGTH || end > message.length)) {
        this.host.anomaly('smb.smb2_next_command_invalid');
        replies.push(this.frame(header, { status: NtStatus.invalidParameter, body: errorBody() }, 0, false));
        break;
      }
      const request = message.subarray(offset, end);
      if ((header.flags & FLAG_SERVER_TO_REDIR) !== 0) {
        this.host.anomaly('smb.reply_from_client');
        break;
      }
      const related = index > 0 && (header.flags & FLAG_RELATED_OPERATIONS) !== 0;
      if (related) {
        header.sessionId = ids.sessionId;
        header.treeId = ids.treeId;
      }
      const reply = this.dispatch(header, request, related ? ids.fileHandle : null);
      if (this.connection.closed) return [];
      ids.sessionId = reply.sessionId ?? header.sessionId;
      ids.treeId = reply.treeId ?? header.treeId;
      const last = header.nextCommand === 0;
      replies.push(this.frame(header, reply, last ? 0 : 1, related));
      if (reply.status === NtStatus.success && header.command === Smb2Command.create) ids.fileHandle = new ByteReader(reply.body).u32(64) ?? null;
      if (last) break;
      offset = end;
    }
    return replies.length === 0 ? [] : [joinCompound(replies)];
  }

  private frame(request: Smb2Header, reply: Smb2Reply, more: number, related: boolean): Uint8Array {
    const body = reply.body;
    const writer = new ByteWriter()
      .u8(0xfe)
      .u8(0x53)
      .u8(0x4d)
      .u8(0x42)
      .u16(SMB2_HEADER_LENGTH)
      .u16(request.creditCharge)
      .u32(reply.status)
      .u16(request.command)
      .u16(Math.max(1, Math.min(request.credits, 64)))
      .u32(FLAG_SERVER_TO_REDIR | (related ? FLAG_RELATED_OPERATIONS : 0))
      .u32(more)
      .u64(request.messageId)
      .u32(request.processId)
      .u32(reply.treeId ?? request.treeId)
      .u64(reply.sessionId ?? request.sessionId)
      .zeros(16)
      .bytes(body);
    return writer.finish();
  }

  private dispatch(header: Smb2Header, request: Uint8Array, inheritedFile: number | null): Smb2Reply {
    const body = new ByteReader(request.subarray(SMB2_HEADER_LENGTH));
    if (header.command === Smb2Command.negotiate) return this.negotiate(body);
    if (this.dialect === 0) {
      this.host.anomaly('smb.smb2_before_negotiate');
      return { status: NtStatus.invalidParameter, body: errorBody() };
    }
    switch (header.command) {
      case Smb2Command.sessionSetup:
        return this.sessionSetup(header, request, body);
      case Smb2Command.echo:
        return { status: NtStatus.success, body: Uint8Array.of(4, 0, 0, 0) };
      case Smb2Command.logoff:
        if (!this.sessions.delete(header.sessionId)) return { status: NtStatus.userSessionDeleted, body: errorBody() };
        return { status: NtStatus.success, body: Uint8Array.of(4, 0, 0, 0) };
      case Smb2Command.cancel:
        return { status: NtStatus.success, body: new Uint8Array(0) };
    }
    if (!this.session(header.sessionId)) return { status: NtStatus.userSessionDeleted, body: errorBody() };
    if (header.command === Smb2Command.treeConnect) return this.treeConnect(request, body);
    const tree = this.tree(header.treeId);
    if (!tree) return { status: NtStatus.networkNameDeleted, body: errorBody() };
    switch (header.command) {
      case Smb2Command.treeDisconnect:
        this.trees.delete(header.treeId);
        return { status: NtStatus.success, body: Uint8Array.of(4, 0, 0, 0) };
      case Smb2Command.create:
        return this.create(tree, request, body);
      case Smb2Command.close:
        return this.close(body, inheritedFile);
      case Smb2Command.read:
        return this.read(body, inheritedFile);
      case Smb2Command.write:
        return this.write(request, body, inheritedFile);
      case Smb2Command.ioctl:
        return this.ioctl(request, body, inheritedFile);
      default:
        this.host.anomaly('smb.smb2_command_unsupported');
        return { status: NtStatus.notSupported, body: errorBody() };
    }
  }

  // --- negotiate and logon -------------------------------------------------------------------

  private negotiate(body: ByteReader): Smb2Reply {
    const count = body.u16(2) ?? 0;
    const offered: number[] = [];
    for (let index = 0; index < count; index++) {
      const dialect = body.u16(36 + index * 2);
      if (dialect === undefined) {
        this.host.anomaly('smb.smb2_negotiate_truncated');
        break;
      }
      offered.push(dialect);
    }
    const common = profileSmb2Dialects(this.host.profile).filter((dialect) => offered.includes(dialect));
    if (common.length === 0) {
      // 3.1.1-only clients (and SMBGhost checks against hosts without it) get no common dialect
      return { status: NtStatus.notSupported, body: errorBody() };
    }
    this.dialect = common.at(-1)!;
    return { status: NtStatus.success, body: this.negotiateBody(this.dialect) };
  }

  private negotiateBody(dialect: number): Uint8Array {
    const blob = spnegoInitToken();
    const large = dialect >= Smb2Dialect.smb210 && dialect !== Smb2Dialect.wildcard;
    const maxSize = large ? 0x100000 : 0x10000;
    const start = filetimeOf(0);
    return new ByteWriter()
      .u16(65)
      .u16(0x0001)
      .u16(dialect)
      .u16(0)
      .bytes(serverGuid(this.host.hostname))
      .u32(large ? 0x00000007 : 0x00000001)
      .u32(maxSize)
      .u32(maxSize)
      .u32(maxSize)
      .u64(filetimeOf(this.host.now()))
      .u64(start)
      .u16(SMB2_HEADER_LENGTH + 64)
      .u16(blob.length)
      .u32(0)
      .bytes(blob)
      .finish();
  }

  private sessionSetup(header: Smb2Header, request: Uint8Array, body: ByteReader): Smb2Reply {
    const blobOffset = body.u16(12);
    const blobLength = body.u16(14);
    if (blobOffset === undefined || blobLength === undefined) {
      this.host.anomaly('smb.smb2_session_setup_truncated');
      return { status: NtStatus.invalidParameter, body: errorBody() };
    }
    const blob = new ByteReader(request).slice(blobOffset, blobLength);
    let session = this.sessions.get(header.sessionId);
    if (!session || session.established) {
      session = { id: this.nextSessionId, exchange: new SecurityExchange(this.host), established: false };
      this.nextSessionId += 1n;
      if (this.sessions.size < 64) this.sessions.set(session.id, session);
    }
    const step = session.exchange.step(blob);
    if (step.user) sambaUsernameMapCheck(this.connection, step.user);
    if (step.status === NtStatus.success) session.established = true;
    else if (step.status !== NtStatus.moreProcessingRequired) {
      this.sessions.delete(session.id);
      return { status: step.status, body: errorBody(), sessionId: session.id };
    }
    const reply = new ByteWriter()
      .u16(9)
      .u16(step.status === NtStatus.success ? SESSION_FLAG_IS_NULL : 0)
      .u16(SMB2_HEADER_LENGTH + 8)
      .u16(step.blob.length)
      .bytes(step.blob);
    return { status: step.status, body: reply.finish(), sessionId: session.id };
  }

  /** an established session by id; a replay's stale id falls back to the connection's one session */
  private session(id: bigint): Smb2Session | undefined {
    const session = this.sessions.get(id);
    if (session?.established) return session;
    const established = [...this.sessions.values()].filter((candidate) => candidate.established);
    if (established.length === 0) return undefined;
    this.host.anomaly('smb.smb2_session_unknown');
    return established.at(-1);
  }

  private tree(id: number): Smb2Tree | undefined {
    const tree = this.trees.get(id);
    if (tree) return tree;
    if (this.trees.size === 0) return undefined;
    this.host.anomaly('smb.smb2_tree_unknown');
    return [...this.trees.values()].at(-1);
  }

  // --- trees and pipes -----------------------------------------------------------------------

  private treeConnect(request: Uint8Array, body: ByteReader): Smb2Reply {
    const pathOffset = body.u16(4) ?? 0;
    const pathLength = body.u16(6) ?? 0;
    const path = fromUtf16(new ByteReader(request).slice(pathOffset, pathLength));
    const share = path.split(/[\\/]/).filter((part) => part !== '').at(-1)?.toUpperCase() ?? '';
    if (share !== 'IPC$') return { status: share.endsWith('$') ? NtStatus.accessDenied : NtStatus.badNetworkName, body: errorBody() };
    if (this.trees.size >= 64) return { status: NtStatus.insufficientResources, body: errorBody() };
    const tree: Smb2Tree = { id: this.nextTreeId++, ipc: true };
    this.trees.set(tree.id, tree);
    const reply = new ByteWriter().u16(16).u8(0x02).u8(0).u32(0x00000030).u32(0).u32(0x001f00a9);
    return { status: NtStatus.success, body: reply.finish(), treeId: tree.id };
  }

  private create(tree: Smb2Tree, request: Uint8Array, body: ByteReader): Smb2Reply {
    const nameOffset = body.u16(44);
    const nameLength = body.u16(46);
    if (nameOffset === undefined || nameLength === undefined) {
      this.host.anomaly('smb.smb2_create_truncated');
      return { status: NtStatus.invalidParameter, body: errorBody() };
    }
    const name = fromUtf16(new ByteReader(request).slice(nameOffset, nameLength));
    if (!tree.ipc) return { status: NtStatus.accessDenied, body: errorBody() };
    const handle = this.nextFileHandle;
    const pipe = this.connection.pipes.open(handle, name);
    if (!pipe) return { status: NtStatus.objectNameNotFound, body: errorBody() };
    this.nextFileHandle++;
    const time = filetimeOf(this.host.now());
    const reply = new ByteWriter()
      .u16(89)
      .u8(0)
      .u8(0)
      .u32(1)
      .u64(time)
      .u64(time)
      .u64(time)
      .u64(time)
      .u64(4096n)
      .u64(0n)
      .u32(0x80)
      .u32(0)
      .u64(BigInt(handle))
      .u64(BigInt(handle))
      .u32(0)
      .u32(0);
    return { status: NtStatus.success, body: reply.finish() };
  }

  /** the pipe a FileId names: its volatile half is our handle; 0xFF… in a compound means "the one just opened" */
  private pipe(body: ByteReader, at: number, inherited: number | null): OpenPipe | undefined {
    const volatile = body.u64(at + 8);
    if (volatile === undefined) return undefined;
    const handle = volatile === 0xffffffffffffffffn && inherited !== null ? inherited : Number(volatile & 0xffffffffn);
    const pipe = this.connection.pipes.get(handle);
    if (pipe) return pipe;
    const handles = this.connection.pipes.handles();
    if (handles.length !== 1) return undefined;
    this.host.anomaly('smb.smb2_file_id_unknown');
    return this.connection.pipes.get(handles[0]);
  }

  private close(body: ByteReader, inherited: number | null): Smb2Reply {
    const volatile = body.u64(16);
    const handle = volatile === 0xffffffffffffffffn && inherited !== null ? inherited : Number((volatile ?? 0n) & 0xffffffffn);
    if (!this.connection.pipes.close(handle)) return { status: NtStatus.invalidHandle, body: errorBody() };
    return { status: NtStatus.success, body: new ByteWriter().u16(60).zeros(58).finish() };
  }

  private read(body: ByteReader, inherited: number | null): Smb2Reply {
    const length = body.u32(4);
    const pipe = this.pipe(body, 16, inherited);
    if (length === undefined) return { status: NtStatus.invalidParameter, body: errorBody() };
    if (!pipe) return { status: NtStatus.invalidHandle, body: errorBody() };
    const data = this.connection.pipes.read(pipe, Math.min(length, 0x100000));
    if (data.length === 0) return { status: NtStatus.pipeEmpty, body: errorBody() };
    const status = pipe.unread.length > 0 ? NtStatus.bufferOverflow : NtStatus.success;
    const reply = new ByteWriter().u16(17).u8(SMB2_HEADER_LENGTH + 16).u8(0).u32(data.length).u32(0).u32(0).bytes(data);
    return { status, body: reply.finish() };
  }

  private write(request: Uint8Array, body: ByteReader, inherited: number | null): Smb2Reply {
    const dataOffset = body.u16(2);
    const length = body.u32(4);
    const pipe = this.pipe(body, 16, inherited);
    if (dataOffset === undefined || length === undefined) return { status: NtStatus.invalidParameter, body: errorBody() };
    if (!pipe) return { status: NtStatus.invalidHandle, body: errorBody() };
    const data = new ByteReader(request).slice(dataOffset, length);
    if (data.length < length) this.host.anomaly('smb.smb2_write_truncated');
    this.connection.pipes.write(pipe, data);
    return { status: NtStatus.success, body: new ByteWriter().u16(17).u16(0).u32(data.length).u32(0).u16(0).u16(0).finish() };
  }

  private ioctl(request: Uint8Array, body: ByteReader, inherited: number | null): Smb2Reply {
    const control = body.u32(4);
    const inputOffset = body.u32(24);
    const inputCount = body.u32(28);
    const maxOutput = body.u32(44);
    if (control === undefined || inputOffset === undefined || inputCount === undefined || maxOutput === undefined) {
      this.host.anomaly('smb.smb2_ioctl_truncated');
      return { status: NtStatus.invalidParameter, body: errorBody() };
    }
    if (control === FSCTL_PIPE_WAIT) return { status: NtStatus.success, body: this.ioctlBody(control, body, new Uint8Array(0)) };
    if (control !== FSCTL_PIPE_TRANSCEIVE && control !== FSCTL_PIPE_PEEK) return { status: NtStatus.notSupported, body: errorBody() };
    const pipe = this.pipe(body, 8, inherited);
    if (!pipe) return { status: NtStatus.invalidHandle, body: errorBody() };
    if (control === FSCTL_PIPE_PEEK) {
      const peek = new ByteWriter().u32(3).u32(pipe.unread.length).u32(1).u32(pipe.unread.length).finish();
      return { status: NtStatus.success, body: this.ioctlBody(control, body, peek.subarray(0, Math.min(peek.length, maxOutput))) };
    }
    const input = new ByteReader(request).slice(inputOffset, inputCount);
    const { data, more } = this.connection.pipes.transceive(pipe, input, Math.min(maxOutput, 0x100000));
    return { status: more ? NtStatus.bufferOverflow : NtStatus.success, body: this.ioctlBody(control, body, data) };
  }

  private ioctlBody(control: number, request: ByteReader, output: Uint8Array): Uint8Array {
    const outputOffset = SMB2_HEADER_LENGTH + 48;
    return new ByteWriter()
      .u16(49)
      .u16(0)
      .u32(control)
      .bytes(request.slice(8, 16))
      .u32(outputOffset)
      .u32(0)
      .u32(outputOffset)
      .u32(output.length)
      .u32(0)
      .u32(0)
      .bytes(output)
      .finish();
  }
}

/** Compounded responses: each padded to 8 bytes, NextCommand pointing at the next ([MS-SMB2] 3.3.4.1.3). */
function joinCompound(replies: Uint8Array[]): Uint8Array {
  if (replies.length === 1) return replies[0];
  const writer = new ByteWriter();
  replies.forEach((reply, index) => {
    const start = writer.length;
    writer.bytes(reply);
    if (index < replies.length - 1) {
      writer.align(8);
      writer.patchU32(start + 20, writer.length - start);
    } else {
      writer.patchU32(start + 20, 0);
    }
  });
  return writer.finish();
}
