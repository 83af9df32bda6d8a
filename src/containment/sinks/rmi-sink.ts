/**
 * RMI (JRMP): answers the stream-protocol handshake with a ProtocolAck and records it, then records
 * the strings in the first call (a registry lookup carries the bound name there) and closes, as a
 * registry that has nothing bound would end the call.
 */
import { concatBytes } from '../bytes.ts';
import type { SinkContext, TcpSink } from '../sink.ts';

const MAGIC = [0x4a, 0x52, 0x4d, 0x49]; // "JRMI"
const PROTOCOLS: Partial<Record<number, 'stream' | 'single_op' | 'multiplex'>> = { 0x4b: 'stream', 0x4c: 'single_op', 0x4d: 'multiplex' };
const CALL = 0x50;
const TC_STRING = 0x74;
const MAX_CALL_BYTES = 8_192;
const MAX_STRINGS = 16;

export class RmiSink implements TcpSink {
  readonly name = 'rmi' as const;
  readonly protocol = 'rmi' as const;
  private buffered: Uint8Array = new Uint8Array(0);
  private state: 'handshake' | 'client_endpoint' | 'call' | 'done' = 'handshake';

  constructor(private readonly context: SinkContext) {}

  start(): void {}

  receive(bytes: Uint8Array): void {
    if (this.state === 'done') return;
    this.buffered = concatBytes(this.buffered, bytes);
    if (this.state === 'handshake') this.handshake();
    if (this.state === 'client_endpoint') this.clientEndpoint();
    if (this.state === 'call' && this.buffered.length > 0) this.call(false);
  }

  end(): void {
    if (this.state === 'call' && this.buffered.length > 0) this.call(true);
    else if (this.state === 'handshake' && this.buffered.length > 0) this.context.anomaly('rmi_handshake_truncated');
  }

  private handshake(): void {
    if (this.buffered.length < 7) return;
    if (!MAGIC.every((byte, index) => this.buffered[index] === byte)) {
      this.context.anomaly('rmi_magic_invalid');
      return this.done();
    }
    const version = (this.buffered[4]! << 8) | this.buffered[5]!;
    const protocol = PROTOCOLS[this.buffered[6]!] ?? 'unknown';
    this.buffered = this.buffered.subarray(7);
    if (protocol === 'unknown') this.context.anomaly('rmi_protocol_unknown');
    this.context.record('rmi', { kind: 'rmi_handshake', version, protocol });
    if (protocol !== 'stream') {
      // single-op calls follow at once; multiplexing is not spoken by the JDK's lookups
      this.state = protocol === 'single_op' ? 'call' : 'done';
      if (this.state === 'done') this.context.finish();
      return;
    }
    // ProtocolAck, then the host and port the server sees the client as
    const host = Buffer.from('127.0.0.1', 'latin1');
    const ack = new Uint8Array(1 + 2 + host.length + 4);
    const view = new DataView(ack.buffer);
    ack[0] = 0x4e;
    view.setUint16(1, host.length);
    ack.set(host, 3);
    view.setUint32(3 + host.length, 49_152);
    this.context.reply(ack);
    this.state = 'client_endpoint';
  }

  /** the client's UTF host name and int port */
  private clientEndpoint(): void {
    if (this.buffered.length < 2) return;
    const length = (this.buffered[0]! << 8) | this.buffered[1]!;
    if (this.buffered.length < 2 + length + 4) return;
    this.buffered = this.buffered.subarray(2 + length + 4);
    this.state = 'call';
  }

  private call(final: boolean): void {
    if (this.buffered[0] !== CALL) {
      this.context.anomaly('rmi_message_unknown');
      return this.done();
    }
    if (!final && this.buffered.length < MAX_CALL_BYTES && !this.hasWholeString()) return;
    this.context.record('rmi', { kind: 'rmi_call', strings: serializedStrings(this.buffered) });
    this.done();
  }

  /** a lookup's name is a TC_STRING: once one is complete the call has said what it wants */
  private hasWholeString(): boolean {
    return serializedStrings(this.buffered).length > 0;
  }

  private done(): void {
    this.state = 'done';
    this.buffered = new Uint8Array(0);
    this.context.finish();
  }
}

/** Java serialization TC_STRING values (u16 length, modified UTF-8 read as UTF-8) found in the bytes. */
export function serializedStrings(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let index = 0; index + 3 <= bytes.length && out.length < MAX_STRINGS; index++) {
    if (bytes[index] !== TC_STRING) continue;
    const length = (bytes[index + 1]! << 8) | bytes[index + 2]!;
    if (length === 0 || index + 3 + length > bytes.length) continue;
    const text = Buffer.from(bytes.subarray(index + 3, index + 3 + length)).toString('utf8');
    if (/^[\x20-\x7e]+$/.test(text)) {
      out.push(text);
      index += 2 + length;
    }
  }
  return out;
}
