/**
 * The NetBIOS name service on UDP 137 (RFC 1002 4.2): a name query for one of the host's names
 * (its computer name, its workgroup) is answered with its address, a node status request (what
 * `nbtstat -A` and every scanner send) with its name table. Registrations and releases of other
 * hosts are none of a dummy's business and are ignored; what does not parse is ignored and
 * counted.
 */
import { createHash } from 'node:crypto';
import type { DatagramService, PeerAddress, ServiceHost } from '../service.ts';
import { decodeNetbiosName, rawNetbiosName, type NetbiosName } from './netbios-name.ts';

const HEADER_BYTES = 12;
const RESPONSE = 0x8000;
const OPCODE_QUERY = 0;
const AUTHORITATIVE = 0x0400;
const RECURSION_DESIRED = 0x0100;
const BROADCAST = 0x0010;
const NAME_ERROR = 3;
const TYPE_NB = 0x0020;
const TYPE_NBSTAT = 0x0021;
const CLASS_INTERNET = 1;
/** Windows answers queries with a TTL of 300,000 s (3 days 11 hours) */
const ANSWER_TTL_SECONDS = 300_000;
const GROUP = 0x8000;
const ACTIVE = 0x0400;
const WORKGROUP = 'WORKGROUP';

interface TableEntry {
  name: string;
  suffix: number;
  group: boolean;
}

export function netbiosNameService(): DatagramService {
  return {
    kind: 'datagram',
    name: 'netbios-ns',
    receive(host: ServiceHost, _peer: PeerAddress, _localPort: number, packet: Uint8Array): Uint8Array[] {
      if (packet.length < HEADER_BYTES) return ignore(host, 'netbios-ns.packet_truncated');
      const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
      const flags = view.getUint16(2);
      // answers, registrations, releases and refreshes from other hosts: nothing to say
      if ((flags & RESPONSE) !== 0 || ((flags >> 11) & 0xf) !== OPCODE_QUERY) return [];
      if (view.getUint16(4) !== 1) return ignore(host, 'netbios-ns.question_count_invalid');
      const question = decodeNetbiosName(packet, HEADER_BYTES);
      if (!question) return ignore(host, 'netbios-ns.name_invalid');
      const after = HEADER_BYTES + question.wire.length;
      if (after + 4 > packet.length) return ignore(host, 'netbios-ns.question_truncated');
      const type = view.getUint16(after);
      if (view.getUint16(after + 2) !== CLASS_INTERNET) return ignore(host, 'netbios-ns.class_invalid');
      const transaction = view.getUint16(0);
      if (type === TYPE_NBSTAT) return [nodeStatus(host, transaction, question)];
      if (type !== TYPE_NB) return ignore(host, 'netbios-ns.question_type_unknown');
      return nameQuery(host, transaction, flags, question);
    },
  };
}

function nameTable(host: ServiceHost): TableEntry[] {
  const computer = host.hostname.toUpperCase().slice(0, 15);
  const entries: TableEntry[] = [
    { name: computer, suffix: 0x00, group: false },
    { name: WORKGROUP, suffix: 0x00, group: true },
    { name: computer, suffix: 0x20, group: false },
    { name: WORKGROUP, suffix: 0x1e, group: true },
  ];
  if (host.profile.roles.includes('domain-controller')) entries.push({ name: WORKGROUP, suffix: 0x1c, group: true }, { name: WORKGROUP, suffix: 0x1b, group: false });
  return entries;
}

function nameQuery(host: ServiceHost, transaction: number, flags: number, question: NetbiosName): Uint8Array[] {
  const entry = nameTable(host).find((candidate) => candidate.name === question.name && candidate.suffix === question.suffix);
  if (!entry) {
    // a broadcast for someone else's name goes unanswered; a unicast one is told the name is unknown
    if ((flags & BROADCAST) !== 0) return [];
    return [answer(transaction, AUTHORITATIVE | RECURSION_DESIRED | NAME_ERROR, question.wire, TYPE_NB, 0, new Uint8Array(0))];
  }
  const data = new Uint8Array(6);
  const view = new DataView(data.buffer);
  view.setUint16(0, entry.group ? GROUP : 0);
  host.address.split('.').forEach((part, index) => view.setUint8(2 + index, Number(part) & 0xff));
  return [answer(transaction, AUTHORITATIVE | RECURSION_DESIRED, question.wire, TYPE_NB, ANSWER_TTL_SECONDS, data)];
}

/** RFC 1002 4.2.18: the name table, then the statistics block whose first six bytes are the MAC */
function nodeStatus(host: ServiceHost, transaction: number, question: NetbiosName): Uint8Array {
  const table = nameTable(host);
  const data = new Uint8Array(1 + table.length * 18 + 46);
  data[0] = table.length;
  table.forEach((entry, index) => {
    const offset = 1 + index * 18;
    data.set(rawNetbiosName(entry.name, entry.suffix), offset);
    const nameFlags = (entry.group ? GROUP : 0) | ACTIVE;
    data[offset + 16] = nameFlags >> 8;
    data[offset + 17] = nameFlags & 0xff;
  });
  data.set(unitId(host), 1 + table.length * 18);
  return answer(transaction, AUTHORITATIVE, question.wire, TYPE_NBSTAT, 0, data);
}

/** a stable made-up MAC per host name, in a VMware range like the lab machines of the period */
function unitId(host: ServiceHost): Uint8Array {
  const digest = createHash('sha256').update(host.hostname).digest();
  return Uint8Array.of(0x00, 0x0c, 0x29, digest[0]!, digest[1]!, digest[2]!);
}

function answer(transaction: number, flags: number, name: Uint8Array, type: number, ttl: number, data: Uint8Array): Uint8Array {
  const packet = new Uint8Array(HEADER_BYTES + name.length + 10 + data.length);
  const view = new DataView(packet.buffer);
  view.setUint16(0, transaction);
  view.setUint16(2, RESPONSE | flags);
  view.setUint16(6, 1);
  packet.set(name, HEADER_BYTES);
  const record = HEADER_BYTES + name.length;
  view.setUint16(record, type);
  view.setUint16(record + 2, CLASS_INTERNET);
  view.setUint32(record + 4, ttl);
  view.setUint16(record + 8, data.length);
  packet.set(data, record + 10);
  return packet;
}

function ignore(host: ServiceHost, anomaly: string): Uint8Array[] {
  host.anomaly(anomaly);
  return [];
}
