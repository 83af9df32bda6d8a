/**
 * FTP: enough of a server for `ftp -s:` scripts and worms. Logins always succeed, passive data
 * connections arrive through the containment on a port it hands out, RETR serves the configured
 * download and STOR is received whole; every command and every transfer is recorded.
 * Active mode (PORT/EPRT) is acknowledged and the transfer recorded, but no data connection is
 * opened towards the dummy: the containment never initiates traffic.
 */
import { createHash, type Hash } from 'node:crypto';
import { concatBytes, latin1 } from '../bytes.ts';
import { servedFile, type DataConnectionOwner, type SinkContext, type TcpSink } from '../sink.ts';

const MAX_LINE_BYTES = 2_048;

type Transfer = { command: 'RETR' | 'STOR' | 'LIST'; fileName: string };

export class FtpSink implements TcpSink, DataConnectionOwner {
  readonly name = 'ftp' as const;
  readonly protocol = 'ftp' as const;
  private buffered: Uint8Array = new Uint8Array(0);
  private dataMode: 'none' | 'passive' | 'active' = 'none';
  private data: FtpDataSink | null = null;
  private pending: Transfer | null = null;
  private upload: { bytes: number; hash: Hash } | null = null;
  private quit = false;
  private discarding = false;

  constructor(private readonly context: SinkContext) {}

  start(): void {
    this.context.reply(`${this.context.settings.ftpBanner}\r\n`);
  }

  receive(bytes: Uint8Array): void {
    this.buffered = concatBytes(this.buffered, bytes);
    while (!this.quit) {
      const newline = this.buffered.indexOf(0x0a);
      if (newline < 0) {
        if (this.buffered.length > MAX_LINE_BYTES) {
          this.context.anomaly('ftp_line_too_long');
          this.buffered = new Uint8Array(0);
          this.discarding = true;
        }
        return;
      }
      const line = latin1(this.buffered, 0, newline).replace(/\r$/, '');
      this.buffered = this.buffered.subarray(newline + 1);
      if (this.discarding) {
        this.discarding = false;
        this.context.reply('500 Line too long.\r\n');
        continue;
      }
      this.command(line);
    }
  }

  end(): void {
    if (this.buffered.length > 0 && !this.quit) this.context.anomaly('ftp_command_incomplete');
  }

  attach(context: SinkContext): FtpDataSink {
    const sink = new FtpDataSink(this, context);
    this.data = sink;
    return sink;
  }

  private command(line: string): void {
    const match = /^([A-Za-z]{3,4})(?: (.*))?$/.exec(line.trim());
    if (!match) {
      this.context.anomaly('ftp_command_invalid');
      this.context.reply('500 Syntax error, command unrecognized.\r\n');
      return;
    }
    const command = match[1]!.toUpperCase();
    const argument = match[2] ?? '';
    this.context.record('ftp', { kind: 'ftp_command', command, argument });
    const reply = (text: string): void => this.context.reply(`${text}\r\n`);
    switch (command) {
      case 'USER':
        return reply(`331 Password required for ${argument}.`);
      case 'PASS':
        return reply('230 User logged in.');
      case 'TYPE':
        return reply(`200 Type set to ${argument.toUpperCase().startsWith('A') ? 'A' : 'I'}.`);
      case 'MODE':
      case 'STRU':
      case 'NOOP':
      case 'OPTS':
      case 'ALLO':
        return reply(`200 ${command} command successful.`);
      case 'SYST':
        return reply('215 Windows_NT');
      case 'FEAT':
        return reply('211-Extensions supported:\r\n SIZE\r\n EPSV\r\n211 END');
      case 'PWD':
      case 'XPWD':
        return reply('257 "/" is current directory.');
      case 'CWD':
      case 'XCWD':
      case 'CDUP':
      case 'DELE':
      case 'RMD':
      case 'RNTO':
        return reply(`250 ${command} command successful.`);
      case 'MKD':
      case 'XMKD':
        return reply(`257 "${argument}" directory created.`);
      case 'RNFR':
        return reply('350 Requested file action pending further information.');
      case 'SIZE':
        return reply(`213 ${servedFile(this.context.settings).length}`);
      case 'HELP':
        return reply('214 Help OK.');
      case 'PASV':
      case 'EPSV':
        return this.passive(command);
      case 'PORT':
      case 'EPRT':
        return this.active(command, argument);
      case 'RETR':
      case 'STOR':
      case 'STOU':
      case 'APPE':
      case 'LIST':
      case 'NLST':
        return this.transfer(command === 'RETR' ? 'RETR' : command === 'LIST' || command === 'NLST' ? 'LIST' : 'STOR', argument);
      case 'ABOR':
        return reply('226 Abort successful.');
      case 'QUIT':
        reply('221 Goodbye.');
        this.quit = true;
        this.context.finish();
        return;
      default:
        this.context.anomaly('ftp_command_unknown');
        return reply(`500 '${command}': command not understood.`);
    }
  }

