/**
 * The DCE/RPC server behind an SMB named pipe: the SMB emulator writes what the client wrote and
 * reads back what the dummy answered.
 */
import type { PeerAddress, PipeEndpoint, PipeOpener, ServiceHost } from '../service.ts';
import { DceRpcConnection } from './dcerpc-connection.ts';
import { interfacesOnPipe } from './interface-catalogue.ts';

export const openDceRpcPipe: PipeOpener = (host: ServiceHost, name: string, peer: PeerAddress): PipeEndpoint | null => {
  const pipe = name.toLowerCase().replace(/^\\?pipe\\/, '');
  const offered = interfacesOnPipe(host.profile, pipe);
  if (offered.length === 0) return null;
  const connection = new DceRpcConnection(host, peer, { kind: 'pipe', name: pipe }, offered);
  return {
    transact: (bytes) => connection.receive(bytes),
    close: () => connection.end(),
  };
};
