/**
 * A TLS 1.2 ClientHello as a JDK 8 client sends it (server name indication for names, the usual
 * ECDHE/RSA suites). Enough for the containment to see a TLS connection and the name asked for;
 * the dummy never completes a handshake.
 */
import { createHash } from 'node:crypto';

const CIPHER_SUITES = [0xc024, 0xc028, 0x003d, 0xc026, 0xc02a, 0x006b, 0x006a, 0xc00a, 0xc014, 0x0035, 0xc02c, 0xc02b, 0xc030, 0x009d, 0xc02f, 0x009c, 0x00ff];

export function tlsClientHello(serverName: string | null, seed: string): Uint8Array {
  const random = createHash('sha256').update(`client-random:${seed}`).digest();
  const extensions: number[] = [];
  if (serverName !== null) {
    const name = [...new TextEncoder().encode(serverName)];
    const entry = [0, ...u16(name.length), ...name];
    const list = [...u16(entry.length), ...entry];
    extensions.push(...u16(0x0000), ...u16(list.length), ...list);
  }
  const groups = [0x0017, 0x0018, 0x0019];
  const groupList = [...u16(groups.length * 2), ...groups.flatMap(u16)];
  extensions.push(...u16(0x000a), ...u16(groupList.length), ...groupList);
  extensions.push(...u16(0x000b), ...u16(2), 1, 0);
  const signatures = [0x0603, 0x0601, 0x0503, 0x0501, 0x0403, 0x0401, 0x0201];
  const signatureList = [...u16(signatures.length * 2), ...signatures.flatMap(u16)];
  extensions.push(...u16(0x000d), ...u16(signatureList.length), ...signatureList);
  const body = [
    0x03, 0x03,
    ...random,
    0, // no session id
    ...u16(CIPHER_SUITES.length * 2), ...CIPHER_SUITES.flatMap(u16),
    1, 0, // compression: null
    ...u16(extensions.length), ...extensions,
  ];
  const handshake = [0x01, ...u24(body.length), ...body];
  return Uint8Array.from([0x16, 0x03, 0x01, ...u16(handshake.length), ...handshake]);
}

function u16(value: number): number[] {
  return [(value >> 8) & 0xff, value & 0xff];
}

function u24(value: number): number[] {
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}
