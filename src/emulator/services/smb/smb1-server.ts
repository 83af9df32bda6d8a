import { ByteReader, ByteWriter, ascii, concatBytes, utf16 } from './byte-reader.ts';
import { doublePulsarReply } from './doublepulsar-implant.ts';
import { feaListOverflow } from './fea-list-overflow.ts';
import { NtStatus } from './nt-status.ts';
import type { OpenPipe } from './open-pipes.ts';
import { SecurityExchange, filetimeOf } from './security-exchange.ts';
import { sambaUsernameMapCheck } from './samba-username-map.ts';
import type { SmbConnectionState } from './smb-connection-state.ts';
import {
  ANDX_COMMANDS,
  ANDX_NONE,
  FLAGS2_UNICODE,
  SMB1_HEADER_LENGTH,
  Smb1Command,
  buildSmb1Reply,
  parseSmb1Block,
  parseSmb1Header,
  readSmb1String,
  words,
  type Smb1Block,
  type Smb1Header,
  type Smb1ReplyBlock,
} from './smb1-message.ts';
import { negotiateSmb1, type Smb1NegotiateOutcome } from './smb1-negotiate.ts';
import {
  MAX_TRANSACTION_BYTES,
  PRIMARY_OF_SECONDARY,
  createTransaction,
  parseTransactionPiece,
  placePiece,
  transactionComplete,
  type Smb1Transaction,
} from './smb1-transaction.ts';

interface Smb1Session {
  uid: number;
  exchange: SecurityExchange;
  established: boolean;
  user: string;
}

interface Smb1Tree {
  tid: number;
  share: string;
  ipc: boolean;
}

/** The state a chain of AndX commands carries from one command to the next. */
interface ChainContext {
  header: Smb1Header;
  message: Uint8Array;
  raw: Uint8Array;
  uid: number;
  tid: number;
  unicode: boolean;
}

interface Outcome {
  status: number;
  block?: Smb1ReplyBlock;
  /** whole reply messages that replace the chained reply (echo, transactions) */
  messages?: Uint8Array[];
  /** the command answers nothing (a secondary that does not complete its transaction) */
  silent?: boolean;
}

/** Transactions one connection may leave waiting for secondaries. */
const MAX_PENDING_TRANSACTIONS = 256;
const MAX_CHAIN_LENGTH = 16;
const SHARES_ANONYMOUS_CANNOT_OPEN = new Set(['ADMIN$', 'C$', 'D$', 'PRINT$', 'NETLOGON', 'SYSVOL', 'USERS']);

const TransactionSubcommand = { peekNamedPipe: 0x23, queryNamedPipeState: 0x21, transactNamedPipe: 0x26, writeNamedPipe: 0x36, rawReadNamedPipe: 0x11, waitNamedPipe: 0x53 } as const;
const Transaction2Subcommand = { open2: 0x00, setPathInformation: 0x06, setFileInformation: 0x08, createDirectory: 0x0d, sessionSetup: 0x0e } as const;
const SMB_INFO_SET_EAS = 0x0002;

function isError(status: number): boolean {
  return status >>> 30 === 3;
}

/**
 * The SMB1 server of one connection ([MS-CIFS], [MS-SMB]): logon, trees, named pipes and
 * transactions, with the MS17-010 checks where srv.sys mishandles transaction bounds.
 */
export class Smb1Server {
  private readonly connection: SmbConnectionState;
  private readonly sessions = new Map<number, Smb1Session>();
  private readonly trees = new Map<number, Smb1Tree>();
  private readonly transactions: Smb1Transaction[] = [];
  private nextUid = 0x0800;
  private nextTid = 0x0800;
  private nextFid = 0x4000;
  /** called when a NEGOTIATE moves the connection to SMB2: the SMB2 negotiate response to send */
  private readonly upgradeToSmb2: (dialect: number) => Uint8Array;

  constructor(connection: SmbConnectionState, upgradeToSmb2: (dialect: number) => Uint8Array) {
    this.connection = connection;
    this.upgradeToSmb2 = upgradeToSmb2;
  }

