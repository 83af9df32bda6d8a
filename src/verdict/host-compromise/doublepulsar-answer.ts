/**
 * Rule 2, backdoor answer: the DOUBLEPULSAR implant (2017, installed by ETERNALBLUE and friends)
 * hooks the SMB1 TRANS2 dispatcher. Its "ping" is a TRANS2 SESSION_SETUP request (subcommand
 * 0x000e, which no Windows release implements); an unaffected server answers with the request's own
 * Multiplex ID, an infected one answers with MID + 0x10 (+0x20 / +0x30 report other states of the
 * implant, all carry the offset). SMB requires a reply to carry its request's MID, so a TRANS2 reply
 * whose MID belongs to no request but sits 0x10 above a SESSION_SETUP ping is the implant talking,
 * whatever port or status it uses. Public analyses: Countercept and Zerosum0x0, April 2017.
 */
import type { Session, Timestamp } from '../../core/index.ts';
import { directionStream } from './direction-stream.ts';

const SMB1_MAGIC = 0xff534d42; // \xFFSMB
const COMMAND_TRANS2 = 0x32;
const FLAGS_REPLY = 0x80;
const SUBCOMMAND_SESSION_SETUP = 0x000e;
const IMPLANT_MID_OFFSETS = [0x10, 0x20, 0x30];
/** SMB pings are tiny and come early; this much of each direction is enough */
const SCAN_LIMIT = 1 << 20; // 1 MiB
const MESSAGE_LIMIT = 4096;

export interface DoublePulsarAnswer {
  requestMid: number;
  answerMid: number;
  /** NT status of the answer (the implant's reply code lives in other fields; status is informative) */
  status: number;
  time: Timestamp;
}

interface Smb1Message {
  offset: number;
  header: Buffer;
}

/** The implant answers in this session, or null. Never throws on malformed bytes. */
export function findDoublePulsarAnswer(session: Session): DoublePulsarAnswer | null {
  if (session.proto !== 'tcp') return null;
  const requests = directionStream(session, 'to_server', SCAN_LIMIT);
  const pingMids = new Set<number>();
  const requestMids = new Set<number>();
  for (const message of smb1Messages(requests.bytes)) {
    const header = message.header;
    if ((header[9]! & FLAGS_REPLY) !== 0) continue;
    const mid = header.readUInt16LE(30);
    requestMids.add(mid);
    if (header[4] === COMMAND_TRANS2 && trans2Subcommand(header) === SUBCOMMAND_SESSION_SETUP) pingMids.add(mid);
  }
  if (pingMids.size === 0) return null;
  const replies = directionStream(session, 'to_client', SCAN_LIMIT);
  for (const message of smb1Messages(replies.bytes)) {
    const header = message.header;
    if (header[4] !== COMMAND_TRANS2 || (header[9]! & FLAGS_REPLY) === 0) continue;
    const answerMid = header.readUInt16LE(30);
    if (requestMids.has(answerMid)) continue; // an ordinary reply to a request of its own
    for (const offset of IMPLANT_MID_OFFSETS) {
      const requestMid = (answerMid - offset) & 0xffff;
      if (pingMids.has(requestMid)) {
        return { requestMid, answerMid, status: header.readUInt32LE(5), time: replies.timeAt(message.offset) };
      }
    }
  }
  return null;
}

/** SMB1 messages in NetBIOS session framing; stops at the first frame that does not parse. */
function* smb1Messages(bytes: Buffer): Generator<Smb1Message> {
  let offset = 0;
  let count = 0;
  while (offset + 4 <= bytes.length && count < MESSAGE_LIMIT) {
    const type = bytes[offset]!;
    const length = bytes.readUIntBE(offset + 1, 3);
    const body = offset + 4;
    count++;
    if (type === 0x00 && length >= 33 && body + 33 <= bytes.length && bytes.readUInt32BE(body) === SMB1_MAGIC) {
      yield { offset, header: bytes.subarray(body, Math.min(body + length, bytes.length)) };
    } else if (type !== 0x00 && type !== 0x81 && type !== 0x82 && type !== 0x83 && type !== 0x84 && type !== 0x85) {
      return; // not NetBIOS session framing (mid-stream pick-up, another protocol)
    }
    offset = body + length;
  }
}

/** Setup[0] of a TRANS2 request, or -1 when the words are not there. */
function trans2Subcommand(message: Buffer): number {
  const wordCount = message[32]!;
  const setupCountAt = 33 + 26;
  if (wordCount < 15 || message.length < 33 + 30) return -1;
  if (message[setupCountAt]! < 1) return -1;
  return message.readUInt16LE(33 + 28);
}
