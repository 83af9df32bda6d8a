import { createHmac } from 'node:crypto';
import { CrashtestError } from '../../core/index.ts';
import type { Enforcer, EnforcerCapabilities, Rule } from '../../respond/index.ts';

export interface WebhookEnforcerOptions {
  url: string;
  /** HMAC-SHA256 key */
  secret: string;
  timeoutMs: number;
}

export const WEBHOOK_SIGNATURE_HEADER = 'x-crashtest-signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'x-crashtest-timestamp';

/** `sha256=<hex>` over `<timestamp>.<body>`, so a captured request cannot be replayed with a new time. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Hands the action to another system (a NAC, an orchestrator) as a JSON POST signed with HMAC;
 * a 2xx answer means it took it. It cannot verify the port itself.
 */
export class WebhookEnforcer implements Enforcer {
  readonly name = 'webhook';
  readonly capabilities: EnforcerCapabilities = { portDown: true, restore: true, verify: false, touchesNetwork: true };

  constructor(private readonly options: WebhookEnforcerOptions) {}

  accepts(rule: Rule): string | null {
    if (this.options.url === '') return 'respond.webhookUrl is empty';
    if (this.options.secret === '') return 'respond.webhookSecret is empty: unsigned webhooks are not sent';
    return rule.action === 'port_down' ? null : `action ${rule.action} is not supported`;
  }

  apply(rule: Rule, signal?: AbortSignal): Promise<string> {
    return this.post('port_down', rule, signal);
  }

  remove(rule: Rule, signal?: AbortSignal): Promise<string> {
    return this.post('port_restore', rule, signal);
  }

  close(): void {}

  private async post(action: string, rule: Rule, signal?: AbortSignal): Promise<string> {
    const body = JSON.stringify({ action, rule: { id: rule.id, target: rule.target, reason: rule.reason, ttlSeconds: rule.ttlSeconds } });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WEBHOOK_TIMESTAMP_HEADER]: timestamp, [WEBHOOK_SIGNATURE_HEADER]: signWebhook(this.options.secret, timestamp, body) },
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      throw new CrashtestError('CT_ERR_ENFORCEMENT', `webhook ${this.options.url} (${action} rule ${rule.id}) failed: ${(error as Error).message}`, { url: this.options.url }, { cause: error });
    }
    const answer = (await response.text()).slice(0, 200);
    if (!response.ok) {
      throw new CrashtestError('CT_ERR_ENFORCEMENT', `webhook ${this.options.url} answered ${response.status} to ${action} rule ${rule.id}: ${answer}`, {
        url: this.options.url,
        status: response.status,
      });
    }
    return `webhook ${action} accepted (${response.status})`;
  }
}
