/**
 * A connection answered by a captured server instead of a generic sink: the server side of the
 * session in which the real target host made the same connection. Turn-taking keeps it in step
 * with the dummy: the server turns that open the session play at once (a Meterpreter handler
 * sends the stage first), and each later one after the dummy sent its next request. The dummy's
 * own bytes still meet the protocol sink that would have served it, as a silent shadow, so the
 * usual records (`http_request`, `ldap_search`…) come out; only its answers are dropped. Nothing
 * leaves: the answers come from the capture file.
 */
import { createHash, type Hash } from 'node:crypto';
import { concatBytes, latin1 } from '../bytes.ts';
import type { CapturedPeer } from '../captured-peer.ts';
import type { EgressFacts, EgressProtocol, SinkName } from '../egress-event.ts';
import { detectTcp } from '../protocol-detector.ts';
import type { SinkContext, TcpSink } from '../sink.ts';

/** server bytes one replayed connection may hand the dummy (a Meterpreter stage is ~750 KiB) */
export const MAX_REPLAYED_BYTES = 8 * 1024 * 1024; // 8 MiB
/** server turns one replayed connection may play */
export const MAX_REPLAYED_TURNS = 512;
/** the head of an HTTP answer read for its status line and headers */
const MAX_HTTP_HEAD = 16_384;

export type ShadowFactory = (name: SinkName, context: SinkContext) => TcpSink;

export class ReplayedPeerSink implements TcpSink {
  readonly name = 'replayed-peer' as const;
  readonly protocol = 'tcp' as const;
  readonly replayedSession: number;
  private cursor = 0;
  private turnsPlayed = 0;
  private bytesPlayed = 0;
  private readonly playedHash: Hash = createHash('sha256');
  private capped = false;
  private shadow: TcpSink | null = null;
  private sniffed: Uint8Array = new Uint8Array(0);
  private shadowProtocol: EgressProtocol = 'tcp';
  /** the last HTTP request the shadow saw and no answer has been matched to yet */
  private pendingRequest: { host: string; url: string } | null = null;
  private ended = false;
  /** index of the session's last server turn (-1: the server never spoke) */
  private readonly lastServerTurn: number;

  constructor(
    private readonly context: SinkContext,
    private readonly peer: CapturedPeer,
    private readonly shadowFor: ShadowFactory,
  ) {
    this.replayedSession = peer.sessionId;
    this.lastServerTurn = peer.turns.findLastIndex((turn) => turn.direction === 'to_client');
  }

  start(): void {
    this.playServerTurns();
  }

  receive(bytes: Uint8Array): void {
    this.feedShadow(bytes);
    // one send of the dummy is one request: it answers the next captured client turn
    while (this.peer.turns[this.cursor]?.direction === 'to_server') this.cursor++;
    this.playServerTurns();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.shadow && this.sniffed.length > 0) this.startShadow(true);
    this.shadow?.end();
    this.context.record(this.shadowProtocol, {
      kind: 'replayed_peer',
      sessionId: this.peer.sessionId,
      capturedClient: { ...this.peer.capturedClient },
      serverTurns: this.turnsPlayed,
      bytesToDummy: this.bytesPlayed,
      sha256: this.playedHash.digest('hex'),
      complete: !this.capped && !this.serverTurnsLeft(),
    });
  }

  /** Plays server turns up to the next client turn; the connection ends when none are left. */
  private playServerTurns(): void {
    while (this.cursor < this.peer.turns.length) {
      const turn = this.peer.turns[this.cursor]!;
      if (turn.direction === 'to_server' && this.serverTurnsLeft()) return;
      if (turn.direction === 'to_server') break;
      this.cursor++;
      if (!this.play(turn.data)) return;
    }
    // the server said its last (what the client said after it needs no answer): the dummy sees
    // the close once it has read everything
    this.context.finish();
  }

  private play(data: Uint8Array): boolean {
    if (this.turnsPlayed >= MAX_REPLAYED_TURNS || this.bytesPlayed + data.length > MAX_REPLAYED_BYTES) {
      this.capped = true;
      this.context.anomaly('replay_cap_reached');
      this.cursor = this.peer.turns.length;
      this.context.finish();
      return false;
    }
    this.turnsPlayed++;
    this.bytesPlayed += data.length;
    this.playedHash.update(data);
    this.noteHttpAnswer(data);
    this.context.reply(data);
    return true;
  }

  private serverTurnsLeft(): boolean {
    return this.cursor <= this.lastServerTurn;
  }

  /** The dummy's bytes go to the sink that would have served them, for its records only. */
  private feedShadow(bytes: Uint8Array): void {
    if (this.shadow) {
      this.shadow.receive(bytes);
      return;
    }
    this.sniffed = concatBytes(this.sniffed, bytes.slice());
    this.startShadow(false);
  }

  private startShadow(final: boolean): void {
    const detection = detectTcp(this.sniffed, this.context.destination.port, this.context.settings.ports, final);
    if (detection.kind === 'need_more') return;
    this.shadow = this.shadowFor(detection.sink, this.shadowContext());
    this.shadow.start();
    const buffered = this.sniffed;
    this.sniffed = new Uint8Array(0);
    this.shadow.receive(buffered);
  }

  private shadowContext(): SinkContext {
    const context = this.context;
    return {
      destination: context.destination,
      connectionId: context.connectionId,
      settings: context.settings,
      reply: () => undefined,
      finish: () => undefined,
      record: (protocol, facts) => {
        this.shadowProtocol = protocol;
        context.record(protocol, this.rewrite(facts));
      },
      anomaly: (name) => context.anomaly(name),
      openPassivePort: () => null,
    };
  }

  /** The shadow's records describe the dummy's request; the answer it got came from the capture. */
  private rewrite(facts: EgressFacts): EgressFacts {
    if (facts.kind === 'http_request') this.pendingRequest = { host: facts.host, url: facts.url };
    if (facts.kind === 'ldap_search') return { ...facts, answeredWith: 'replayed' };
    return facts;
  }

  /** A captured HTTP answer to the dummy's request is a download: what the dummy was handed. */
  private noteHttpAnswer(data: Uint8Array): void {
    const request = this.pendingRequest;
    if (!request) return;
    const head = latin1(data, 0, Math.min(data.length, MAX_HTTP_HEAD));
    const status = /^HTTP\/\d\.\d (\d{3})/.exec(head);
    const headerEnd = head.indexOf('\r\n\r\n');
    if (!status || headerEnd < 0) return;
    this.pendingRequest = null;
    const headers = head.slice(0, headerEnd);
    const declared = /\ncontent-length:\s*(\d+)/i.exec(headers);
    const bodyStart = headerEnd + 4;
    const bodyEnd = declared ? Math.min(data.length, bodyStart + Number(declared[1])) : data.length;
    const body = data.subarray(bodyStart, bodyEnd);
    this.context.record('http', {
      kind: 'replayed_http_response',
      sessionId: this.peer.sessionId,
      host: request.host,
      url: request.url,
      status: Number(status[1]),
      contentType: /\ncontent-type:\s*([^\r\n]*)/i.exec(headers)?.[1]?.trim().slice(0, 128) ?? '',
      bodyBytes: body.length,
      bodySha256: createHash('sha256').update(body).digest('hex'),
    });
  }
}
