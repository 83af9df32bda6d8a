/**
 * One TCP connection a dummy opened into containment: it sniffs the first bytes, hands the stream
 * to a sink, queues what the sink answers and keeps the per-connection recording cap.
 */
import { concatBytes as joinBytes } from '../core/index.ts';
import { RecordedStream, concatBytes, asciiBytes } from './bytes.ts';
import type { ContainmentSettings } from './containment-options.ts';
import type { EgressFacts, EgressProtocol, NetworkAddress, SinkName } from './egress-event.ts';
import { detectTcp } from './protocol-detector.ts';
import type { DataConnectionOwner, SinkContext, TcpSink } from './sink.ts';

/** What a connection needs of its containment. */
export interface ConnectionHost {
  readonly settings: ContainmentSettings;
  record(connection: ContainedConnection, protocol: EgressProtocol, facts: EgressFacts, anomalies: string[]): void;
  count(name: string, amount?: number): void;
  createSink(name: SinkName, context: SinkContext): TcpSink;
  openPassivePort(connection: ContainedConnection, owner: DataConnectionOwner): NetworkAddress | null;
  forget(connection: ContainedConnection): void;
}

export class ContainedConnection {
  private sink: TcpSink | null = null;
  private sniffed: Uint8Array = new Uint8Array(0);
  private readonly output: Uint8Array[] = [];
  private outputLength = 0;
  private sinkFinished = false;
  private isClosed = false;
  private readonly stream: RecordedStream;
  private anomalies: string[] = [];
  private bytesToDummy = 0;
  /** what was recorded each way, for the evidence pcap; both bounded by the recording cap */
  private readonly sentRecorded: Uint8Array[] = [];
  private readonly receivedRecorded: Uint8Array[] = [];
  private receivedRecordedLength = 0;
  private readonly context: SinkContext;
  /** called whenever there is new output or the sink finished (the socket front pushes it out) */
  onOutput: (() => void) | null = null;

  constructor(
    private readonly host: ConnectionHost,
    readonly id: number,
    readonly destination: NetworkAddress,
    readonly source: NetworkAddress | null,
    /** a data connection an FTP session waits for: its sink is known before any byte */
    owner: DataConnectionOwner | null,
  ) {
    this.stream = new RecordedStream(host.settings.limits.maxRecordedBytesPerConnection);
    this.context = this.makeContext();
    if (owner) this.startSink(owner.attach(this.context));
    else if (host.settings.ports[destination.port] === 'ftp') this.startSink(host.createSink('ftp', this.context));
  }

  get sinkName(): SinkName | null {
    return this.sink?.name ?? null;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The sink has nothing more to say and everything it said was read: the dummy sees the close. */
  get drained(): boolean {
    return this.sinkFinished && this.outputLength === 0;
  }

  get pendingOutputBytes(): number {
    return this.outputLength;
  }

  /** Bytes from the dummy. All are taken; past the recording cap they are only counted. */
  send(bytes: Uint8Array): number {
    if (this.isClosed || bytes.length === 0) return this.isClosed ? 0 : bytes.length;
    const wasTruncated = this.stream.truncated;
    const kept = this.stream.take(bytes);
    if (kept.length > 0) this.sentRecorded.push(kept.slice());
    if (kept.length < bytes.length) {
      this.host.count('containment.bytes_unrecorded', bytes.length - kept.length);
      if (!wasTruncated) this.host.count('containment.connections_truncated');
    }
    if (kept.length === 0 || this.sinkFinished) return bytes.length;
    if (this.sink) {
      this.sink.receive(kept);
      return bytes.length;
    }
    this.sniffed = concatBytes(this.sniffed, kept.slice());
    this.decide(false);
    return bytes.length;
  }

  /** Up to `maxLength` bytes the sink said, or null when nothing is queued. */
  read(maxLength: number): Uint8Array | null {
    const first = this.output[0];
    if (!first || maxLength <= 0) return null;
    if (first.length <= maxLength) {
      this.output.shift();
      this.outputLength -= first.length;
      return this.recordReceived(first);
    }
    this.output[0] = first.subarray(maxLength);
    this.outputLength -= maxLength;
    return this.recordReceived(first.subarray(0, maxLength));
  }

  private recordReceived(bytes: Uint8Array): Uint8Array {
    const room = this.host.settings.limits.maxRecordedBytesPerConnection - this.receivedRecordedLength;
    if (room > 0) {
      const kept = bytes.subarray(0, room);
      this.receivedRecorded.push(kept.slice());
      this.receivedRecordedLength += kept.length;
    }
    return bytes;
  }

  /** The connection ends: `dummy` closed it, or the `containment` is closing. Idempotent. */
  close(by: 'dummy' | 'containment' = 'dummy'): void {
    if (this.isClosed) return;
    if (!this.sink) this.decide(true);
    this.sink?.end();
    this.isClosed = true;
    this.host.record(this, 'tcp', {
      kind: 'tcp_closed',
      sink: this.sink?.name ?? 'raw',
      bytesFromDummy: this.stream.total,
      bytesToDummy: this.bytesToDummy,
      firstBytesHex: this.stream.firstBytesHex(),
      recordedSha256: this.stream.digest(),
      truncated: this.stream.truncated,
      closedBy: this.sinkFinished && by === 'dummy' ? 'sink' : by,
      ...(this.sink?.replayedSession !== undefined ? { replayedSession: this.sink.replayedSession } : {}),
      exchange: { sent: joinChunks(this.sentRecorded), received: joinChunks(this.receivedRecorded) },
    }, this.takeAnomalies());
    this.host.forget(this);
  }

  private decide(final: boolean): void {
    const detection = detectTcp(this.sniffed, this.destination.port, this.host.settings.ports, final);
    if (detection.kind === 'need_more') return;
    this.startSink(this.host.createSink(detection.sink, this.context));
    const buffered = this.sniffed;
    this.sniffed = new Uint8Array(0);
    if (buffered.length > 0) this.sink!.receive(buffered);
  }

  private startSink(sink: TcpSink): void {
    this.sink = sink;
    this.host.count(`containment.sink.${sink.name}`);
    sink.start();
  }

  private takeAnomalies(): string[] {
    const taken = this.anomalies;
    this.anomalies = [];
    return taken;
  }

  private makeContext(): SinkContext {
    return {
      destination: this.destination,
      connectionId: this.id,
      settings: this.host.settings,
      reply: (bytes) => {
        if (this.isClosed || this.sinkFinished) return;
        const chunk = typeof bytes === 'string' ? asciiBytes(bytes) : bytes;
        if (chunk.length === 0) return;
        this.output.push(chunk);
        this.outputLength += chunk.length;
        this.bytesToDummy += chunk.length;
        this.onOutput?.();
      },
      finish: () => {
        if (this.sinkFinished) return;
        this.sinkFinished = true;
        this.onOutput?.();
      },
      record: (protocol, facts) => this.host.record(this, protocol, facts, this.takeAnomalies()),
      anomaly: (name) => {
        if (this.anomalies.length < 32) this.anomalies.push(name);
        this.host.count(`containment.${this.sink?.name ?? 'sniff'}.${name}`);
      },
      openPassivePort: (owner) => this.host.openPassivePort(this, owner),
    };
  }
}

function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? chunks[0]! : joinBytes(chunks);
}
