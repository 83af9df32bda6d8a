/**
 * The LSA policy interface (lsarpc, 12345778-1234-abcd-ef00-0123456789ab v0) over the lsass pipes:
 * an anonymous caller may open the policy (lookups need that) but queries answer access denied.
 */
import { randomBytes } from 'node:crypto';
import { FaultStatus, ReturnStatus } from '../fault-status.ts';
import { NdrWriter } from '../ndr-writer.ts';
import { servesSmbRpc } from '../profile-traits.ts';
import { fault, response, type RpcInterface } from '../rpc-interface.ts';

const Opnum = { Close: 0, OpenPolicy: 6, QueryInformationPolicy: 7, OpenPolicy2: 44 } as const;
const LAST_OPNUM = 130;

export const localSecurityAuthorityInterface: RpcInterface = {
  name: 'lsarpc',
  uuid: '12345778-1234-abcd-ef00-0123456789ab',
  majorVersion: 0,
  pipes: ['lsarpc', 'lsass', 'samr', 'netlogon', 'protected_storage'],
  offeredBy: servesSmbRpc,
  tcpPlacement: () => 'none',
  invoke(call) {
    switch (call.opnum) {
      case Opnum.Close:
        return response(new NdrWriter().bytes(new Uint8Array(20)).u32(0).finish());
      case Opnum.OpenPolicy:
      case Opnum.OpenPolicy2:
        return response(new NdrWriter().bytes(randomBytes(20)).u32(ReturnStatus.Success).finish());
      case Opnum.QueryInformationPolicy:
        return response(new NdrWriter().u32(0).u32(ReturnStatus.AccessDenied).finish());
      default:
        return call.opnum > LAST_OPNUM ? fault(FaultStatus.OperationRangeError) : fault(FaultStatus.AccessDenied);
    }
  },
};
