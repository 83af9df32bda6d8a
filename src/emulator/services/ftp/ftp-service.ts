/**
 * An FTP control connection (RFC 959) as the profile's server shows it: its banner, anonymous
 * logins accepted and every other one refused, the navigation commands answered plausibly, and no
 * data ever transferred (listings and downloads fail with 550). Lines longer than the buffers of
 * the period's servers are refused with 500 and counted, never taken further.
 */
import type { PeerAddress, ServiceConnection, ServiceHost, StreamService } from '../service.ts';

/** RFC 959 sets no limit; the servers of the period read commands into 512-byte buffers */
export const MAX_COMMAND_LINE_BYTES = 512;
/** bytes kept while waiting for a line's end; beyond this the line is refused unread */
const MAX_PENDING_BYTES = 8_192;
const ANONYMOUS_USERS = ['anonymous', 'ftp'];
const PASSIVE_PORT_FIRST = 1_024;
const PASSIVE_PORT_SPAN = 4_000;

interface FtpSession {
  user: string | null;
  loggedIn: boolean;
  directory: string;
  type: string;
  /** advances with every PASV so each one names a new port, as a real server's do */
  passiveCount: number;
}

export function ftpService(): StreamService {
  return {
    kind: 'stream',
    name: 'ftp',
    open: (host: ServiceHost, _peer: PeerAddress, localPort: number) => new FtpConnection(host, localPort),
  };
}

class FtpConnection implements ServiceConnection {
  private pending = '';
  /** a refused overlong line is skipped up to its end */
  private skippingLine = false;
  private ended = false;
  private readonly session: FtpSession = { user: null, loggedIn: false, directory: '/', type: 'A', passiveCount: 0 };