  private get host() {
    return this.connection.host;
  }

  /** One SMB1 message (after its NetBIOS header; `raw` includes it): the messages to send back. */
  handle(message: Uint8Array, raw: Uint8Array): Uint8Array[] {
    const header = parseSmb1Header(message);
    if (!header) {
      this.host.anomaly('smb.header_truncated');
      this.connection.closed = true;
      return [];
    }
    if ((header.flags & 0x80) !== 0) {
      this.host.anomaly('smb.reply_from_client');
      return [];
    }
    if (header.command === Smb1Command.negotiate) return this.negotiate(header, message, raw);
    return this.chain(header, message, raw);
  }

  private negotiate(header: Smb1Header, message: Uint8Array, raw: Uint8Array): Uint8Array[] {
    const block = parseSmb1Block(message, SMB1_HEADER_LENGTH, header.command);
    if (!block) {
      this.host.anomaly('smb.negotiate_truncated');
      return [buildSmb1Reply(header, NtStatus.invalidParameter, [])];
    }
    const outcome: Smb1NegotiateOutcome = negotiateSmb1(this.connection, header, block, raw);
    if (outcome.kind === 'close') {
      this.connection.closed = true;
      return [];
    }
    if (outcome.kind === 'smb2') return [this.upgradeToSmb2(outcome.dialect)];
    return [buildSmb1Reply(header, NtStatus.success, [outcome.block])];
  }

  private chain(header: Smb1Header, message: Uint8Array, raw: Uint8Array): Uint8Array[] {
    const context: ChainContext = { header, message, raw, uid: header.uid, tid: header.tid, unicode: (header.flags2 & FLAGS2_UNICODE) !== 0 };
    const replies: Smb1ReplyBlock[] = [];
    let status: number = NtStatus.success;
    let command = header.command;
    let offset = SMB1_HEADER_LENGTH;
    for (let step = 0; ; step++) {
      const block = parseSmb1Block(message, offset, command);
      if (!block) {
        this.host.anomaly('smb.block_truncated');
        status = NtStatus.invalidParameter;
        break;
      }
      const outcome = this.dispatch(context, block);
      if (outcome.messages) return outcome.messages;
      if (outcome.silent) return [];
      if (outcome.block) replies.push(outcome.block);
      status = outcome.status;
      if (status !== NtStatus.success || !ANDX_COMMANDS.has(command)) break;
      const next = block.words.u8(0);
      const nextOffset = block.words.u16(2);
      if (next === undefined || nextOffset === undefined || next === ANDX_NONE) break;
      if (nextOffset <= offset || nextOffset >= message.length || step >= MAX_CHAIN_LENGTH) {
        this.host.anomaly('smb.andx_offset_invalid');
        status = NtStatus.invalidParameter;
        break;
      }
      command = next;
      offset = nextOffset;
    }
    if (this.connection.closed) return [];
    const blocks = isError(status) && status !== NtStatus.moreProcessingRequired && replies.length === 0 ? [] : replies;
    return [buildSmb1Reply(header, status, blocks, { uid: context.uid, tid: context.tid })];
  }

  private dispatch(context: ChainContext, block: Smb1Block): Outcome {
    switch (block.command) {
      case Smb1Command.sessionSetupAndx:
        return this.sessionSetup(context, block);
      case Smb1Command.treeConnectAndx:
        return this.treeConnect(context, block);
      case Smb1Command.ntCreateAndx:
        return this.ntCreate(context, block);
      case Smb1Command.readAndx:
        return this.read(context, block);
      case Smb1Command.writeAndx:
        return this.write(context, block);
      case Smb1Command.close:
        return this.close(context, block);
      case Smb1Command.treeDisconnect:
        return this.treeDisconnect(context);
      case Smb1Command.logoffAndx:
        return this.logoff(context);
      case Smb1Command.echo:
        return this.echo(context, block);
      case Smb1Command.transaction:
      case Smb1Command.transaction2:
      case Smb1Command.ntTransact:
        return this.transactionPrimary(context, block);
      case Smb1Command.transactionSecondary:
      case Smb1Command.transaction2Secondary:
      case Smb1Command.ntTransactSecondary:
        return this.transactionSecondary(context, block);
      case Smb1Command.negotiate:
        this.host.anomaly('smb.negotiate_in_chain');
        return { status: NtStatus.invalidParameter };
      default:
        this.host.anomaly('smb.command_unsupported');
        return { status: NtStatus.notSupported };
    }
  }

