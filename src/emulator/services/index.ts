/** The protocol emulators that listen on an emulated dummy, and the contract they share with its host. */
export type { HostState, ListenerState, PeerAddress, ServiceHost, ServiceConnection, StreamService, DatagramService, ServiceEmulator, ShellKind, PipeEndpoint, PipeOpener } from './service.ts';
export type { CodeHints, DummyObservation, DummyObservationKind, ExploitReport } from './observation.ts';
export { defaultServiceTable, serviceResolver, type ServiceResolver } from './service-registry.ts';
