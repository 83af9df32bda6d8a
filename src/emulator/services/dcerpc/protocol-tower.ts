/**
 * Protocol towers (C706 appendix L, MS-RPCE §2.2.1.1.7): the floors an endpoint mapper reads and
 * writes. Counts and lengths are little-endian whatever the stub's representation; ports and
 * addresses are in network order.
 */
import { formatUuid } from './ndr-reader.ts';
import { uuidBytes } from './ndr-writer.ts';
import { NDR_TRANSFER_SYNTAX } from './pdu-builder.ts';

export const TowerProtocol = {
  Uuid: 0x0d,
  ConnectionOriented: 0x0b,
  Tcp: 0x07,
  Ip: 0x09,
  NamedPipe: 0x0f,
  NetBios: 0x11,
} as const;

export interface TowerFloor {
  protocol: number;
  /** lhs bytes after the protocol id */
  lhsData: Uint8Array;
  rhs: Uint8Array;
}

export interface TowerRequest {
  interfaceUuid: string;
  majorVersion: number;
  minorVersion: number;
  /** protocol of the transport floor the client asks for (TCP, named pipe, …), or -1 */
  transport: number;
}

/** The floors of a tower, or null when its own lengths run past its end. */
export function readTowerFloors(tower: Uint8Array): TowerFloor[] | null {
  if (tower.length < 2) return null;
  const view = new DataView(tower.buffer, tower.byteOffset, tower.byteLength);
  const count = view.getUint16(0, true);
  const floors: TowerFloor[] = [];
  let offset = 2;
  for (let index = 0; index < count; index++) {
    if (offset + 2 > tower.length) return null;
    const lhsLength = view.getUint16(offset, true);
    offset += 2;
    if (lhsLength < 1 || offset + lhsLength + 2 > tower.length) return null;
    const lhs = tower.subarray(offset, offset + lhsLength);
    offset += lhsLength;
    const rhsLength = view.getUint16(offset, true);
    offset += 2;
    if (offset + rhsLength > tower.length) return null;
    floors.push({ protocol: lhs[0]!, lhsData: lhs.subarray(1), rhs: tower.subarray(offset, offset + rhsLength) });
    offset += rhsLength;
  }
  return floors;
}

/** What interface and transport a map request's tower asks for, or null when it names none. */
export function readTowerRequest(tower: Uint8Array): TowerRequest | null {
  const floors = readTowerFloors(tower);
  const first = floors?.[0];
  if (!floors || !first || first.protocol !== TowerProtocol.Uuid || first.lhsData.length < 18) return null;
  const data = first.lhsData;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const interfaceUuid = formatUuid(view.getUint32(0, true), view.getUint16(4, true), view.getUint16(6, true), data.subarray(8, 16));
  const minorVersion = first.rhs.length >= 2 ? first.rhs[0]! | (first.rhs[1]! << 8) : 0;
  return { interfaceUuid, majorVersion: view.getUint16(16, true), minorVersion, transport: floors[3]?.protocol ?? -1 };
}

/** A five-floor ncacn_ip_tcp tower for the interface at `address`:`port`. */
export function buildTcpTower(interfaceUuid: string, majorVersion: number, minorVersion: number, address: string, port: number): Uint8Array {
  const floors: { lhs: number[]; rhs: number[] }[] = [
    { lhs: [TowerProtocol.Uuid, ...uuidBytes(interfaceUuid), majorVersion & 0xff, majorVersion >>> 8], rhs: [minorVersion & 0xff, minorVersion >>> 8] },
    { lhs: [TowerProtocol.Uuid, ...uuidBytes(NDR_TRANSFER_SYNTAX), 2, 0], rhs: [0, 0] },
    { lhs: [TowerProtocol.ConnectionOriented], rhs: [0, 0] },
    { lhs: [TowerProtocol.Tcp], rhs: [port >>> 8, port & 0xff] },
    { lhs: [TowerProtocol.Ip], rhs: ipv4Bytes(address) },
  ];
  const bytes: number[] = [floors.length, 0];
  for (const floor of floors) bytes.push(floor.lhs.length & 0xff, floor.lhs.length >>> 8, ...floor.lhs, floor.rhs.length & 0xff, floor.rhs.length >>> 8, ...floor.rhs);
  return Uint8Array.from(bytes);
}

function ipv4Bytes(address: string): number[] {
  const parts = address.split('.').map((part) => Number(part));
  return parts.length === 4 && parts.every((part) => Number.isInteger(part) && part >= 0 && part <= 255) ? parts : [0, 0, 0, 0];
}
