/**
 * What answers on a port attacker code opened (a bind shell): the host's shell, one command per
 * line, with the banner and prompt the real shell prints. Answering like this is itself evidence:
 * the dummy now behaves as an infected host does when its operator connects.
 */
import type { ServiceConnection, ServiceHost, ShellKind, StreamService } from '../services/service.ts';

const MAX_LINE_BYTES = 8_192;

function banner(kind: ShellKind, host: ServiceHost): string {
  if (kind === 'sh') return '';
  const version = host.profile.os.product.startsWith('windows-xp') ? 'Microsoft Windows XP [Version 5.1.2600]' : `Microsoft Windows [Version ${host.profile.os.version}]`;
  return `${version}\r\n(C) Copyright 1985-2001 Microsoft Corp.\r\n\r\n`;
}

function prompt(kind: ShellKind): string {
  return kind === 'cmd' ? 'C:\\WINDOWS\\system32>' : '';
}

export function shellService(kind: ShellKind, origin: string): StreamService {
  return {
    kind: 'stream',
    name: `${kind}-shell`,
    open(host: ServiceHost): ServiceConnection {
      let pending = '';
      let closed = false;
      host.observe({ kind: 'answered', at: host.now(), what: `${kind} shell`, origin });
      return {
        greeting: () => new TextEncoder().encode(banner(kind, host) + prompt(kind)),
        receive(bytes: Uint8Array): Uint8Array {
          if (closed) return new Uint8Array(0);
          pending += new TextDecoder('latin1').decode(bytes);
          if (pending.length > MAX_LINE_BYTES) {
            host.anomaly('shell.line_too_long');
            pending = pending.slice(-MAX_LINE_BYTES);
          }
          let output = '';
          for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
            const line = pending.slice(0, newline).replace(/\r$/, '').trim();
            pending = pending.slice(newline + 1);
            if (line === 'exit') {
              closed = true;
              break;
            }
            if (line.length > 0) output += host.runCommand(kind, line, origin);
            output += (kind === 'cmd' ? '\r\n' : '') + prompt(kind);
          }
          return new TextEncoder().encode(output);
        },
        end(): void {
          closed = true;
        },
        get closed() {
          return closed;
        },
      };
    },
  };
}
