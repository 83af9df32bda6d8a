import type { ByteReader } from './byte-reader.ts';
import { Smb1Command, type Smb1Block, type Smb1Header } from './smb1-message.ts';

/**
 * An SMB1 transaction (TRANSACTION, TRANSACTION2, NT_TRANSACT) being assembled from its primary
 * request and secondaries ([MS-CIFS] 3.3.5.57ff): parameters and data land at their displacement
 * in buffers sized by the totals the primary declared.
 */
export interface Smb1Transaction {
  /** the primary's command */
  command: number;
  uid: number;
  tid: number;
  pid: number;
  mid: number;
  setup: number[];
  /** NT_TRANSACT function */
  ntFunction: number;
  /** TRANSACTION name (`\PIPE\`, `\PIPE\LANMAN`) */
  name: string;
  /** the primary's Timeout field: DOUBLEPULSAR encodes its command in it */
  timeout: number;
  maxParameterCount: number;
  maxDataCount: number;
  parameters: Uint8Array;
  data: Uint8Array;
  parametersReceived: number;
  dataReceived: number;
  /**
   * Bytes a WRITE_ANDX put into this transaction's data (the EternalRomance type confusion): srv.sys
   * advances its write position, so later displacements land that much further on.
   */
  writeShift: number;
}

export interface TransactionPiece {
  totalParameters: number;
  totalData: number;
  parameters: Uint8Array;
  parameterDisplacement: number;
  data: Uint8Array;
  dataDisplacement: number;
  /** whether the declared offsets and counts point inside the message */
  inBounds: boolean;
}

export const PRIMARY_OF_SECONDARY: Record<number, number> = {
  [Smb1Command.transactionSecondary]: Smb1Command.transaction,
  [Smb1Command.transaction2Secondary]: Smb1Command.transaction2,
  [Smb1Command.ntTransactSecondary]: Smb1Command.ntTransact,
};

/** Largest transaction buffer a connection may ask for; srv.sys bounds it by its pool too. */
export const MAX_TRANSACTION_BYTES = 4 << 20; // 4 MiB

function piece(message: Uint8Array, parameterCount: number, parameterOffset: number, dataCount: number, dataOffset: number): Pick<TransactionPiece, 'parameters' | 'data' | 'inBounds'> {
  const inBounds = parameterOffset + parameterCount <= message.length && dataOffset + dataCount <= message.length;
  const take = (offset: number, count: number) => (count === 0 ? new Uint8Array(0) : message.subarray(Math.min(offset, message.length), Math.min(message.length, offset + count)));
  return { parameters: take(parameterOffset, parameterCount), data: take(dataOffset, dataCount), inBounds };
}

/** The counts, offsets and displaced bytes of a primary or secondary request; null when its words are short. */
export function parseTransactionPiece(message: Uint8Array, block: Smb1Block): TransactionPiece | null {
  const w: ByteReader = block.words;
  switch (block.command) {
    case Smb1Command.transaction:
    case Smb1Command.transaction2: {
      if (w.length < 28) return null;
      return {
        totalParameters: w.u16(0)!,
        totalData: w.u16(2)!,
        parameterDisplacement: 0,
        dataDisplacement: 0,
        ...piece(message, w.u16(18)!, w.u16(20)!, w.u16(22)!, w.u16(24)!),
      };
    }
    case Smb1Command.ntTransact: {
      if (w.length < 38) return null;
      return {
        totalParameters: w.u32(3)!,
        totalData: w.u32(7)!,
        parameterDisplacement: 0,
        dataDisplacement: 0,
        ...piece(message, w.u32(19)!, w.u32(23)!, w.u32(27)!, w.u32(31)!),
      };
    }
    case Smb1Command.transactionSecondary:
    case Smb1Command.transaction2Secondary: {
      if (w.length < 16) return null;
      return {
        totalParameters: w.u16(0)!,
        totalData: w.u16(2)!,
        parameterDisplacement: w.u16(8)!,
        dataDisplacement: w.u16(14)!,
        ...piece(message, w.u16(4)!, w.u16(6)!, w.u16(10)!, w.u16(12)!),
      };
    }
    case Smb1Command.ntTransactSecondary: {
      if (w.length < 36) return null;
      return {
        totalParameters: w.u32(3)!,
        totalData: w.u32(7)!,
        parameterDisplacement: w.u32(19)!,
        dataDisplacement: w.u32(31)!,
        ...piece(message, w.u32(11)!, w.u32(15)!, w.u32(23)!, w.u32(27)!),
      };
    }
    default:
      return null;
  }
}

/** Starts a transaction from its primary; the caller has checked the totals against the limit. */
export function createTransaction(header: Smb1Header, block: Smb1Block, first: TransactionPiece, name: string): Smb1Transaction {
  const w = block.words;
  const nt = block.command === Smb1Command.ntTransact;
  const setupCount = (nt ? w.u8(35) : w.u8(26)) ?? 0;
  const setupStart = nt ? 38 : 28;
  const setup: number[] = [];
  for (let index = 0; index < setupCount; index++) {
    const value = w.u16(setupStart + index * 2);
    if (value === undefined) break;
    setup.push(value);
  }
  const transaction: Smb1Transaction = {
    command: block.command,
    uid: header.uid,
    tid: header.tid,
    pid: header.pid,
    mid: header.mid,
    setup,
    ntFunction: nt ? (w.u16(36) ?? 0) : 0,
    name,
    timeout: nt ? 0 : (w.u32(12) ?? 0),
    maxParameterCount: (nt ? w.u32(11) : w.u16(4)) ?? 0,
    maxDataCount: (nt ? w.u32(15) : w.u16(6)) ?? 0,
    parameters: new Uint8Array(first.totalParameters),
    data: new Uint8Array(first.totalData),
    parametersReceived: 0,
    dataReceived: 0,
    writeShift: 0,
  };
  return transaction;
}

export type PlaceResult = 'placed' | 'out_of_bounds';

/**
 * Copies a piece into the buffers. The displacement check is the one srv.sys makes (offset plus count
 * within the declared total); the write position it does not re-check includes `writeShift`, so a
 * piece the check passes can still land beyond the buffer: that is reported as `out_of_bounds`.
 */
export function placePiece(transaction: Smb1Transaction, next: TransactionPiece): { result: PlaceResult | 'rejected'; overflowEnd: number } {
  const parameterEnd = next.parameterDisplacement + next.parameters.length;
  const dataEnd = next.dataDisplacement + next.data.length;
  if (parameterEnd > transaction.parameters.length || dataEnd > transaction.data.length) return { result: 'rejected', overflowEnd: 0 };
  transaction.parameters.set(next.parameters, next.parameterDisplacement);
  transaction.parametersReceived += next.parameters.length;
  const shiftedEnd = dataEnd + transaction.writeShift;
  if (next.data.length > 0 && shiftedEnd > transaction.data.length) {
    // the bytes that would land past the buffer are not kept: the dummy has no neighbouring pool
    const start = next.dataDisplacement + transaction.writeShift;
    if (start < transaction.data.length) transaction.data.set(next.data.subarray(0, transaction.data.length - start), start);
    transaction.dataReceived += next.data.length;
    return { result: 'out_of_bounds', overflowEnd: shiftedEnd };
  }
  transaction.data.set(next.data, next.dataDisplacement + transaction.writeShift);
  transaction.dataReceived += next.data.length;
  return { result: 'placed', overflowEnd: 0 };
}

export function transactionComplete(transaction: Smb1Transaction): boolean {
  return transaction.parametersReceived >= transaction.parameters.length && transaction.dataReceived + transaction.writeShift >= transaction.data.length;
}