  // --- logon ---------------------------------------------------------------------------------

  private sessionSetup(context: ChainContext, block: Smb1Block): Outcome {
    const wordCount = block.words.length / 2;
    const existing = this.sessions.get(context.uid);
    if (wordCount === 12) {
      const blobLength = block.words.u16(14) ?? 0;
      const blob = block.data.slice(0, blobLength);
      const session = existing && !existing.established ? existing : this.newSession();
      context.uid = session.uid;
      const step = session.exchange.step(blob);
      if (step.user) sambaUsernameMapCheck(this.connection, step.user);
      if (this.connection.closed) return { status: NtStatus.logonFailure };
      if (step.status === NtStatus.success) {
        session.established = true;
        session.user = step.user ?? '';
      } else if (step.status !== NtStatus.moreProcessingRequired) {
        this.sessions.delete(session.uid);
        return { status: step.status };
      }
      const data = new ByteWriter().bytes(step.blob);
      // the data starts at an odd offset in a first block; UTF-16 strings after the blob must be even
      if (context.unicode && data.length % 2 === 0) data.u8(0);
      data.bytes(this.nativeStrings(context.unicode));
      return {
        status: step.status,
        block: { command: block.command, words: words(['u16', 0], ['u16', step.blob.length]), data: data.finish() },
      };
    }
    if (wordCount === 13 || wordCount === 10) return this.plainSessionSetup(context, block, wordCount);
    this.host.anomaly('smb.session_setup_word_count_invalid');
    return { status: NtStatus.invalidParameter };
  }

  /** A logon without extended security: the account and its password responses in the clear fields. */
  private plainSessionSetup(context: ChainContext, block: Smb1Block, wordCount: number): Outcome {
    const oemLength = block.words.u16(14) ?? 0;
    const unicodeLength = wordCount === 13 ? (block.words.u16(16) ?? 0) : 0;
    const oem = block.data.slice(0, oemLength);
    const unicode = context.unicode && wordCount === 13;
    const accountAt = block.dataOffset + oemLength + unicodeLength;
    const account = readSmb1String(context.message, accountAt, unicode, block.dataOffset + block.data.length);
    sambaUsernameMapCheck(this.connection, account.text);
    if (this.connection.closed) return { status: NtStatus.logonFailure };
    const emptyOem = oemLength === 0 || (oemLength === 1 && oem[0] === 0);
    if (!(emptyOem && unicodeLength === 0)) return { status: NtStatus.logonFailure };
    const session = this.newSession();
    session.established = true;
    session.user = account.text;
    context.uid = session.uid;
    return {
      status: NtStatus.success,
      block: { command: block.command, words: words(['u16', 0]), data: concatBytes([this.nativeStrings(context.unicode), this.text('WORKGROUP', context.unicode)]), padToEven: context.unicode },
    };
  }

  private newSession(): Smb1Session {
    const session: Smb1Session = { uid: this.nextUid, exchange: new SecurityExchange(this.host), established: false, user: '' };
    this.nextUid = this.nextUid >= 0xfffe ? 0x0800 : this.nextUid + 1;
    if (this.sessions.size < 64) this.sessions.set(session.uid, session);
    return session;
  }

  private nativeStrings(unicode: boolean): Uint8Array {
    const os = this.host.profile.os;
    const nativeOs = os.kind === 'windows' ? `${os.name} ${os.version.split('.')[2] ?? ''}${os.servicePack ? ` Service Pack ${os.servicePack}` : ''}`.trim() : 'Unix';
    const lanman = os.kind === 'windows' ? `${os.name} ${os.version.split('.').slice(0, 2).join('.')}` : 'Samba';
    return concatBytes([this.text(nativeOs, unicode), this.text(lanman, unicode)]);
  }

