/**
 * DNS: every A/AAAA question is answered with the sinkhole address, other types with an empty
 * NOERROR, and each question becomes a `dns_query` event. Names that carry exfiltrated data
 * (`${env:AWS_SECRET}.x.attacker.net` after expansion) are recorded exactly, non-printable bytes
 * escaped as `\DDD` the way dig prints them.
 */
import { isIPv4 } from 'node:net';
import { concatBytes } from '../bytes.ts';
import type { ContainmentSettings } from '../containment-options.ts';
import type { SinkContext, TcpSink } from '../sink.ts';

const QTYPE_NAMES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 255: 'ANY' };
const HEADER_BYTES = 12;
const MAX_NAME_BYTES = 255;
const MAX_POINTER_JUMPS = 16;
const MAX_QUESTIONS = 8;

export function qtypeName(qtype: number): string {
  return QTYPE_NAMES[qtype] ?? `TYPE${qtype}`;
}

export interface DnsAnsweredQuestion {
  qname: string;
  qtype: number;
  /** the address put in the answer, null when none */
  answer: string | null;
}

export interface DnsAnswer {
  /** the response message, null when the input deserved none (not a query, no header) */
  reply: Uint8Array | null;
  questions: DnsAnsweredQuestion[];
}

/** Parses one DNS message and builds the sinkhole's answer. Never throws. */
export function answerDnsMessage(message: Uint8Array, settings: ContainmentSettings, anomaly: (name: string) => void): DnsAnswer {
  if (message.length < HEADER_BYTES) {
    anomaly('dns_header_truncated');
    return { reply: null, questions: [] };
  }
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const id = view.getUint16(0);
  const flags = view.getUint16(2);
  if (flags & 0x8000) {
    anomaly('dns_not_a_query');
    return { reply: null, questions: [] };
  }
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) {
    anomaly('dns_opcode_unsupported');
    return { reply: header(id, flags, 4, 0, 0), questions: [] };
  }
  const questionCount = view.getUint16(4);
  if (questionCount === 0) anomaly('dns_no_question');
  if (questionCount > MAX_QUESTIONS) anomaly('dns_too_many_questions');
  const questions: DnsAnsweredQuestion[] = [];
  const sections: Uint8Array[] = [];
  const answers: Uint8Array[] = [];
  let offset = HEADER_BYTES;
  for (let index = 0; index < Math.min(questionCount, MAX_QUESTIONS); index++) {
    const name = readName(message, offset, anomaly);
    if (!name || name.end + 4 > message.length) {
      anomaly('dns_question_truncated');
      if (questions.length === 0) return { reply: header(id, flags, 1, 0, 0), questions };
      break;
    }
    const qtype = view.getUint16(name.end);
    const qclass = view.getUint16(name.end + 2);
    if (qclass !== 1 && qclass !== 255) anomaly('dns_class_not_in');
    const answer = qtype === 1 ? settings.sinkholeIpv4 : qtype === 28 ? settings.sinkholeIpv6 : null;
    // the reply copies the questions verbatim after the same 12-byte header, so their offsets hold
    if (answer && offset <= 0x3fff) answers.push(answerRecord(offset, qtype, answer));
    sections.push(message.subarray(offset, name.end + 4));
    questions.push({ qname: name.text, qtype, answer });
    offset = name.end + 4;
  }
  let reply = header(id, flags, 0, sections.length, answers.length);
  for (const part of [...sections, ...answers]) reply = concatBytes(reply, part);
  return { reply, questions };
}

function header(id: number, queryFlags: number, rcode: number, questions: number, answers: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint16(0, id);
  // QR, the query's opcode and RD, AA and RA set: an authoritative, recursive-looking answer
  view.setUint16(2, 0x8000 | (queryFlags & 0x7900) | 0x0400 | 0x0080 | (rcode & 0xf));
  view.setUint16(4, questions);
  view.setUint16(6, answers);
  return out;
}

