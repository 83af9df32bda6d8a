import type { CrashtestEvent } from '../crashtest-event.ts';

export interface SyslogFormatOptions {
  /** 0–23; 16 = local0 */
  facility: number;
  hostname: string;
  appName: string;
  procId: string;
}

/** RFC 5424 severities by event: a compromise is an alert, an attempt a notice. */
function severityOf(event: CrashtestEvent): number {
  const fields = event as unknown as Record<string, unknown>;
  switch (event.event_type) {
    case 'verdict':
      return fields.level === 'compromised' ? 1 : fields.level === 'exploited' ? 2 : 5;
    case 'host_compromise':
      return 1;
    case 'response':
      return 4;
    default:
      return 6;
  }
}

/** PARAM-VALUE escaping of RFC 5424 §6.3.3: `"`, `\` and `]` get a backslash. */
function paramValue(value: unknown): string {
  return String(value).replace(/["\\\]]/g, (character) => `\\${character}`);
}

/** PRINTUSASCII without spaces, at most `max` characters; '-' (NILVALUE) when empty. */
function headerField(value: string, max: number): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return cleaned === '' ? '-' : cleaned;
}

/**
 * One event as an RFC 5424 message: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`, MSGID the
 * event type, structured data with the fields a SIEM filters on, and the whole event as JSON in MSG
 * (with a BOM: RFC 5424 §6.4 marks UTF-8 that way).
 */
export function formatSyslogMessage(event: CrashtestEvent, options: SyslogFormatOptions): string {
  const fields = event as unknown as Record<string, unknown>;
  const priority = options.facility * 8 + severityOf(event);
  const params: string[] = [];
  for (const key of ['level', 'profile', 'src_ip', 'src_port', 'dest_ip', 'dest_port', 'flow_id', 'host_ip', 'outcome']) {
    if (fields[key] !== undefined && fields[key] !== null) params.push(`${key}="${paramValue(fields[key])}"`);
  }
  // 32473 is the example enterprise number of RFC 5612; replace with a registered one if we get it
  const structured = params.length > 0 ? `[crashtest@32473 ${params.join(' ')}]` : '-';
  const timestamp = typeof fields.timestamp === 'string' ? fields.timestamp : new Date().toISOString();
  return `<${priority}>1 ${timestamp} ${headerField(options.hostname, 255)} ${headerField(options.appName, 48)} ${headerField(options.procId, 128)} ${headerField(event.event_type, 32)} ${structured} \uFEFF${JSON.stringify(event)}`;
}
