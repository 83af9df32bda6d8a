import { JsonlFileOutput, type EventOutput } from '../../alert/index.ts';
import type { FrozenConfig } from '../../config/index.ts';
import type { Counters } from '../../core/index.ts';
import { SyslogOutput } from './syslog-output.ts';
import { WebhookOutput } from './webhook-output.ts';

/** The outputs `outputs` configures, in order: JSON lines file, syslog, webhook. */
export function createEventOutputs(outputs: FrozenConfig['outputs'], counters: Counters): EventOutput[] {
  const created: EventOutput[] = [];
  if (outputs.jsonlPath !== '') created.push(new JsonlFileOutput(outputs.jsonlPath, counters));
  if (outputs.syslogHost !== '') {
    created.push(
      new SyslogOutput({
        host: outputs.syslogHost,
        port: outputs.syslogPort,
        protocol: outputs.syslogProtocol,
        facility: outputs.syslogFacility,
        appName: outputs.syslogAppName,
        queueMessages: outputs.syslogQueueMessages,
        counters,
      }),
    );
  }
  if (outputs.webhookUrl !== '') {
    created.push(
      new WebhookOutput({
        url: outputs.webhookUrl,
        secret: outputs.webhookSecret,
        timeoutMs: outputs.webhookTimeoutMs,
        eventTypes: outputs.webhookEventTypes,
        queueEvents: outputs.webhookQueueEvents,
        counters,
      }),
    );
  }
  return created;
}
