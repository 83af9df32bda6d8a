/**
 * A telnet server (RFC 854) as the profile's telnetd shows it: its option negotiation, its login
 * prompt and banner, and no login ever accepted. FreeBSD's telnetd (and every BSD-derived one
 * built with the ENCRYPT option) copies the key id of an ENC_KEYID/DEC_KEYID subnegotiation into
 * a 64-byte array without checking its length (CVE-2011-4862, FreeBSD-SA-11:08): a longer key id
 * overwrites the function pointers that follow the array, and the next call through them runs
 * the attacker's bytes.
 */
import type { PeerAddress, ServiceConnection, ServiceHost, StreamService } from '../service.ts';
import { Command, TelnetParser, type TelnetEvent } from './telnet-parser.ts';

export const Option = {
  echo: 1,
  suppressGoAhead: 3,
  status: 5,
  terminalType: 24,
  windowSize: 31,
  terminalSpeed: 32,
  xDisplayLocation: 35,
  authentication: 37,
  encrypt: 38,
  newEnvironment: 39,
} as const;

const EncryptSuboption = { encryptKeyId: 7, decryptKeyId: 8 } as const;
/** MAXKEYLEN in libtelnet's encrypt.c: the size of key_info.keyid */
export const MAX_KEY_ID_BYTES = 64;
const TERMINAL_TYPE_SEND = 1;
const MAX_LINE_BYTES = 1_024;
/** login(1) gives up after this many wrong passwords and the connection closes */
const MAX_LOGIN_ATTEMPTS = 3;

interface TelnetFlavour {
  /** what the server sends first */
  opening: Uint8Array;
  /** options the server lets the client enable on its side (client WILL → DO) */
  clientOptions: readonly number[];
  /** options the server enables on its own side (client DO → WILL) */
  serverOptions: readonly number[];
}

export function telnetService(): StreamService {
  return {
    kind: 'stream',
    name: 'telnet',
    open: (host: ServiceHost, _peer: PeerAddress, localPort: number) => new TelnetConnection(host, localPort),
  };
}

/** what the profile's telnetd asks for when a client connects */
function flavourOf(host: ServiceHost): TelnetFlavour {
  const encrypting = host.profile.applications.some((application) => application.features.includes('encrypt-option'));
  if (encrypting || host.profile.os.kind === 'freebsd') {
    // BSD telnetd: terminal facts first, and ENCRYPT both ways when it was built with it
    const asks = [Option.terminalType, Option.terminalSpeed, Option.xDisplayLocation, Option.newEnvironment];
    const opening: number[] = asks.flatMap((option) => [Command.iac, Command.do, option]);
    if (encrypting) opening.push(Command.iac, Command.will, Option.encrypt, Command.iac, Command.do, Option.encrypt);
    return {
      opening: Uint8Array.from(opening),
      clientOptions: [...asks, Option.windowSize, ...(encrypting ? [Option.encrypt] : [])],
      serverOptions: [Option.echo, Option.suppressGoAhead, Option.status, ...(encrypting ? [Option.encrypt] : [])],
    };
  }
  // BusyBox telnetd: the four requests of its iacs_to_send
  return {
    opening: Uint8Array.of(Command.iac, Command.do, Option.echo, Command.iac, Command.do, Option.windowSize, Command.iac, Command.will, Option.echo, Command.iac, Command.will, Option.suppressGoAhead),
    clientOptions: [Option.windowSize, Option.terminalType],
    serverOptions: [Option.echo, Option.suppressGoAhead],
  };
}

class TelnetConnection implements ServiceConnection {
  private readonly parser = new TelnetParser();
  private readonly flavour: TelnetFlavour;
  /** options enabled on the client's side and on ours, and the requests we sent first */
  private readonly clientEnabled = new Set<number>();
  private readonly serverEnabled = new Set<number>();
  private readonly askedClient = new Set<number>();
  private readonly offered = new Set<number>();
  private login: 'user' | 'password' = 'user';
  private line: number[] = [];
  /** a CR was the last byte: a following LF or NUL belongs to it */
  private afterCarriageReturn = false;
  private failures = 0;
  private ended = false;

  constructor(
    private readonly host: ServiceHost,
    private readonly localPort: number,
  ) {
    this.flavour = flavourOf(host);
    for (let index = 0; index + 2 < this.flavour.opening.length; index += 3) {
      const [verb, option] = [this.flavour.opening[index + 1]!, this.flavour.opening[index + 2]!];
      (verb === Command.do ? this.askedClient : this.offered).add(option);
    }
  }

  get closed(): boolean {
    return this.ended;
  }

  greeting(): Uint8Array {
    return concat(this.flavour.opening, text(`\r\n\r\n${this.prompt()}`));
  }

  receive(bytes: Uint8Array): Uint8Array {
    if (this.ended) return new Uint8Array(0);
    const output: Uint8Array[] = [];
    for (const event of this.parser.push(bytes)) {
      if (this.ended) break;
      output.push(this.handle(event));
    }
    return concat(...output);
  }

  end(): void {
    this.ended = true;
  }

  private handle(event: TelnetEvent): Uint8Array {
    switch (event.kind) {
      case 'data':
        return this.data(event.bytes);
      case 'negotiation':
        return this.negotiation(event.verb, event.option);
      case 'command':
        return event.command === Command.areYouThere ? text('\r\n[Yes]\r\n') : new Uint8Array(0);
      case 'subnegotiation':
        return this.subnegotiation(event.option, event.data, event.length);
      case 'anomaly':
        this.host.anomaly(event.name);
        return new Uint8Array(0);
    }
  }

