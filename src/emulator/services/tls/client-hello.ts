/**
 * The ClientHello (RFC 5246 7.4.1.2, SSLv3 to TLS 1.2) and the SSLv2-compatible hello older
 * clients and scanners still send first (RFC 5246 appendix E.2). A hello that does not parse is
 * a `problem`, never an exception.
 */
export const ExtensionType = {
  heartbeat: 15,
  renegotiationInfo: 0xff01,
} as const;

export interface ClientHello {
  /** the highest version the client offers: 0x0300 SSLv3 … 0x0303 TLS 1.2 */
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuites: number[];
  compressionMethods: number[];
  /** extension type → its data, in the order sent */
  extensions: Map<number, Uint8Array>;
  /** the SSLv2 form: no extensions are possible */
  sslv2: boolean;
}

export type ClientHelloResult = { hello: ClientHello } | { problem: 'client_hello_truncated' | 'client_hello_invalid' };

const RANDOM_BYTES = 32;

/** A bounds-checked reader over one message: every read past the end answers undefined. */
class MessageCursor {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  number(width: 1 | 2 | 3): number | undefined {
    if (this.remaining < width) return undefined;
    let value = 0;
    for (let index = 0; index < width; index += 1) value = (value << 8) | this.bytes[this.offset + index]!;
    this.offset += width;
    return value;
  }

  take(length: number): Uint8Array | undefined {
    if (this.remaining < length) return undefined;
    const taken = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return taken;
  }

  /** a vector with a `width`-byte length in front */
  vector(width: 1 | 2): Uint8Array | undefined {
    const length = this.number(width);
    return length === undefined ? undefined : this.take(length);
  }
}

/** the body of a handshake message of type client_hello (without its 4-byte header) */
export function parseClientHello(body: Uint8Array): ClientHelloResult {
  const cursor = new MessageCursor(body);
  const version = cursor.number(2);
  const random = cursor.take(RANDOM_BYTES);
  const sessionId = cursor.vector(1);
  const suites = cursor.vector(2);
  const compression = cursor.vector(1);
  if (version === undefined || !random || !sessionId || !suites || !compression) return { problem: 'client_hello_truncated' };
  if (sessionId.length > 32 || suites.length % 2 !== 0 || suites.length === 0 || compression.length === 0) return { problem: 'client_hello_invalid' };
  const extensions = new Map<number, Uint8Array>();
  // SSLv3 hellos may end here; anything after the compression methods is the extensions block
  if (cursor.remaining > 0) {
    const block = cursor.vector(2);
    if (!block) return { problem: 'client_hello_truncated' };
    const inner = new MessageCursor(block);
    while (inner.remaining > 0) {
      const type = inner.number(2);
      const data = inner.vector(2);
      if (type === undefined || !data) return { problem: 'client_hello_truncated' };
      if (extensions.has(type)) return { problem: 'client_hello_invalid' };
      extensions.set(type, data);
    }
  }
  const cipherSuites: number[] = [];
  for (let index = 0; index < suites.length; index += 2) cipherSuites.push((suites[index]! << 8) | suites[index + 1]!);
  return { hello: { version, random, sessionId, cipherSuites, compressionMethods: [...compression], extensions, sslv2: false } };
}

/**
 * The SSLv2-compatible CLIENT-HELLO: a 2-byte header with the high bit set, then type 1, version,
 * the lengths of the 3-byte cipher specs, the session id and the challenge. Only specs whose first
 * byte is 0 are TLS suites.
 */
export function parseSslv2ClientHello(message: Uint8Array): ClientHelloResult {
  const cursor = new MessageCursor(message);
  const type = cursor.number(1);
  const version = cursor.number(2);
  const specsLength = cursor.number(2);
  const sessionIdLength = cursor.number(2);
  const challengeLength = cursor.number(2);
  if (type === undefined || version === undefined || specsLength === undefined || sessionIdLength === undefined || challengeLength === undefined) {
    return { problem: 'client_hello_truncated' };
  }
  if (type !== 1 || specsLength % 3 !== 0 || challengeLength < 16 || challengeLength > RANDOM_BYTES) return { problem: 'client_hello_invalid' };
  const specs = cursor.take(specsLength);
  const sessionId = cursor.take(sessionIdLength);
  const challenge = cursor.take(challengeLength);
  if (!specs || !sessionId || !challenge) return { problem: 'client_hello_truncated' };
  const cipherSuites: number[] = [];
  for (let index = 0; index < specs.length; index += 3) {
    if (specs[index] === 0) cipherSuites.push((specs[index + 1]! << 8) | specs[index + 2]!);
  }
  // the challenge becomes the right-aligned client random (appendix E.2)
  const random = new Uint8Array(RANDOM_BYTES);
  random.set(challenge, RANDOM_BYTES - challenge.length);
  return { hello: { version, random, sessionId: new Uint8Array(0), cipherSuites, compressionMethods: [0], extensions: new Map(), sslv2: true } };
}