  private text(value: string, unicode: boolean): Uint8Array {
    return unicode ? concatBytes([utf16(value), new Uint8Array(2)]) : concatBytes([ascii(value), new Uint8Array(1)]);
  }

  /**
   * Replays carry the capture's ids, which the replay stage adapts; when one still does not match,
   * the connection's one established session stands in for it rather than failing the exploit's path.
   */
  private session(uid: number): Smb1Session | undefined {
    const session = this.sessions.get(uid);
    if (session?.established) return session;
    const established = [...this.sessions.values()].filter((candidate) => candidate.established);
    if (established.length === 0) return undefined;
    this.host.anomaly('smb.uid_unknown');
    return established.at(-1);
  }

  private tree(tid: number): Smb1Tree | undefined {
    const tree = this.trees.get(tid);
    if (tree) return tree;
    if (this.trees.size === 0) return undefined;
    this.host.anomaly('smb.tid_unknown');
    return [...this.trees.values()].at(-1);
  }

  private pipe(fid: number): OpenPipe | undefined {
    const pipe = this.connection.pipes.get(fid);
    if (pipe || fid === 0) return pipe;
    const handles = this.connection.pipes.handles();
    if (handles.length !== 1) return undefined;
    this.host.anomaly('smb.fid_unknown');
    return this.connection.pipes.get(handles[0]);
  }

  private logoff(context: ChainContext): Outcome {
    if (!this.sessions.delete(context.uid)) return { status: NtStatus.smbBadUid };
    return { status: NtStatus.success, block: { command: Smb1Command.logoffAndx, words: new Uint8Array(0), data: new Uint8Array(0) } };
  }

  // --- trees and files -----------------------------------------------------------------------

  private treeConnect(context: ChainContext, block: Smb1Block): Outcome {
    if (!this.session(context.uid)) return { status: NtStatus.smbBadUid };
    const passwordLength = block.words.u16(6) ?? 0;
    const path = readSmb1String(context.message, block.dataOffset + passwordLength, context.unicode, block.dataOffset + block.data.length).text;
    const share = path.split(/[\\/]/).filter((part) => part !== '').at(-1)?.toUpperCase() ?? '';
    if (share !== 'IPC$') {
      return { status: SHARES_ANONYMOUS_CANNOT_OPEN.has(share) ? NtStatus.accessDenied : NtStatus.badNetworkName };
    }
    if (this.trees.size >= 64) return { status: NtStatus.insufficientResources };
    const tree: Smb1Tree = { tid: this.nextTid, share, ipc: true };
    this.nextTid = this.nextTid >= 0xfffe ? 0x0800 : this.nextTid + 1;
    this.trees.set(tree.tid, tree);
    context.tid = tree.tid;
    const fileSystem = context.unicode ? new Uint8Array(2) : new Uint8Array(1);
    return {
      status: NtStatus.success,
      block: {
        command: block.command,
        words: words(['u16', 0x0001], ['u32', 0x001f01ff], ['u32', 0]),
        data: concatBytes([ascii('IPC\0'), fileSystem]),
      },
    };
  }

  private treeDisconnect(context: ChainContext): Outcome {
    if (!this.trees.delete(context.tid)) return { status: NtStatus.smbBadTid };
    return { status: NtStatus.success, block: { command: Smb1Command.treeDisconnect, words: new Uint8Array(0), data: new Uint8Array(0) } };
  }

