import type { Command } from 'commander';
import { defaultConfig, loadConfigFile } from '../config/index.ts';
import { CrashtestError, formatTimestamp } from '../core/index.ts';
import { openAttributionService, type WhoAnswer } from '../daemon/index.ts';

interface WhoOptions {
  at?: string;
  config?: string;
  json?: boolean;
  poll?: boolean;
}

/** Where output goes; tests pass their own. */
export type WriteText = (text: string) => void;

const writeStdout: WriteText = (text) => void process.stdout.write(text);

/** `crashtest who IP|MAC [--at TIME]`: which MAC, switch and port a host had at that time. */
export function addWhoCommand(program: Command, setExitCode: (code: number) => void, write: WriteText = writeStdout): void {
  program
    .command('who')
    .description('where was this host: its MAC, switch and port at a time (from the attribution journal)')
    .argument('<address>', 'an IPv4/IPv6 address or a MAC (aa:bb:cc:dd:ee:ff)')
    .option('--at <time>', 'ISO 8601 time (UTC unless it says otherwise) or seconds since 1970; default now')
    .option('--poll', 'read the configured switches before answering')
    .option('--json', 'one JSON object instead of text')
    .option('--config <file>', 'a JSON configuration file (attribution.journalPath, switches)')
    .action(async (address: string, options: WhoOptions) => {
      const config = options.config === undefined ? defaultConfig() : loadConfigFile(options.config);
      const atSeconds = parseTime(options.at);
      const service = openAttributionService(config);
      try {
        const answer = await service.who(address, atSeconds, { poll: options.poll === true });
        write(options.json ? `${JSON.stringify(answer)}\n` : renderWho(answer));
        setExitCode(answer.mac === null && answer.sessions.length === 0 ? 1 : 0);
      } finally {
        service.close();
      }
    });
}

/** `2026-11-26T10:00:00Z`, `2026-11-26 10:00` (UTC) or `1764151200`. */
export function parseTime(text: string | undefined): number {
  if (text === undefined) return Date.now() / 1000;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text.replace(' ', 'T')}Z`;
  const millis = Date.parse(withZone);
  if (Number.isNaN(millis)) {
    throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `--at: expected an ISO 8601 time or seconds since 1970, found '${text}'`, { key: '--at' });
  }
  return millis / 1000;
}

function time(seconds: number): string {
  return formatTimestamp({ seconds: Math.floor(seconds), nanoseconds: Math.round((seconds % 1) * 1e9) });
}

export function renderWho(answer: WhoAnswer): string {
  const lines = [`${answer.query} at ${time(answer.atSeconds)}`];
  if (answer.ip) lines.push(`  ip     ${answer.ip}${answer.ips.length > 1 ? ` (also ${answer.ips.slice(1).join(', ')})` : ''}`);
  if (answer.mac) {
    const how = answer.ipMac ? ` (${answer.ipMac.source}, seen ${time(answer.ipMac.firstSeenSeconds)} – ${time(answer.ipMac.lastSeenSeconds)})` : '';
    lines.push(`  mac    ${answer.mac}${how}`);
  } else {
    lines.push('  mac    unknown');
  }
  if (answer.port) {
    const { switchName, port, ifIndex, vlan, source, firstSeenSeconds, lastSeenSeconds } = answer.port;
    lines.push(`  port   ${switchName} ${port} (ifIndex ${ifIndex}, vlan ${vlan}, ${source}, seen ${time(firstSeenSeconds)} – ${time(lastSeenSeconds)})`);
  } else {
    lines.push('  port   unknown');
  }
  for (const session of answer.sessions) {
    const where = session.port ? `${session.switchName} ${session.port}` : 'port unknown';
    lines.push(`  session ${session.sessionId} ${time(session.captureSeconds)} ${session.proto} ${session.srcIp}:${session.srcPort} → ${session.dstIp}:${session.dstPort} on ${where}`);
  }
  return `${lines.join('\n')}\n`;
}
