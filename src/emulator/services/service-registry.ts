/**
 * Which emulator answers on a profile's port. The catalogue names each listening service
 * (`microsoft-ds`, `msrpc-dynamic`, `http`, `ms-sql-m` …); this table maps those names to the
 * emulators, and the DCE/RPC dynamic range to the DCE/RPC emulator. A port the profile lists
 * with no emulator gets a silent service (accepts, says nothing), as a real closed-mouthed
 * daemon would; a port the profile does not list is refused.
 */
import type { Profile } from '../../config/index.ts';
import { dceRpcService, openDceRpcPipe } from './dcerpc/index.ts';
import { ftpService } from './ftp/ftp-service.ts';
import { httpService } from './http/index.ts';
import { sqlResolutionService } from './mssql/sql-resolution-service.ts';
import { netbiosNameService } from './netbios/netbios-name-service.ts';
import type { ServiceConnection, ServiceEmulator, StreamService } from './service.ts';
import { netbiosSessionService, smbService } from './smb/index.ts';
import { telnetService } from './telnet/telnet-service.ts';
import { tftpService } from './tftp/tftp-service.ts';
import { tlsService } from './tls/tls-service.ts';

/** A listener that accepts and answers nothing (ssh, kerberos, … that no attack here needs spoken). */
function silentService(name: string): StreamService {
  return {
    kind: 'stream',
    name,
    open(): ServiceConnection {
      let closed = false;
      return {
        greeting: () => new Uint8Array(0),
        receive: () => new Uint8Array(0),
        end: () => {
          closed = true;
        },
        get closed() {
          return closed;
        },
      };
    },
  };
}

export function defaultServiceTable(): Map<string, ServiceEmulator> {
  const rpc = dceRpcService();
  const http = httpService();
  return new Map<string, ServiceEmulator>([
    ['microsoft-ds', smbService({ pipes: openDceRpcPipe })],
    ['netbios-ssn', netbiosSessionService({ pipes: openDceRpcPipe })],
    ['msrpc', rpc],
    ['msrpc-dynamic', rpc],
    ['http', http],
    ['https', tlsService()],
    ['ms-sql-m', sqlResolutionService()],
    ['ftp', ftpService()],
    ['tftp', tftpService()],
    ['telnet', telnetService()],
    ['netbios-ns', netbiosNameService()],
  ]);
}

export type ServiceResolver = (profile: Profile, proto: 'tcp' | 'udp', port: number) => ServiceEmulator | null;

export function serviceResolver(table: Map<string, ServiceEmulator> = defaultServiceTable()): ServiceResolver {
  const silent = new Map<string, StreamService>();
  return (profile, proto, port) => {
    const listed = profile.services.find((service) => service.proto === proto && service.port === port);
    const range = profile.rpcDynamicPorts;
    const name = listed?.name ?? (proto === 'tcp' && range && port >= range.first && port <= range.last ? 'msrpc-dynamic' : null);
    if (name === null) return null;
    const emulator = table.get(name);
    if (emulator) return emulator.kind === (proto === 'tcp' ? 'stream' : 'datagram') ? emulator : null;
    if (proto === 'udp') return null;
    let fallback = silent.get(name);
    if (!fallback) silent.set(name, (fallback = silentService(name)));
    return fallback;
  };
}