  private ntCreate(context: ChainContext, block: Smb1Block): Outcome {
    if (!this.session(context.uid)) return { status: NtStatus.smbBadUid };
    const tree = this.tree(context.tid);
    if (!tree) return { status: NtStatus.smbBadTid };
    const nameLength = block.words.u16(5) ?? 0;
    const name = readSmb1String(context.message, block.dataOffset, context.unicode, block.dataOffset + Math.min(block.data.length, nameLength + 1)).text;
    if (!tree.ipc) return { status: NtStatus.accessDenied };
    const fid = this.nextFid;
    const pipe = this.connection.pipes.open(fid, name);
    if (!pipe) return { status: NtStatus.objectNameNotFound };
    this.nextFid = this.nextFid >= 0xfffe ? 0x4000 : this.nextFid + 1;
    const time = filetimeOf(this.host.now());
    return {
      status: NtStatus.success,
      block: {
        command: block.command,
        words: words(
          ['u8', 0],
          ['u16', fid],
          ['u32', 1],
          ['u64', time],
          ['u64', time],
          ['u64', time],
          ['u64', time],
          ['u32', 0x80],
          ['u64', 4096n],
          ['u64', 0n],
          ['u16', 2],
          ['u16', 0x05ff],
          ['u8', 0],
        ),
        data: new Uint8Array(0),
      },
    };
  }

  private read(context: ChainContext, block: Smb1Block): Outcome {
    const fid = block.words.u16(4);
    const maxCount = block.words.u16(10);
    if (fid === undefined || maxCount === undefined) {
      this.host.anomaly('smb.read_truncated');
      return { status: NtStatus.invalidParameter };
    }
    const pipe = this.pipe(fid);
    if (!pipe) return { status: NtStatus.invalidHandle };
    const data = this.connection.pipes.read(pipe, maxCount);
    const status = pipe.unread.length > 0 ? NtStatus.bufferOverflow : NtStatus.success;
    return {
      status: NtStatus.success,
      block: {
        command: block.command,
        // Available, DataCompactionMode, Reserved, DataLength, DataOffset, DataLengthHigh, Reserved[4]
        words: words(['u16', Math.min(0xffff, pipe.unread.length)], ['u16', 0], ['u16', 0], ['u16', data.length], ['u16', 0], ['u16', 0], ['bytes', new Uint8Array(8)]),
        data,
        offsetFields: [{ at: 8, plus: 0, size: 2 }],
        padToEven: true,
      },
      ...(status === NtStatus.bufferOverflow ? { status } : {}),
    };
  }

  private write(context: ChainContext, block: Smb1Block): Outcome {
    const fid = block.words.u16(4);
    const writeMode = block.words.u16(14) ?? 0;
    const lengthHigh = block.words.u16(18) ?? 0;
    const lengthLow = block.words.u16(20);
    const dataOffset = block.words.u16(22);
    if (fid === undefined || lengthLow === undefined || dataOffset === undefined) {
      this.host.anomaly('smb.write_truncated');
      return { status: NtStatus.invalidParameter };
    }
    const length = lengthLow + (lengthHigh & 0x1) * 0x10000;
    const data = new ByteReader(context.message).slice(dataOffset, length);
    if (data.length < length) this.host.anomaly('smb.write_data_truncated');
    const pipe = this.pipe(fid);
    if (!pipe) return { status: NtStatus.invalidHandle };
    if (this.writeIntoTransaction(context, fid, data)) return this.writeReply(block, data.length);
    // a raw-mode write that starts a message carries the message length in its first two bytes
    const payload = (writeMode & 0x000c) === 0x000c ? data.subarray(2) : data;
    this.connection.pipes.write(pipe, payload);
    return this.writeReply(block, data.length);
  }

  private writeReply(block: Smb1Block, count: number): Outcome {
    return {
      status: NtStatus.success,
      block: { command: block.command, words: words(['u16', count & 0xffff], ['u16', 0xffff], ['u16', count >>> 16], ['u16', 0]), data: new Uint8Array(0) },
    };
  }

