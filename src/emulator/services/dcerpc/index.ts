/**
 * The DCE/RPC emulator of the emulated dummies: connection-oriented RPC over TCP (135 and the
 * dynamic ports) and over SMB named pipes, with the interfaces and vulnerability modules that real
 * Windows exploits reach through it.
 */
export { dceRpcService } from './dcerpc-service.ts';
export { openDceRpcPipe } from './open-dcerpc-pipe.ts';
export { RPC_INTERFACES } from './interface-catalogue.ts';
export type { RpcInterface, RpcCall, RpcResult, RpcTransport, CallerIdentity } from './rpc-interface.ts';
