/**
 * SMB identifiers a server assigns and a client echoes: SMB1 UID and TID (header) and FID (in the
 * NT_CREATE_ANDX answer; echoed by READ/WRITE/CLOSE/TRANSACTION); SMB2 SessionId and TreeId
 * (header) and the 16-byte FileId of CREATE (echoed by READ/WRITE/IOCTL/CLOSE and others). Fixed-width
 * values are rewritten in place, so no length field changes.
 */
import type { FieldAdapter } from './field-adapter.ts';

const SMB1_MAGIC = 0xff534d42; // \xffSMB
const SMB2_MAGIC = 0xfe534d42; // \xfeSMB
const SMB1_NT_CREATE_ANDX = 0xa2;
const SMB2_CREATE = 0x0005;

interface SmbMessage {
  /** offset of the SMB header in the turn */
  offset: number;
  length: number;
  version: 1 | 2;
}

/** The SMB messages in a turn of NetBIOS-framed SMB (direct TCP 445 or NetBIOS session on 139). */
function messagesOf(turn: Uint8Array): SmbMessage[] {
  const view = new DataView(turn.buffer, turn.byteOffset, turn.byteLength);
  const messages: SmbMessage[] = [];
  let offset = 0;
  while (offset + 8 <= turn.length && messages.length < 256) {
    const type = turn[offset];
    const length = ((turn[offset + 1]! & 0x01) << 16) | view.getUint16(offset + 2);
    const start = offset + 4;
    if (type === 0x00 && start + Math.min(length, 4) <= turn.length && length >= 32) {
      const magic = view.getUint32(start);
      if (magic === SMB1_MAGIC) messages.push({ offset: start, length: Math.min(length, turn.length - start), version: 1 });
      else if (magic === SMB2_MAGIC) messages.push({ offset: start, length: Math.min(length, turn.length - start), version: 2 });
    }
    offset = start + length;
  }
  return messages;
}

function key(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export class SmbIdAdapter implements FieldAdapter {
  readonly name = 'smb-ids';
  rewrites = 0;
  /** captured value (hex) → dummy value, per field kind */
  private readonly maps = new Map<string, Map<string, Uint8Array>>();

  learn(captured: Uint8Array, answered: Uint8Array): void {
    const capturedMessages = messagesOf(captured);
    const answeredMessages = messagesOf(answered);
    const count = Math.min(capturedMessages.length, answeredMessages.length);
    for (let index = 0; index < count; index++) {
      const was = capturedMessages[index]!;
      const now = answeredMessages[index]!;
      if (was.version !== now.version) continue;
      if (was.version === 1) this.learnSmb1(captured, was, answered, now);
      else this.learnSmb2(captured, was, answered, now);
    }
  }

  rewrite(clientTurn: Uint8Array): Uint8Array {
    if (this.maps.size === 0) return clientTurn;
    let copy: Uint8Array | null = null;
    const writable = (): Uint8Array => (copy ??= Uint8Array.from(clientTurn));
    for (const message of messagesOf(clientTurn)) {
      if (message.version === 1) {
        this.replaceAt(clientTurn, writable, message.offset + 28, 2, 'uid');
        this.replaceAt(clientTurn, writable, message.offset + 24, 2, 'tid');
        this.rewriteSmb1Fid(clientTurn, writable, message);
      } else {
        this.replaceAt(clientTurn, writable, message.offset + 40, 8, 'session');
        this.replaceAt(clientTurn, writable, message.offset + 36, 4, 'tree');
      }
    }
    // 16-byte SMB2 FileIds carry enough entropy to be replaced wherever they occur
    const fileIds = this.maps.get('file2');
    if (fileIds) {
      const source = copy ?? clientTurn;
      for (const [capturedHex, value] of fileIds) {
        const needle = Buffer.from(capturedHex, 'hex');
        for (let at = Buffer.from(source.buffer, source.byteOffset, source.byteLength).indexOf(needle); at >= 0; at = Buffer.from(source.buffer, source.byteOffset, source.byteLength).indexOf(needle, at + 16)) {
          writable().set(value, at);
          this.rewrites++;
        }
      }
    }
    return copy ?? clientTurn;
  }

  private learnSmb1(captured: Uint8Array, was: SmbMessage, answered: Uint8Array, now: SmbMessage): void {
    this.pair('uid', captured.subarray(was.offset + 28, was.offset + 30), answered.subarray(now.offset + 28, now.offset + 30));
    this.pair('tid', captured.subarray(was.offset + 24, was.offset + 26), answered.subarray(now.offset + 24, now.offset + 26));
    if (captured[was.offset + 4] === SMB1_NT_CREATE_ANDX && answered[now.offset + 4] === SMB1_NT_CREATE_ANDX) {
      // words start after the 32-byte header and the word count: AndX (4 bytes), oplock level (1), FID (2)
      const fidAt = 32 + 1 + 5;
      if (was.length >= fidAt + 2 && now.length >= fidAt + 2) {
        this.pair('fid', captured.subarray(was.offset + fidAt, was.offset + fidAt + 2), answered.subarray(now.offset + fidAt, now.offset + fidAt + 2));
      }
    }
  }

  private learnSmb2(captured: Uint8Array, was: SmbMessage, answered: Uint8Array, now: SmbMessage): void {
    this.pair('session', captured.subarray(was.offset + 40, was.offset + 48), answered.subarray(now.offset + 40, now.offset + 48));
    this.pair('tree', captured.subarray(was.offset + 36, was.offset + 40), answered.subarray(now.offset + 36, now.offset + 40));
    const command = (captured[was.offset + 12] ?? 0) | ((captured[was.offset + 13] ?? 0) << 8);
    const answeredCommand = (answered[now.offset + 12] ?? 0) | ((answered[now.offset + 13] ?? 0) << 8);
    if (command === SMB2_CREATE && answeredCommand === SMB2_CREATE) {
      const fileIdAt = 64 + 0x40;
      if (was.length >= fileIdAt + 16 && now.length >= fileIdAt + 16) {
        this.pair('file2', captured.subarray(was.offset + fileIdAt, was.offset + fileIdAt + 16), answered.subarray(now.offset + fileIdAt, now.offset + fileIdAt + 16));
      }
    }
  }

  private pair(kind: string, was: Uint8Array, now: Uint8Array): void {
    if (was.length !== now.length || was.every((byte) => byte === 0) || key(was) === key(now)) return;
    let map = this.maps.get(kind);
    if (!map) this.maps.set(kind, (map = new Map()));
    if (map.size < 64) map.set(key(was), Uint8Array.from(now));
  }

  private replaceAt(source: Uint8Array, writable: () => Uint8Array, at: number, width: number, kind: string): void {
    const map = this.maps.get(kind);
    if (!map || at + width > source.length) return;
    const value = map.get(key(source.subarray(at, at + width)));
    if (!value) return;
    writable().set(value, at);
    this.rewrites++;
  }

  private rewriteSmb1Fid(source: Uint8Array, writable: () => Uint8Array, message: SmbMessage): void {
    const command = source[message.offset + 4];
    // FID position in the words of the requests that echo it (after the 32-byte header and word count)
    const wordsAt = message.offset + 33;
    const fidOffset: Record<number, number> = { 0x2e: 4, 0x2f: 4, 0x04: 0, 0x25: 0 };
    const offset = command === undefined ? undefined : fidOffset[command];
    if (offset === undefined) return;
    // TRANSACTION carries the FID in its second setup word, after 14 parameter words
    const at = command === 0x25 ? wordsAt + 28 + 2 : wordsAt + offset;
    this.replaceAt(source, writable, at, 2, 'fid');
  }
}
