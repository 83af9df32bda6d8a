import { concatBytes } from './byte-reader.ts';

/** NetBIOS session service packet types (RFC 1002 4.3.1) */
export const NetbiosType = {
  sessionMessage: 0x00,
  sessionRequest: 0x81,
  positiveResponse: 0x82,
  negativeResponse: 0x83,
  keepAlive: 0x85,
} as const;

export interface NetbiosFrame {
  type: number;
  /** the message without its 4-byte header */
  payload: Uint8Array;
  /** header and message, as the client sent them */
  raw: Uint8Array;
}

export interface NetbiosFramerOptions {
  /**
   * TCP 445 ("direct hosting") takes a 24-bit length after the type byte; TCP 139 has a flags byte
   * whose low bit extends a 16-bit length to 17 bits (RFC 1002).
   */
  directHosted: boolean;
}

/**
 * Cuts the client's byte stream into NetBIOS session packets, whatever pieces TCP delivered them in.
 * A partial packet waits for the rest; a packet is never longer than its length field allows, so
 * the buffered bytes are bounded by it (16 MiB on 445, 128 KiB on 139).
 */
export class NetbiosFramer {
  private readonly directHosted: boolean;
  private pending: Uint8Array[] = [];
  private pendingLength = 0;

  constructor(options: NetbiosFramerOptions) {
    this.directHosted = options.directHosted;
  }

  /** bytes received toward a packet not yet complete, and the length its header declared */
  partial(): { received: number; declared: number } | null {
    if (this.pendingLength === 0) return null;
    const joined = this.joined();
    return { received: joined.length, declared: joined.length >= 4 ? this.declaredLength(joined) : 0 };
  }

  /** the bytes of the incomplete packet (attacker data sent toward a buffer that never completes) */
  partialBytes(): Uint8Array {
    return this.joined();
  }

  push(bytes: Uint8Array): NetbiosFrame[] {
    if (bytes.length > 0) {
      this.pending.push(bytes);
      this.pendingLength += bytes.length;
    }
    const frames: NetbiosFrame[] = [];
    let buffer = this.joined();
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const declared = this.declaredLength(buffer.subarray(offset));
      if (buffer.length - offset < 4 + declared) break;
      const raw = buffer.subarray(offset, offset + 4 + declared);
      frames.push({ type: raw[0], payload: raw.subarray(4), raw });
      offset += 4 + declared;
    }
    buffer = buffer.subarray(offset);
    this.pending = buffer.length > 0 ? [buffer] : [];
    this.pendingLength = buffer.length;
    return frames;
  }

  private declaredLength(header: Uint8Array): number {
    if (this.directHosted) return (header[1] << 16) | (header[2] << 8) | header[3];
    return ((header[1] & 0x01) << 16) | (header[2] << 8) | header[3];
  }

  private joined(): Uint8Array {
    if (this.pending.length === 1) return this.pending[0];
    const joined = concatBytes(this.pending);
    this.pending = joined.length > 0 ? [joined] : [];
    return joined;
  }
}

/** A session message: the 4-byte header and the SMB message. */
export function netbiosMessage(payload: Uint8Array): Uint8Array {
  const framed = new Uint8Array(4 + payload.length);
  framed[1] = (payload.length >> 16) & 0xff;
  framed[2] = (payload.length >> 8) & 0xff;
  framed[3] = payload.length & 0xff;
  framed.set(payload, 4);
  return framed;
}

export function netbiosPositiveResponse(): Uint8Array {
  return Uint8Array.of(NetbiosType.positiveResponse, 0, 0, 0);
}
