/**
 * DCE/RPC over TCP: the endpoint mapper and DCOM activation on 135, and whatever the mapper hands
 * out on the profile's dynamic ports (`msrpc-dynamic`).
 */
import type { PeerAddress, ServiceConnection, ServiceHost, StreamService } from '../service.ts';
import { DceRpcConnection } from './dcerpc-connection.ts';
import { interfacesOnTcp } from './interface-catalogue.ts';

export function dceRpcService(): StreamService {
  return {
    kind: 'stream',
    name: 'msrpc',
    open(host: ServiceHost, peer: PeerAddress, localPort: number): ServiceConnection {
      const connection = new DceRpcConnection(host, peer, { kind: 'tcp', localPort }, interfacesOnTcp(host.profile, localPort));
      return {
        greeting: () => new Uint8Array(0),
        receive: (bytes) => connection.receive(bytes),
        end: () => connection.end(),
        get closed() {
          return connection.closed;
        },
      };
    },
  };
}