function addressBytes(address: string): Uint8Array {
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const out = new Uint8Array(16);
  groups.forEach((group, index) => {
    const value = parseInt(group, 16);
    out[index * 2] = value >> 8;
    out[index * 2 + 1] = value & 0xff;
  });
  return out;
}

function answerRecord(nameOffset: number, qtype: number, address: string): Uint8Array {
  const name = Uint8Array.of(0xc0 | (nameOffset >> 8), nameOffset & 0xff);
  const data = addressBytes(address);
  const fixed = new Uint8Array(10);
  const view = new DataView(fixed.buffer);
  view.setUint16(0, qtype);
  view.setUint16(2, 1);
  view.setUint32(4, 300); // TTL in seconds
  view.setUint16(8, data.length);
  return concatBytes(concatBytes(name, fixed), data);
}

/** A name at `offset`, following compression pointers backwards only; null when it runs off the message. */
export function readName(message: Uint8Array, offset: number, anomaly: (name: string) => void): { text: string; end: number } | null {
  const labels: string[] = [];
  let position = offset;
  let end = -1;
  let jumps = 0;
  let length = 0;
  while (true) {
    if (position >= message.length) return null;
    const size = message[position]!;
    if (size === 0) {
      if (end < 0) end = position + 1;
      break;
    }
    if ((size & 0xc0) === 0xc0) {
      if (position + 1 >= message.length) return null;
      const target = ((size & 0x3f) << 8) | message[position + 1]!;
      if (end < 0) end = position + 2;
      if (target >= position || ++jumps > MAX_POINTER_JUMPS) {
        anomaly('dns_pointer_loop');
        return null;
      }
      position = target;
      continue;
    }
    if (size & 0xc0) {
      anomaly('dns_label_type_unknown');
      return null;
    }
    if (position + 1 + size > message.length) return null;
    length += size + 1;
    if (length > MAX_NAME_BYTES) {
      anomaly('dns_name_too_long');
      return null;
    }
    labels.push(labelText(message.subarray(position + 1, position + 1 + size)));
    position += 1 + size;
  }
  return { text: labels.length === 0 ? '.' : labels.join('.'), end };
}

function labelText(label: Uint8Array): string {
  let out = '';
  for (const byte of label) {
    if (byte === 0x2e || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte > 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return out;
}

/** DNS over TCP: two-byte length prefixes, one answer per message. */
export class DnsTcpSink implements TcpSink {
  readonly name = 'dns' as const;
  readonly protocol = 'dns' as const;
  private buffered: Uint8Array = new Uint8Array(0);

  constructor(private readonly context: SinkContext) {}

  start(): void {}

  receive(bytes: Uint8Array): void {
    this.buffered = concatBytes(this.buffered, bytes);
    while (this.buffered.length >= 2) {
      const length = (this.buffered[0]! << 8) | this.buffered[1]!;
      if (this.buffered.length < 2 + length) return;
      const message = this.buffered.subarray(2, 2 + length);
      this.buffered = this.buffered.subarray(2 + length);
      const answer = answerDnsMessage(message, this.context.settings, (name) => this.context.anomaly(name));
      for (const question of answer.questions) {
        this.context.record('dns', { kind: 'dns_query', qname: question.qname, qtype: question.qtype, qtypeName: qtypeName(question.qtype), via: 'tcp', answer: question.answer });
      }
      if (answer.reply) this.context.reply(concatBytes(Uint8Array.of(answer.reply.length >> 8, answer.reply.length & 0xff), answer.reply));
    }
  }

  end(): void {
    if (this.buffered.length > 0) this.context.anomaly('dns_message_truncated');
  }
}

/** A query by its shape (for DNS sent to a port other than 53): QR clear, opcode 0, one question that parses. */
export function looksLikeDnsQuery(message: Uint8Array): boolean {
  if (message.length < HEADER_BYTES + 5) return false;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  if ((view.getUint16(2) & 0xf800) !== 0 || view.getUint16(4) !== 1 || view.getUint16(6) !== 0 || view.getUint16(8) !== 0) return false;
  const name = readName(message, HEADER_BYTES, () => {});
  return name !== null && name.end + 4 <= message.length;
}
