import type { Timestamp } from '../core/index.ts';

/**
 * Formats a capture time the way Suricata's EVE does: `2024-03-01T12:00:00.123456+0000`, ISO 8601
 * with microseconds and a numeric UTC offset (no colon). SIEM parsers written for EVE expect exactly
 * this shape, so it differs from core's `formatTimestamp` (which ends in `Z`).
 * `offsetMinutes` shifts the wall-clock part into a local zone; the default is UTC.
 */
export function formatEventTimestamp(time: Timestamp, offsetMinutes = 0): string {
  const shifted = new Date((time.seconds + offsetMinutes * 60) * 1000);
  const base = shifted.toISOString().slice(0, 19);
  const micros = Math.floor(time.nanoseconds / 1000).toString().padStart(6, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(offsetMinutes);
  const offset = `${Math.floor(absolute / 60).toString().padStart(2, '0')}${(absolute % 60).toString().padStart(2, '0')}`;
  return `${base}.${micros}${sign}${offset}`;
}

/** The pattern the schemas give for `timestamp` (schemas/common.schema.json). */
export const EVENT_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{4}$/;
