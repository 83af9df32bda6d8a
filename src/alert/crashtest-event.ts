import type { HostCompromiseEvent } from './host-compromise-event.ts';
import type { ResponseEvent } from './response-event.ts';
import type { StatsEvent } from './stats-event.ts';
import type { VerdictEvent } from './verdict-event.ts';

/** Any event crashtest emits; `event_type` tells them apart (schemas/event.schema.json). */
export type CrashtestEvent = VerdictEvent | HostCompromiseEvent | ResponseEvent | StatsEvent;