  constructor(
    private readonly host: ServiceHost,
    private readonly localPort: number,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  greeting(): Uint8Array {
    return encode(`${banner(this.host, this.localPort)}\r\n`);
  }

  receive(bytes: Uint8Array): Uint8Array {
    if (this.ended) return new Uint8Array(0);
    this.pending += new TextDecoder('latin1').decode(bytes);
    let output = '';
    for (let newline = this.pending.indexOf('\n'); newline >= 0 && !this.ended; newline = this.pending.indexOf('\n')) {
      const line = this.pending.slice(0, newline).replace(/\r$/, '');
      this.pending = this.pending.slice(newline + 1);
      if (this.skippingLine) {
        this.skippingLine = false;
        continue;
      }
      output += this.line(line);
    }
    if (this.pending.length > MAX_PENDING_BYTES && !this.ended) {
      this.host.anomaly('ftp.line_too_long');
      output += reply(500, 'Command line too long.');
      this.pending = '';
      this.skippingLine = true;
    }
    return encode(output);
  }

  end(): void {
    this.ended = true;
  }

  private line(line: string): string {
    if (line.length > MAX_COMMAND_LINE_BYTES) {
      this.host.anomaly('ftp.line_too_long');
      return reply(500, 'Command line too long.');
    }
    // Telnet IP/DM sequences some clients send before ABOR are not part of the command
    const text = line.replace(/\xff[\xf0-\xfe]?/g, '').trim();
    const space = text.indexOf(' ');
    const verb = (space < 0 ? text : text.slice(0, space)).toUpperCase();
    const argument = space < 0 ? '' : text.slice(space + 1).trim();
    if (!/^[A-Z]{3,4}$/.test(verb)) {
      if (text.length > 0) this.host.anomaly('ftp.command_invalid');
      return reply(500, `'${printable(text.slice(0, 32))}': command not understood.`);
    }
    return this.command(verb, argument);
  }

  private command(verb: string, argument: string): string {
    const session = this.session;
    switch (verb) {
      case 'USER':
        return this.user(argument);
      case 'PASS':
        return this.password();
      case 'QUIT':
        this.ended = true;
        return reply(221, 'Goodbye.');
      case 'SYST':
        return reply(215, this.host.profile.os.kind === 'windows' ? 'Windows_NT' : 'UNIX Type: L8');
      case 'NOOP':
        return reply(200, 'NOOP command successful.');
      case 'FEAT':
        return '211-Features:\r\n SIZE\r\n MDTM\r\n211 End\r\n';
      case 'HELP':
        return reply(214, 'Direct comments to the system administrator.');
      case 'AUTH':
        return reply(502, 'Command not implemented.');
    }
    if (!session.loggedIn) return reply(530, 'Please login with USER and PASS.');
    switch (verb) {
      case 'PWD':
      case 'XPWD':
        return reply(257, `"${session.directory}" is current directory.`);
      case 'CWD':
      case 'XCWD':
      case 'CDUP':
        return this.changeDirectory(verb === 'CDUP' ? '..' : argument);
      case 'TYPE':
        return this.transferType(argument);
      case 'MODE':
      case 'STRU':
        return reply(200, `${verb} ${argument.toUpperCase()} ok.`);
      case 'PASV':
        return this.passive();
      case 'EPSV':
        return reply(229, `Entering Extended Passive Mode (|||${this.passivePort()}|)`);
      case 'PORT':
        return /^\d{1,3}(,\d{1,3}){5}$/.test(argument) ? reply(200, 'PORT command successful.') : this.refuse('ftp.port_argument_invalid', 501, 'Invalid PORT argument.');
      case 'EPRT':
        return reply(200, 'EPRT command successful.');
      case 'LIST':
      case 'NLST':
        return reply(550, 'No files found.');
      case 'RETR':
      case 'SIZE':
      case 'MDTM':
        return reply(550, `${argument || 'file'}: No such file or directory.`);
      case 'STOR':
      case 'STOU':
      case 'APPE':
      case 'DELE':
      case 'MKD':
      case 'XMKD':
      case 'RMD':
      case 'RNFR':
      case 'RNTO':
      case 'SITE':
        return reply(550, 'Permission denied.');
      case 'REST':
        return reply(350, `Restarting at ${Number.parseInt(argument, 10) || 0}. Send STORE or RETRIEVE.`);
      case 'ABOR':
        return reply(225, 'ABOR command successful.');
      case 'OPTS':
        return reply(200, 'OPTS command successful.');
      default:
        return reply(500, `'${verb}': command not understood.`);
    }
  }

  private user(name: string): string {
    if (name.length === 0) return reply(501, 'USER requires a parameter.');
    this.session.user = name;
    this.session.loggedIn = false;
    if (ANONYMOUS_USERS.includes(name.toLowerCase())) return reply(331, 'Guest login ok, send your complete e-mail address as password.');
    return reply(331, `Password required for ${printable(name.slice(0, 64))}.`);
  }

  private password(): string {
    const user = this.session.user;
    if (user === null) return reply(503, 'Login with USER first.');
    this.session.user = null;
    if (!ANONYMOUS_USERS.includes(user.toLowerCase())) return reply(530, 'Login incorrect.');
    this.session.loggedIn = true;
    return reply(230, 'Guest login ok, access restrictions apply.');
  }

  private changeDirectory(target: string): string {
    if (target.length === 0) return reply(501, 'CWD requires a parameter.');
    const parts = (target.startsWith('/') ? [] : this.session.directory.split('/')).concat(target.split('/'));
    const resolved: string[] = [];
    for (const part of parts) {
      if (part === '' || part === '.') continue;
      if (part === '..') resolved.pop();
      else resolved.push(part);
    }
    this.session.directory = `/${resolved.join('/')}`;
    return reply(250, 'CWD command successful.');
  }

  private transferType(argument: string): string {
    const type = argument.toUpperCase().split(' ')[0] ?? '';
    if (!['A', 'I', 'E', 'L'].includes(type)) return reply(504, `Type ${printable(type.slice(0, 8))} not implemented.`);
    this.session.type = type;
    return reply(200, `Type set to ${type}.`);
  }

  private passive(): string {
    const port = this.passivePort();
    const address = this.host.address.split('.').join(',');
    return reply(227, `Entering Passive Mode (${address},${port >> 8},${port & 0xff})`);
  }

  private passivePort(): number {
    this.session.passiveCount += 1;
    return PASSIVE_PORT_FIRST + ((this.session.passiveCount * 1_237) % PASSIVE_PORT_SPAN);
  }

  private refuse(anomaly: string, code: number, text: string): string {
    this.host.anomaly(anomaly);
    return reply(code, text);
  }
}

/** the profile's FTP banner with its 220 code, or a generic one */
function banner(host: ServiceHost, localPort: number): string {
  const service = host.profile.services.find((candidate) => candidate.name === 'ftp' && candidate.port === localPort) ?? host.profile.services.find((candidate) => candidate.name === 'ftp');
  const text = (service?.banner ?? `220 ${host.hostname} FTP server ready.`).replaceAll('{hostname}', host.hostname);
  return /^220[ -]/.test(text) ? text : `220 ${text}`;
}

function reply(code: number, text: string): string {
  return `${code} ${text}\r\n`;
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function encode(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}