  /** RFC 1143 without the queue: answer only what changes a state, so two peers never loop */
  private negotiation(verb: number, option: number): Uint8Array {
    switch (verb) {
      case Command.will: {
        if (this.clientEnabled.has(option)) return new Uint8Array(0);
        if (!this.flavour.clientOptions.includes(option) && !this.askedClient.has(option)) return iac(Command.dont, option);
        this.clientEnabled.add(option);
        const answer = this.askedClient.delete(option) ? new Uint8Array(0) : iac(Command.do, option);
        // telnetd asks for the terminal type as soon as the client agrees to send it
        if (option === Option.terminalType) return concat(answer, Uint8Array.of(Command.iac, Command.sb, option, TERMINAL_TYPE_SEND, Command.iac, Command.se));
        return answer;
      }
      case Command.wont:
        this.askedClient.delete(option);
        return this.clientEnabled.delete(option) ? iac(Command.dont, option) : new Uint8Array(0);
      case Command.do:
        if (this.serverEnabled.has(option)) return new Uint8Array(0);
        if (!this.flavour.serverOptions.includes(option) && !this.offered.has(option)) return iac(Command.wont, option);
        this.serverEnabled.add(option);
        return this.offered.delete(option) ? new Uint8Array(0) : iac(Command.will, option);
      default:
        this.offered.delete(option);
        return this.serverEnabled.delete(option) ? iac(Command.wont, option) : new Uint8Array(0);
    }
  }

  private subnegotiation(option: number, data: Uint8Array, length: number): Uint8Array {
    if (option !== Option.encrypt || data.length === 0) return new Uint8Array(0);
    if (data[0] !== EncryptSuboption.encryptKeyId && data[0] !== EncryptSuboption.decryptKeyId) return new Uint8Array(0);
    const keyIdBytes = length - 1;
    if (keyIdBytes <= MAX_KEY_ID_BYTES) return new Uint8Array(0);
    const vulnerable = this.host.reportExploit({
      vulnerability: 'CVE-2011-4862',
      service: 'telnet',
      detail: `ENCRYPT ${data[0] === EncryptSuboption.encryptKeyId ? 'ENC_KEYID' : 'DEC_KEYID'} key id of ${keyIdBytes} bytes copied into a ${MAX_KEY_ID_BYTES}-byte key_info.keyid: the function pointers after it are overwritten`,
    });
    // FreeBSD i386 attacker code runs in the emulator's 32-bit Linux process: the x86 code and
    // the int 0x80 convention are close enough for what such payloads do (connect, exec a shell)
    if (vulnerable) this.host.runCode(data.subarray(1), { service: 'telnet', vulnerability: 'CVE-2011-4862', os: 'linux', bits: 32 });
    // the overwritten pointer is called at once: the telnetd child dies or is the attacker's
    if (vulnerable) this.ended = true;
    return new Uint8Array(0);
  }

  private data(bytes: Uint8Array): Uint8Array {
    const output: Uint8Array[] = [];
    for (const byte of bytes) {
      if (this.ended) break;
      if (this.afterCarriageReturn && (byte === 0x0a || byte === 0x00)) {
        this.afterCarriageReturn = false;
        continue;
      }
      this.afterCarriageReturn = byte === 0x0d;
      if (byte === 0x0d || byte === 0x0a) {
        output.push(this.lineEnded());
        continue;
      }
      if (byte === 0x00) continue;
      if (this.line.length >= MAX_LINE_BYTES) {
        if (this.line.length === MAX_LINE_BYTES) this.host.anomaly('telnet.line_too_long');
        this.line.push(0);
        continue;
      }
      this.line.push(byte);
      // the server echoes (it said WILL ECHO) except while the password is typed
      if (this.login === 'user') output.push(Uint8Array.of(byte));
    }
    return concat(...output);
  }

  private lineEnded(): Uint8Array {
    const typed = this.line.length;
    this.line = [];
    if (this.login === 'user') {
      if (typed === 0) return text(`\r\n${this.prompt()}`);
      this.login = 'password';
      return text('\r\nPassword:');
    }
    this.login = 'user';
    this.failures += 1;
    if (this.failures >= MAX_LOGIN_ATTEMPTS) {
      this.ended = true;
      return text('\r\nLogin incorrect\r\n');
    }
    return text(`\r\nLogin incorrect\r\n${this.prompt()}`);
  }

  /** the profile's banner; BusyBox's already is the prompt, BSD's comes before `login: ` */
  private prompt(): string {
    const service = this.host.profile.services.find((candidate) => candidate.name === 'telnet' && candidate.port === this.localPort) ?? this.host.profile.services.find((candidate) => candidate.name === 'telnet');
    const banner = (service?.banner ?? '').replaceAll('{hostname}', this.host.hostname.toLowerCase());
    if (banner.endsWith('login: ')) return banner;
    return banner.length > 0 ? `${banner}\r\n\r\nlogin: ` : 'login: ';
  }
}

function iac(verb: number, option: number): Uint8Array {
  return Uint8Array.of(Command.iac, verb, option);
}

function text(value: string): Uint8Array {
  return Buffer.from(value, 'latin1');
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
