export type { EventOutput } from './event-output.ts';
export { JsonlFileOutput } from './jsonl-file-output.ts';
export { formatSyslogMessage, type SyslogFormatOptions } from './syslog-format.ts';
