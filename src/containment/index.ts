/**
 * Containment: the only network a dummy can reach. Every outbound connection, datagram, echo and
 * lookup lands in a sink that answers plausibly and records an egress event. Other folders import
 * only this file.
 */
export { Containment } from './containment.ts';
export type { ContainedConnection } from './contained-connection.ts';
export { DEFAULT_LIMITS, DEFAULT_PORTS, type ContainmentLimits, type ContainmentOptions, type ContainmentSettings } from './containment-options.ts';
export type { EgressEvent, EgressFacts, EgressKind, EgressProtocol, NetworkAddress, SinkName } from './egress-event.ts';
export type { DatagramReply } from './sink.ts';
export type { CapturedPeer, CapturedPeerTurn, PeerLookup } from './captured-peer.ts';
export { MAX_REPLAYED_BYTES, MAX_REPLAYED_TURNS } from './sinks/replayed-peer-sink.ts';
export { ContainmentEndpoint, type ContainmentEndpointOptions } from './containment-endpoint.ts';
export { ContainmentFront, listenContainment, type SocketFrontOptions } from './socket-front.ts';
export { sniffTcp } from './protocol-detector.ts';
