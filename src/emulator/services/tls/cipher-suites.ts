/**
 * The RSA key-exchange suites the emulated OpenSSL 1.0.1 server agrees to, and how each one grows a
 * record when it encrypts it: all the emulator needs to judge records it cannot decrypt.
 * OpenSSL (and Apache's default SSLHonorCipherOrder off) takes the client's first acceptable suite.
 */
export type RecordProtection =
  | { kind: 'stream'; macBytes: number }
  | { kind: 'block'; blockBytes: number; macBytes: number }
  | { kind: 'aead'; explicitNonceBytes: number; tagBytes: number };

export interface CipherSuite {
  id: number;
  name: string;
  protection: RecordProtection;
  /** suites defined only for TLS 1.2 (SHA-256 MACs, GCM) */
  tls12Only: boolean;
}

const TLS12 = 0x0303;
const TLS11 = 0x0302;

export const SUPPORTED_SUITES: readonly CipherSuite[] = [
  { id: 0x009c, name: 'AES128-GCM-SHA256', protection: { kind: 'aead', explicitNonceBytes: 8, tagBytes: 16 }, tls12Only: true },
  { id: 0x009d, name: 'AES256-GCM-SHA384', protection: { kind: 'aead', explicitNonceBytes: 8, tagBytes: 16 }, tls12Only: true },
  { id: 0x003c, name: 'AES128-SHA256', protection: { kind: 'block', blockBytes: 16, macBytes: 32 }, tls12Only: true },
  { id: 0x003d, name: 'AES256-SHA256', protection: { kind: 'block', blockBytes: 16, macBytes: 32 }, tls12Only: true },
  { id: 0x002f, name: 'AES128-SHA', protection: { kind: 'block', blockBytes: 16, macBytes: 20 }, tls12Only: false },
  { id: 0x0035, name: 'AES256-SHA', protection: { kind: 'block', blockBytes: 16, macBytes: 20 }, tls12Only: false },
  { id: 0x000a, name: 'DES-CBC3-SHA', protection: { kind: 'block', blockBytes: 8, macBytes: 20 }, tls12Only: false },
  { id: 0x0005, name: 'RC4-SHA', protection: { kind: 'stream', macBytes: 20 }, tls12Only: false },
  { id: 0x0004, name: 'RC4-MD5', protection: { kind: 'stream', macBytes: 16 }, tls12Only: false },
];

/** the client's first offered suite the server supports at `version`, or null */
export function chooseCipherSuite(offered: readonly number[], version: number): CipherSuite | null {
  for (const id of offered) {
    const suite = SUPPORTED_SUITES.find((candidate) => candidate.id === id);
    if (suite && (!suite.tls12Only || version >= TLS12)) return suite;
  }
  return null;
}

/** the length of the record that carries `plaintextBytes` once `suite` has protected it */
export function ciphertextBytes(suite: CipherSuite, version: number, plaintextBytes: number): number {
  const protection = suite.protection;
  switch (protection.kind) {
    case 'stream':
      return plaintextBytes + protection.macBytes;
    case 'aead':
      return protection.explicitNonceBytes + plaintextBytes + protection.tagBytes;
    case 'block': {
      // TLS 1.1 and later send an explicit IV; CBC padding takes at least its length byte
      const explicitIv = version >= TLS11 ? protection.blockBytes : 0;
      return explicitIv + Math.ceil((plaintextBytes + protection.macBytes + 1) / protection.blockBytes) * protection.blockBytes;
    }
  }
}
