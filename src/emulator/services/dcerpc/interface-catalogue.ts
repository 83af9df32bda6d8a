/**
 * Every RPC interface the emulator serves, and which of them a transport reaches on a host: a pipe
 * reaches the interfaces its server process registers, TCP 135 reaches the RPCSS interfaces, and a
 * dynamic port reaches what the endpoint mapper would hand out (the coordinator routes the whole
 * range here, so one listener stands for every server process).
 */
import type { Profile } from '../../../config/index.ts';
import { endpointMapperInterface } from './interfaces/endpoint-mapper.ts';
import { directorySetupInterface } from './interfaces/directory-setup.ts';
import { localSecurityAuthorityInterface } from './interfaces/local-security-authority.ts';
import { netlogonInterface } from './interfaces/netlogon.ts';
import { plugAndPlayInterface } from './interfaces/plug-and-play.ts';
import { printSpoolerInterface } from './interfaces/print-spooler.ts';
import { securityAccountManagerInterface } from './interfaces/security-account-manager.ts';
import { serviceControlManagerInterface } from './interfaces/service-control-manager.ts';
import { serverServiceInterface } from './interfaces/server-service.ts';
import { remoteActivationInterface } from './interfaces/remote-activation.ts';
import { systemActivatorInterface } from './interfaces/system-activator.ts';
import type { RpcInterface } from './rpc-interface.ts';

const SERVED: RpcInterface[] = [
  remoteActivationInterface,
  systemActivatorInterface,
  netlogonInterface,
  serverServiceInterface,
  localSecurityAuthorityInterface,
  directorySetupInterface,
  securityAccountManagerInterface,
  plugAndPlayInterface,
  serviceControlManagerInterface,
  printSpoolerInterface,
];
const ENDPOINT_MAPPER = endpointMapperInterface(() => SERVED);
export const RPC_INTERFACES: readonly RpcInterface[] = [ENDPOINT_MAPPER, ...SERVED];

/** the interfaces reachable through the named pipe `name` on a host of `profile` (empty: nothing listens) */
export function interfacesOnPipe(profile: Profile, name: string): RpcInterface[] {
  return RPC_INTERFACES.filter((candidate) => candidate.pipes.includes(name) && candidate.offeredBy(profile));
}

/** the interfaces reachable on TCP `port` of a host of `profile` */
export function interfacesOnTcp(profile: Profile, port: number): RpcInterface[] {
  const range = profile.rpcDynamicPorts;
  const dynamic = range !== undefined && port >= range.first && port <= range.last;
  return RPC_INTERFACES.filter((candidate) => {
    if (!candidate.offeredBy(profile)) return false;
    const placement = candidate.tcpPlacement(profile);
    if (placement === 'both') return true;
    return port === 135 ? placement === 'port-135' : dynamic && placement === 'dynamic';
  });
}
