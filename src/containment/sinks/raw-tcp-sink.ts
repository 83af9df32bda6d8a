/**
 * Anything the containment does not recognise: accept, say nothing, keep listening. The connection
 * itself records the first bytes, the size and the hash; a connect-back shell is caught by its
 * connect alone.
 */
import type { SinkContext, TcpSink } from '../sink.ts';

export class RawTcpSink implements TcpSink {
  readonly name = 'raw' as const;
  readonly protocol = 'tcp' as const;

  constructor(_context: SinkContext) {}

  start(): void {}

  receive(_bytes: Uint8Array): void {}

  end(): void {}
}
