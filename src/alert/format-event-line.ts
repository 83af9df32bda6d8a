import type { CrashtestEvent } from './crashtest-event.ts';

/** One JSON line for an EVE file or socket: no pretty printing, one newline at the end. */
export function formatEventLine(event: CrashtestEvent): string {
  return `${JSON.stringify(event)}\n`;
}
