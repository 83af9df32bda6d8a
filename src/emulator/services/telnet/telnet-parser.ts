/**
 * The Telnet byte stream (RFC 854/855): data, IAC commands, option negotiation and subnegotiation,
 * across whatever pieces the client sends. It only separates; what the server answers is the
 * service's business. A subnegotiation is kept whole (IAC IAC undone) up to a cap, and its true
 * length is counted beyond it, because the length is what the vulnerable servers mishandle.
 */
export const Command = { se: 240, nop: 241, dataMark: 242, areYouThere: 246, sb: 250, will: 251, wont: 252, do: 253, dont: 254, iac: 255 } as const;

/** kept of one subnegotiation; enough for any attacker code, bounded for memory */
const MAX_SUBNEGOTIATION_KEPT = 65_536;

export type TelnetEvent =
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'negotiation'; verb: number; option: number }
  | { kind: 'command'; command: number }
  /** `length` counts every byte, `data` holds the first MAX_SUBNEGOTIATION_KEPT of them */
  | { kind: 'subnegotiation'; option: number; data: Uint8Array; length: number }
  | { kind: 'anomaly'; name: string };

type State = 'data' | 'iac' | 'negotiation' | 'subnegotiation_option' | 'subnegotiation' | 'subnegotiation_iac';

export class TelnetParser {
  private state: State = 'data';
  private verb = 0;
  private subOption = 0;
  private subData: number[] = [];
  private subLength = 0;

  push(bytes: Uint8Array): TelnetEvent[] {
    const events: TelnetEvent[] = [];
    let data: number[] = [];
    const flush = (): void => {
      if (data.length > 0) events.push({ kind: 'data', bytes: Uint8Array.from(data) });
      data = [];
    };
    for (const byte of bytes) {
      switch (this.state) {
        case 'data':
          if (byte === Command.iac) this.state = 'iac';
          else data.push(byte);
          break;
        case 'iac':
          this.state = 'data';
          if (byte === Command.iac) data.push(byte);
          else if (byte >= Command.will) {
            this.verb = byte;
            this.state = 'negotiation';
          } else if (byte === Command.sb) this.state = 'subnegotiation_option';
          else {
            flush();
            if (byte === Command.se) events.push({ kind: 'anomaly', name: 'telnet.subnegotiation_end_unexpected' });
            else if (byte < Command.se) events.push({ kind: 'anomaly', name: 'telnet.command_unknown' });
            else events.push({ kind: 'command', command: byte });
          }
          break;
        case 'negotiation':
          flush();
          events.push({ kind: 'negotiation', verb: this.verb, option: byte });
          this.state = 'data';
          break;
        case 'subnegotiation_option':
          this.subOption = byte;
          this.subData = [];
          this.subLength = 0;
          this.state = 'subnegotiation';
          break;
        case 'subnegotiation':
          if (byte === Command.iac) this.state = 'subnegotiation_iac';
          else this.keep(byte);
          break;
        case 'subnegotiation_iac':
          if (byte === Command.iac) {
            this.keep(byte);
            this.state = 'subnegotiation';
          } else if (byte === Command.se) {
            flush();
            events.push({ kind: 'subnegotiation', option: this.subOption, data: Uint8Array.from(this.subData), length: this.subLength });
            this.subData = [];
            this.state = 'data';
          } else {
            // RFC 855 leaves this undefined; telnetd ends the subnegotiation and reads the command
            flush();
            events.push({ kind: 'anomaly', name: 'telnet.subnegotiation_unterminated' });
            events.push({ kind: 'subnegotiation', option: this.subOption, data: Uint8Array.from(this.subData), length: this.subLength });
            this.subData = [];
            this.state = 'iac';
            events.push(...this.push(Uint8Array.of(byte)));
          }
          break;
      }
    }
    flush();
    return events;
  }

  private keep(byte: number): void {
    this.subLength += 1;
    if (this.subData.length < MAX_SUBNEGOTIATION_KEPT) this.subData.push(byte);
  }
}