  /**
   * srv.sys looks a named-pipe write's transaction up by its FID where it expects a MID, and copies
   * the write into whatever transaction it finds, moving that transaction's write position on
   * (EternalRomance/EternalSynergy, MS17-010): a WRITE_ANDX whose FID equals the MID of a
   * transaction still waiting for secondaries lands in that transaction's buffer.
   */
  private writeIntoTransaction(context: ChainContext, fid: number, data: Uint8Array): boolean {
    const transaction = this.transactions.find(
      (candidate) => candidate.mid === fid && candidate.uid === context.header.uid && candidate.tid === context.header.tid && candidate.pid === context.header.pid,
    );
    if (!transaction) return false;
    transaction.writeShift += data.length;
    const end = transaction.dataReceived + transaction.writeShift;
    const vulnerable = this.connection.reportOnce('MS17-010:write-into-transaction', {
      vulnerability: 'MS17-010',
      service: 'smb',
      detail: `WRITE_ANDX of ${data.length} bytes to FID 0x${fid.toString(16)} went into the data buffer of transaction MID ${fid} (${transaction.data.length} bytes): type confusion${end > transaction.data.length ? ', past the buffer' : ''}`,
    });
    if (vulnerable) this.connection.markKernelCorruption('MS17-010');
    return true;
  }

  private close(context: ChainContext, block: Smb1Block): Outcome {
    const fid = block.words.u16(0);
    if (fid === undefined || !this.connection.pipes.close(fid)) return { status: NtStatus.invalidHandle };
    return { status: NtStatus.success, block: { command: block.command, words: new Uint8Array(0), data: new Uint8Array(0) } };
  }

  private echo(context: ChainContext, block: Smb1Block): Outcome {
    const count = Math.min(block.words.u16(0) ?? 0, 4);
    const data = block.data.slice(0, block.data.length);
    const messages: Uint8Array[] = [];
    for (let sequence = 1; sequence <= count; sequence++) {
      messages.push(buildSmb1Reply(context.header, NtStatus.success, [{ command: block.command, words: words(['u16', sequence]), data }]));
    }
    return { status: NtStatus.success, messages };
  }

  // --- transactions --------------------------------------------------------------------------

  private transactionPrimary(context: ChainContext, block: Smb1Block): Outcome {
    const piece = parseTransactionPiece(context.message, block);
    if (!piece || !piece.inBounds || piece.parameters.length > piece.totalParameters || piece.data.length > piece.totalData) {
      this.host.anomaly('smb.transaction_invalid');
      return { status: NtStatus.invalidParameter };
    }
    if (!this.session(context.uid)) return { status: NtStatus.smbBadUid };
    if (!this.tree(context.tid)) return { status: NtStatus.smbBadTid };
    if (piece.totalParameters + piece.totalData > MAX_TRANSACTION_BYTES) {
      this.host.anomaly('smb.transaction_too_large');
      return { status: NtStatus.insufficientResources };
    }
    let name = '';
    if (block.command === Smb1Command.transaction) name = readSmb1String(context.message, block.dataOffset, context.unicode, block.dataOffset + block.data.length).text;
    const header = context.header;
    const earlier = this.transactions.findIndex((candidate) => candidate.uid === header.uid && candidate.tid === header.tid && candidate.pid === header.pid && candidate.mid === header.mid);
    if (earlier >= 0) {
      this.host.anomaly('smb.transaction_mid_reused');
      this.transactions.splice(earlier, 1);
    }
    const transaction = createTransaction(header, block, piece, name);
    placePiece(transaction, piece);
    if (transactionComplete(transaction)) return { status: NtStatus.success, messages: this.execute(header, transaction, block.command) };
    if (this.transactions.length >= MAX_PENDING_TRANSACTIONS) {
      this.host.anomaly('smb.transactions_pending_limit');
      return { status: NtStatus.insufficientResources };
    }
    this.transactions.push(transaction);
    // the interim response tells the client to send the secondaries
    return { status: NtStatus.success, messages: [buildSmb1Reply(header, NtStatus.success, [])] };
  }

