/**
 * The certificate the emulated TLS server presents: a small self-signed X.509 v3 certificate for
 * the host's name, made once per process with a fresh 1024-bit RSA key (what a default Apache
 * mod_ssl install of 2014 generated for itself). Nothing in it identifies crashtest; nothing
 * secret ever leaves (the private key only signs the certificate and the key exchange is never
 * completed).
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

const SHA256_WITH_RSA = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b);
const COMMON_NAME = Uint8Array.of(0x55, 0x04, 0x03);

let signingKey: { publicKeyDer: Uint8Array; privateKey: KeyObject } | null = null;
const certificates = new Map<string, Uint8Array>();

/** DER of the certificate for `hostname` (cached per name) */
export function selfMadeCertificate(hostname: string): Uint8Array {
  const cached = certificates.get(hostname);
  if (cached) return cached;
  signingKey ??= newSigningKey();
  const name = distinguishedName(hostname.toLowerCase());
  const algorithm = der(0x30, der(0x06, SHA256_WITH_RSA), der(0x05));
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, Uint8Array.of(2))),
    der(0x02, Uint8Array.of(0x00, 0xd4, 0x1c, 0x8a, 0x5f, 0x3e, 0x71, 0x09, 0x2b)),
    algorithm,
    name,
    der(0x30, utcTime('140101000000Z'), utcTime('240101000000Z')),
    name,
    signingKey.publicKeyDer,
  );
  const signature = sign('sha256', tbs, signingKey.privateKey);
  const certificate = der(0x30, tbs, algorithm, der(0x03, Uint8Array.of(0), signature));
  certificates.set(hostname, certificate);
  return certificate;
}

function newSigningKey(): { publicKeyDer: Uint8Array; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  return { publicKeyDer: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), privateKey };
}

function distinguishedName(commonName: string): Uint8Array {
  return der(0x30, der(0x31, der(0x30, der(0x06, COMMON_NAME), der(0x0c, new TextEncoder().encode(commonName)))));
}

function utcTime(text: string): Uint8Array {
  return der(0x17, new TextEncoder().encode(text));
}

/** one DER element: tag, definite length, contents */
function der(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((sum, part) => sum + part.length, 0);
  const lengthBytes = length < 0x80 ? [length] : length < 0x100 ? [0x81, length] : [0x82, length >> 8, length & 0xff];
  const element = new Uint8Array(1 + lengthBytes.length + length);
  element[0] = tag;
  element.set(lengthBytes, 1);
  let offset = 1 + lengthBytes.length;
  for (const part of contents) {
    element.set(part, offset);
    offset += part.length;
  }
  return element;
}
