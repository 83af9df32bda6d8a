import type { CrashtestEvent, EventOutput } from '../../alert/index.ts';
import { Counters, CrashtestError } from '../../core/index.ts';
import { signWebhook, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../enforcement/webhook-enforcer.ts';

export interface WebhookOutputOptions {
  url: string;
  /** HMAC-SHA256 key; empty sends unsigned (the receiver should refuse that) */
  secret: string;
  timeoutMs: number;
  eventTypes: readonly string[];
  /** events waiting to be posted; beyond it the newest are dropped (outputs.webhook.dropped) */
  queueEvents: number;
  counters?: Counters;
}

/**
 * Each event as a JSON POST, signed like the webhook enforcer: header X-Crashtest-Signature is
 * `sha256=HMAC(secret, "<timestamp>.<body>")`, X-Crashtest-Timestamp the Unix time. One request at a
 * time, in order; a failed post is counted, not retried (the JSON lines file is the durable record).
 */
export class WebhookOutput implements EventOutput {
  readonly name = 'webhook';
  private readonly counters: Counters;
  private readonly queue: CrashtestEvent[] = [];
  private sending: Promise<void> | null = null;
  private isClosed = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: WebhookOutputOptions) {
    if (!/^https?:\/\//.test(options.url)) throw new CrashtestError('CT_ERR_OUTPUT', `outputs.webhookUrl must be an http(s) URL, found ${JSON.stringify(options.url)}`);
    this.counters = options.counters ?? new Counters();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(event: CrashtestEvent): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', 'webhook output used after close()');
    if (!this.options.eventTypes.includes(event.event_type)) return;
    if (this.queue.length >= this.options.queueEvents) {
      this.counters.add('outputs.webhook.dropped');
      return;
    }
    this.queue.push(event);
    this.sending ??= this.sendAll().finally(() => {
      this.sending = null;
    });
  }

  /** Resolves when everything queued so far has been posted (or failed). */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  async reopen(): Promise<void> {}

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const drained = this.flush();
    const timer = setTimeout(() => this.abort.abort(), this.options.timeoutMs);
    await drained;
    clearTimeout(timer);
  }

  private async sendAll(): Promise<void> {
    for (let event = this.queue.shift(); event; event = this.queue.shift()) await this.post(event);
  }

  private async post(event: CrashtestEvent): Promise<void> {
    const body = JSON.stringify(event);
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WEBHOOK_TIMESTAMP_HEADER]: timestamp, [WEBHOOK_SIGNATURE_HEADER]: signWebhook(this.options.secret, timestamp, body) },
        body,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
      await response.arrayBuffer();
      this.counters.add(response.ok ? 'outputs.webhook.sent' : 'outputs.webhook.rejected');
    } catch {
      this.counters.add('outputs.webhook.errors');
    }
  }
}
