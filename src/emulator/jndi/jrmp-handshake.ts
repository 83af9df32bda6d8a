/**
 * The start of Java RMI's wire protocol (JRMP) as a registry lookup opens it: the `JRMI` magic,
 * version 2, the stream protocol. The registry's acknowledgement is where a real client would go
 * on to a call; the dummy's evidence is the connection and this header.
 */
export function jrmpHandshake(): Uint8Array {
  return Uint8Array.of(0x4a, 0x52, 0x4d, 0x49, 0x00, 0x02, 0x4b);
}

/** The client's endpoint announcement after the registry's ProtocolAck (0x4e): host as UTF, port 0. */
export function jrmpClientEndpoint(host: string): Uint8Array {
  const name = new TextEncoder().encode(host);
  return Uint8Array.from([(name.length >> 8) & 0xff, name.length & 0xff, ...name, 0, 0, 0, 0]);
}

export const JRMP_PROTOCOL_ACK = 0x4e;