  private transactionSecondary(context: ChainContext, block: Smb1Block): Outcome {
    const header = context.header;
    const piece = parseTransactionPiece(context.message, block);
    const index = this.transactions.findIndex((candidate) => candidate.uid === header.uid && candidate.tid === header.tid && candidate.pid === header.pid && candidate.mid === header.mid);
    if (index < 0) {
      this.host.anomaly('smb.transaction_secondary_unknown');
      return { status: NtStatus.invalidParameter, messages: [buildSmb1Reply(header, NtStatus.invalidParameter, [])] };
    }
    const transaction = this.transactions[index];
    if (!piece || !piece.inBounds) {
      this.host.anomaly('smb.transaction_invalid');
      this.transactions.splice(index, 1);
      return { status: NtStatus.invalidParameter, messages: [buildSmb1Reply({ ...header, command: transaction.command }, NtStatus.invalidParameter, [])] };
    }
    const executeAs = PRIMARY_OF_SECONDARY[block.command];
    // srv.sys does not check that a secondary is of its primary's kind (the MS17-010 enabler)
    if (executeAs !== transaction.command) this.host.anomaly('smb.transaction_secondary_type_mismatch');
    const placed = placePiece(transaction, piece);
    if (placed.result === 'rejected') {
      this.host.anomaly('smb.transaction_displacement_out_of_range');
      this.transactions.splice(index, 1);
      return { status: NtStatus.invalidParameter, messages: [buildSmb1Reply({ ...header, command: transaction.command }, NtStatus.invalidParameter, [])] };
    }
    if (placed.result === 'out_of_bounds') {
      const vulnerable = this.connection.reportOnce('MS17-010:secondary-past-buffer', {
        vulnerability: 'MS17-010',
        service: 'smb',
        detail: `transaction secondary (MID ${transaction.mid}) writes up to byte ${placed.overflowEnd} of a ${transaction.data.length}-byte transaction buffer whose write position a WRITE_ANDX moved by ${transaction.writeShift}: pool overflow`,
      });
      if (vulnerable) this.connection.markKernelCorruption('MS17-010');
    }
    if (!transactionComplete(transaction)) return { status: NtStatus.success, silent: true };
    this.transactions.splice(index, 1);
    return { status: NtStatus.success, messages: this.execute(header, transaction, executeAs) };
  }

  /** Runs a complete transaction as `kind` (the command of the request that completed it, as srv.sys does). */
  private execute(requestHeader: Smb1Header, transaction: Smb1Transaction, kind: number): Uint8Array[] {
    const header: Smb1Header = { ...requestHeader, command: kind, mid: transaction.mid, pid: transaction.pid, uid: transaction.uid, tid: transaction.tid };
    switch (kind) {
      case Smb1Command.transaction:
        return this.executeTransaction(header, transaction);
      case Smb1Command.transaction2:
        return this.executeTransaction2(header, transaction);
      default:
        return [buildSmb1Reply(header, NtStatus.notSupported, [])];
    }
  }

  private executeTransaction(header: Smb1Header, transaction: Smb1Transaction): Uint8Array[] {
    const subcommand = transaction.setup[0];
    const fid = transaction.setup[1] ?? 0;
    if (transaction.name.toUpperCase().endsWith('LANMAN')) return [buildSmb1Reply(header, NtStatus.notSupported, [])];
    const pipe = subcommand === undefined ? undefined : this.pipe(fid);
    if (subcommand === TransactionSubcommand.peekNamedPipe && !pipe && fid === 0) {
      // the MS17-010 scanners' probe: an unpatched srv.sys fails a peek on FID 0 for want of resources
      return [buildSmb1Reply(header, this.host.vulnerable('MS17-010') ? NtStatus.insuffServerResources : NtStatus.invalidHandle, [])];
    }
    if (!pipe) return [buildSmb1Reply(header, subcommand === undefined ? NtStatus.invalidParameter : NtStatus.invalidHandle, [])];
    const pipes = this.connection.pipes;
    switch (subcommand) {
      case TransactionSubcommand.transactNamedPipe: {
        const { data, more } = pipes.transceive(pipe, transaction.data, transaction.maxDataCount);
        return [this.transactionReply(header, more ? NtStatus.bufferOverflow : NtStatus.success, new Uint8Array(0), data)];
      }
      case TransactionSubcommand.writeNamedPipe:
        pipes.write(pipe, transaction.data);
        return [this.transactionReply(header, NtStatus.success, words(['u16', transaction.data.length]), new Uint8Array(0))];
      case TransactionSubcommand.rawReadNamedPipe: {
        const data = pipes.read(pipe, transaction.maxDataCount);
        return [this.transactionReply(header, pipe.unread.length > 0 ? NtStatus.bufferOverflow : NtStatus.success, new Uint8Array(0), data)];
      }
      case TransactionSubcommand.peekNamedPipe: {
        const available = Math.min(0xffff, pipe.unread.length);
        const data = pipe.unread.subarray(0, Math.min(available, transaction.maxDataCount));
        return [this.transactionReply(header, NtStatus.success, words(['u16', available], ['u16', available], ['u16', 3]), data)];
      }
      case TransactionSubcommand.queryNamedPipeState:
        return [this.transactionReply(header, NtStatus.success, words(['u16', 0x05ff]), new Uint8Array(0))];
      case TransactionSubcommand.waitNamedPipe:
        return [this.transactionReply(header, NtStatus.success, new Uint8Array(0), new Uint8Array(0))];
      default:
        return [buildSmb1Reply(header, NtStatus.notSupported, [])];
    }
  }