  private passive(command: 'PASV' | 'EPSV'): void {
    const data = this.context.openPassivePort(this);
    if (!data) {
      this.context.reply('421 Too many transfers, try again later.\r\n');
      return;
    }
    this.dataMode = 'passive';
    if (command === 'EPSV') {
      this.context.reply(`229 Entering Extended Passive Mode (|||${data.port}|)\r\n`);
    } else if (/^\d+\.\d+\.\d+\.\d+$/.test(data.address)) {
      const host = data.address.split('.').join(',');
      this.context.reply(`227 Entering Passive Mode (${host},${data.port >> 8},${data.port & 0xff}).\r\n`);
    } else {
      this.context.reply('425 Use EPSV on this address.\r\n');
    }
  }

  private active(command: 'PORT' | 'EPRT', argument: string): void {
    const valid = command === 'PORT'
      ? /^\d{1,3}(,\d{1,3}){5}$/.test(argument.trim()) && argument.split(',').every((part) => Number(part) <= 255)
      : /^\|[12]\|[^|]+\|\d{1,5}\|$/.test(argument.trim());
    if (!valid) {
      this.context.anomaly('ftp_port_invalid');
      this.context.reply(`501 Syntax error in parameters of ${command}.\r\n`);
      return;
    }
    this.dataMode = 'active';
    this.context.reply(`200 ${command} command successful.\r\n`);
  }

  private transfer(command: Transfer['command'], fileName: string): void {
    if (this.dataMode === 'none') {
      this.context.reply('425 Use PORT or PASV first.\r\n');
      return;
    }
    this.pending = { command, fileName };
    const what = command === 'LIST' ? 'file list' : fileName;
    this.context.reply(`150 Opening BINARY mode data connection for ${what}.\r\n`);
    if (this.dataMode === 'active') {
      // nothing goes towards the dummy: the transfer is recorded as asked for
      const bytes = command === 'RETR' ? servedFile(this.context.settings) : new Uint8Array(0);
      this.finishTransfer(bytes.length, createHash('sha256').update(bytes).digest('hex'), 'active');
      return;
    }
    this.begin();
  }

  /** A passive transfer starts when both the command and the data connection are there. */
  begin(): void {
    if (!this.pending || !this.data) return;
    const data = this.data.context;
    if (this.pending.command === 'STOR') {
      this.upload = { bytes: 0, hash: createHash('sha256') };
      return;
    }
    const bytes = this.pending.command === 'RETR' ? servedFile(this.context.settings) : new Uint8Array(0);
    data.reply(bytes);
    data.finish();
    this.data = null;
    this.finishTransfer(bytes.length, createHash('sha256').update(bytes).digest('hex'), 'passive');
  }

  dataReceived(bytes: Uint8Array): void {
    if (!this.upload) {
      this.data?.context.anomaly('ftp_data_unexpected');
      return;
    }
    this.upload.bytes += bytes.length;
    this.upload.hash.update(bytes);
  }

  dataClosed(sink: FtpDataSink): void {
    if (this.data === sink) this.data = null;
    if (!this.upload) return;
    const upload = this.upload;
    this.upload = null;
    this.finishTransfer(upload.bytes, upload.hash.digest('hex'), 'passive');
  }

  private finishTransfer(bytes: number, sha256: string, dataMode: 'passive' | 'active'): void {
    const transfer = this.pending!;
    this.pending = null;
    this.dataMode = 'none';
    if (transfer.command !== 'LIST') {
      this.context.record('ftp', { kind: 'ftp_transfer', direction: transfer.command === 'RETR' ? 'download' : 'upload', fileName: transfer.fileName, dataMode, bytes, sha256 });
    }
    this.context.reply('226 Transfer complete.\r\n');
  }
}

/** The data connection of a passive transfer; its bytes belong to the control session. */
export class FtpDataSink implements TcpSink {
  readonly name = 'ftp-data' as const;
  readonly protocol = 'ftp' as const;

  constructor(
    private readonly session: FtpSink,
    readonly context: SinkContext,
  ) {}

  start(): void {
    this.session.begin();
  }

  receive(bytes: Uint8Array): void {
    this.session.dataReceived(bytes);
  }

  end(): void {
    this.session.dataClosed(this);
  }
}
