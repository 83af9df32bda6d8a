/**
 * The endpoint mapper (epmapper, e1af8308-5d1f-11c9-91a4-08002b14a0fa v3) on TCP 135: ept_map
 * answers a tower asking for an interface with the dynamic TCP port where the dummy serves it;
 * ept_lookup lists what is registered. Scanners and Zerologon tools ask it first.
 */
import type { Profile } from '../../../../config/index.ts';
import { FaultStatus, ReturnStatus } from '../fault-status.ts';
import { NdrReader } from '../ndr-reader.ts';
import { NdrWriter } from '../ndr-writer.ts';
import { dynamicRpcPort, isWindows } from '../profile-traits.ts';
import { buildTcpTower, readTowerRequest, TowerProtocol } from '../protocol-tower.ts';
import { fault, response, type RpcCall, type RpcInterface, type RpcResult } from '../rpc-interface.ts';

const Opnum = { Lookup: 2, Map: 3, LookupHandleFree: 4 } as const;
const CONTEXT_HANDLE_BYTES = 20;
/** towers answered per ept_map, whatever max_towers asks for */
const MAX_TOWERS = 4;

export function endpointMapperInterface(registered: (profile: Profile) => readonly RpcInterface[]): RpcInterface {
  return {
    name: 'epmapper',
    uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa',
    majorVersion: 3,
    pipes: ['epmapper'],
    offeredBy: isWindows,
    tcpPlacement: () => 'port-135',
    invoke(call) {
      switch (call.opnum) {
        case Opnum.Lookup:
          return lookup(call, registered(call.host.profile));
        case Opnum.Map:
          return map(call, registered(call.host.profile));
        case Opnum.LookupHandleFree:
          return response(new NdrWriter().bytes(new Uint8Array(CONTEXT_HANDLE_BYTES)).u32(0).finish());
        default:
          return opnumInRange(call.opnum) ? notRegistered() : fault(FaultStatus.OperationRangeError);
      }
    },
  };
}

/** ept_insert … ept_mgmt_delete (0–7) exist; a dummy registers nothing for clients */
function opnumInRange(opnum: number): boolean {
  return opnum >= 0 && opnum <= 7;
}

function dynamicallyRegistered(profile: Profile, interfaces: readonly RpcInterface[]): RpcInterface[] {
  return interfaces.filter((candidate) => {
    const placement = candidate.tcpPlacement(profile);
    return candidate.offeredBy(profile) && (placement === 'dynamic' || placement === 'both');
  });
}

function map(call: RpcCall, interfaces: readonly RpcInterface[]): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  if (reader.pointer() !== 0) reader.skip(16); // object UUID
  const towerPointer = reader.pointer();
  const tower = towerPointer !== 0 ? readTower(reader) : new Uint8Array(0);
  reader.align(4);
  reader.skip(CONTEXT_HANDLE_BYTES);
  const maxTowers = reader.u32();
  if (reader.overrun) {
    call.host.anomaly('dcerpc.ept_map_truncated');
    return fault(FaultStatus.BadStubData);
  }
  const request = readTowerRequest(tower);
  if (!request) {
    call.host.anomaly('dcerpc.ept_map_tower_invalid');
    return mapAnswer([], ReturnStatus.EndpointNotRegistered, maxTowers);
  }
  const port = dynamicRpcPort(call.host.profile);
  const known = dynamicallyRegistered(call.host.profile, interfaces).find(
    (candidate) => candidate.uuid === request.interfaceUuid && candidate.majorVersion === request.majorVersion,
  );
  if (!known || port === null || request.transport !== TowerProtocol.Tcp) return mapAnswer([], ReturnStatus.EndpointNotRegistered, maxTowers);
  const answer = buildTcpTower(request.interfaceUuid, request.majorVersion, request.minorVersion, call.host.address, port);
  return mapAnswer([answer], ReturnStatus.Success, maxTowers);
}

function readTower(reader: NdrReader): Uint8Array {
  const length = reader.u32();
  const bytes = reader.conformantBytes();
  return bytes.subarray(0, Math.min(length, bytes.length));
}

function mapAnswer(towers: Uint8Array[], status: number, maxTowers: number): RpcResult {
  const sent = towers.slice(0, Math.min(MAX_TOWERS, Math.max(1, maxTowers)));
  const writer = new NdrWriter();
  // a finished enumeration answers the null context handle
  writer.bytes(new Uint8Array(CONTEXT_HANDLE_BYTES));
  writer.u32(sent.length);
  writer.u32(Math.max(maxTowers, sent.length)).u32(0).u32(sent.length);
  for (let index = 0; index < sent.length; index++) writer.referent();
  for (const tower of sent) writer.u32(tower.length).u32(tower.length).bytes(tower).align(4);
  writer.u32(status);
  return response(writer.finish());
}

function lookup(call: RpcCall, interfaces: readonly RpcInterface[]): RpcResult {
  const reader = new NdrReader(call.stub, call.littleEndian);
  reader.u32(); // inquiry type
  if (reader.pointer() !== 0) reader.skip(16);
  if (reader.pointer() !== 0) reader.skip(20); // RPC_IF_ID
  reader.u32(); // version option
  const handle = reader.take(CONTEXT_HANDLE_BYTES);
  const maxEntries = reader.u32();
  if (reader.overrun) {
    call.host.anomaly('dcerpc.ept_lookup_truncated');
    return fault(FaultStatus.BadStubData);
  }
  const port = dynamicRpcPort(call.host.profile);
  const continuing = handle.some((byte) => byte !== 0);
  const entries = continuing || port === null ? [] : dynamicallyRegistered(call.host.profile, interfaces).slice(0, Math.max(0, maxEntries));
  const writer = new NdrWriter();
  writer.bytes(new Uint8Array(CONTEXT_HANDLE_BYTES)).u32(entries.length);
  writer.u32(Math.max(maxEntries, entries.length)).u32(0).u32(entries.length);
  for (const entry of entries) {
    writer.bytes(new Uint8Array(16)).referent();
    const annotation = entry.name;
    writer.u32(annotation.length + 1).u32(0).u32(annotation.length + 1);
    for (let index = 0; index < annotation.length; index++) writer.u8(annotation.charCodeAt(index));
    writer.u8(0);
  }
  for (const entry of entries) {
    const tower = buildTcpTower(entry.uuid, entry.majorVersion, 0, call.host.address, port ?? 0);
    writer.u32(tower.length).u32(tower.length).bytes(tower).align(4);
  }
  writer.u32(entries.length === 0 ? ReturnStatus.EndpointNotRegistered : ReturnStatus.Success);
  return response(writer.finish());
}

function notRegistered(): RpcResult {
  return response(new NdrWriter().u32(ReturnStatus.EndpointNotRegistered).finish());
}