  private executeTransaction2(header: Smb1Header, transaction: Smb1Transaction): Uint8Array[] {
    const subcommand = transaction.setup[0] ?? 0;
    if (subcommand === Transaction2Subcommand.sessionSetup) {
      return [doublePulsarReply(this.host, header, transaction.timeout, transaction.data)];
    }
    if (this.takesFeaList(transaction, subcommand)) {
      const overflow = feaListOverflow(transaction.data);
      if (overflow) {
        const vulnerable = this.connection.reportOnce('MS17-010:fea-list', {
          vulnerability: 'MS17-010',
          service: 'smb',
          detail: `OS/2 FEA list declared ${overflow.declared} bytes, entries end at ${overflow.extent}, 16-bit update leaves ${overflow.truncated}: pool overflow in SrvOs2FeaListToNt`,
        });
        if (vulnerable) this.connection.markKernelCorruption('MS17-010');
        return [buildSmb1Reply(header, NtStatus.invalidParameter, [])];
      }
      return [buildSmb1Reply(header, NtStatus.accessDenied, [])];
    }
    return [buildSmb1Reply(header, NtStatus.notSupported, [])];
  }

  /** the TRANS2 requests whose data is an OS/2 FEA list that srv.sys converts */
  private takesFeaList(transaction: Smb1Transaction, subcommand: number): boolean {
    if (subcommand === Transaction2Subcommand.open2 || subcommand === Transaction2Subcommand.createDirectory) return true;
    const parameters = new ByteReader(transaction.parameters);
    if (subcommand === Transaction2Subcommand.setPathInformation) return parameters.u16(0) === SMB_INFO_SET_EAS;
    if (subcommand === Transaction2Subcommand.setFileInformation) return parameters.u16(2) === SMB_INFO_SET_EAS;
    return false;
  }

  /** A TRANSACTION/TRANSACTION2 response ([MS-CIFS] 2.2.4.33.2) carrying parameters and data in one message. */
  private transactionReply(header: Smb1Header, status: number, parameters: Uint8Array, data: Uint8Array): Uint8Array {
    const wordCount = 10;
    const bytesStart = SMB1_HEADER_LENGTH + 1 + wordCount * 2 + 2;
    const parameterOffset = bytesStart + ((4 - (bytesStart % 4)) % 4);
    const afterParameters = parameterOffset + parameters.length;
    const dataOffset = afterParameters + ((4 - (afterParameters % 4)) % 4);
    const body = new ByteWriter().zeros(parameterOffset - bytesStart).bytes(parameters).zeros(dataOffset - afterParameters).bytes(data).finish();
    const replyWords = words(
      ['u16', parameters.length],
      ['u16', data.length],
      ['u16', 0],
      ['u16', parameters.length],
      ['u16', parameterOffset],
      ['u16', 0],
      ['u16', data.length],
      ['u16', data.length > 0 ? dataOffset : 0],
      ['u16', 0],
      ['u8', 0],
      ['u8', 0],
    );
    return buildSmb1Reply(header, status, [{ command: header.command, words: replyWords, data: body }]);
  }
}
