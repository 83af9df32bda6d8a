/**
 * Ports ≥ 1024 that are services rather than ephemeral client ports. Old Windows (up to XP/2003)
 * picks client ports from 1025–5000, so "the higher port is the client" alone would get a
 * connection from port 1042 to 3389 backwards.
 */
const SERVICE_PORTS = new Set([
  1080, 1194, 1433, 1434, 1521, 1723, 1883, 2049, 2375, 2376, 3128, 3306, 3389, 3690, 4444, 5000, 5060, 5061,
  5432, 5555, 5672, 5900, 5985, 5986, 6379, 6443, 6667, 8000, 8008, 8080, 8081, 8443, 8888, 9000, 9090, 9200,
  9300, 11211, 27017,
]);

export function isServicePort(port: number): boolean {
  return port < 1024 || SERVICE_PORTS.has(port);
}

/**
 * Mid-stream pick-up: which side of a packet (no handshake seen) is the client?
 * 1. when exactly one port is a service port (< 1024 or in SERVICE_PORTS), that side is the server;
 * 2. otherwise the higher port is the client (ephemeral ports sit above service ports);
 * 3. equal ports: the sender of the first packet seen is the client.
 * Returns true when the packet's source is the client.
 */
export function sourceLooksLikeClient(sourcePort: number, destinationPort: number): boolean {
  const sourceService = isServicePort(sourcePort);
  const destinationService = isServicePort(destinationPort);
  if (sourceService !== destinationService) return destinationService;
  if (sourcePort !== destinationPort) return sourcePort > destinationPort;
  return true;
}

/**
 * UDP has no handshake: the first datagram's sender is the client unless exactly one side uses a
 * service port and it is the sender (a reply seen before its request, e.g. a DNS answer).
 */
export function udpSourceLooksLikeClient(sourcePort: number, destinationPort: number): boolean {
  const sourceService = isServicePort(sourcePort);
  const destinationService = isServicePort(destinationPort);
  return !(sourceService && !destinationService);
}
