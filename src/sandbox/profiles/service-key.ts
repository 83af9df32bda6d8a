import { CrashtestError } from '../../core/index.ts';

/** A transport protocol and port, as `tcp/445` on the command line. */
export interface ServiceKey {
  proto: 'tcp' | 'udp';
  port: number;
}

/** Parses `tcp/445` or `udp/1434` (case-insensitive). */
export function parseServiceKey(text: string): ServiceKey {
  const match = /^(tcp|udp)\/(\d{1,5})$/i.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65_535) {
    throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `service: expected PROTO/PORT such as tcp/445 or udp/1434, found '${text}'`, { key: 'service' });
  }
  return { proto: match[1]!.toLowerCase() as ServiceKey['proto'], port };
}

export function formatServiceKey(service: ServiceKey): string {
  return `${service.proto}/${service.port}`;
}
