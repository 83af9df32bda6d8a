import type { PeerAddress, PipeOpener, ServiceConnection, ServiceHost } from '../service.ts';
import { concatBytes } from './byte-reader.ts';
import { NetbiosFramer, NetbiosType, netbiosMessage, netbiosPositiveResponse } from './netbios-framer.ts';
import { OpenPipes } from './open-pipes.ts';
import { SmbConnectionState } from './smb-connection-state.ts';
import { runKernelCode, smbHostState } from './smb-host-state.ts';
import { Smb1Server } from './smb1-server.ts';
import { profileSmb2Dialects } from './smb2-dialects.ts';
import { Smb2Server } from './smb2-server.ts';

export interface SmbConnectionOptions {
  pipes: PipeOpener;
  /** TCP 445 framing (24-bit lengths) rather than TCP 139's NetBIOS session service */
  directHosted: boolean;
}

/** Client bytes kept per connection for the code runner; beyond it the rest is not kept (counted). */
const MAX_RECORDED_BYTES = 16 << 20; // 16 MiB

/**
 * One client connection to the SMB service: NetBIOS framing, then SMB1 or SMB2 by each message's
 * protocol id. Nothing a client sends makes it throw: a bug in a handler closes the connection and
 * is counted as `smb.internal_error`.
 */
export class SmbConnection implements ServiceConnection {
  private readonly state: SmbConnectionState;
  private readonly framer: NetbiosFramer;
  private readonly smb1: Smb1Server;
  private readonly smb2: Smb2Server;
  private readonly recorded: Uint8Array[] = [];
  private recordedLength = 0;

  constructor(host: ServiceHost, peer: PeerAddress, options: SmbConnectionOptions) {
    this.state = new SmbConnectionState(host, peer, new OpenPipes(host, peer, options.pipes));
    this.framer = new NetbiosFramer({ directHosted: options.directHosted });
    this.smb2 = new Smb2Server(this.state);
    this.smb1 = new Smb1Server(this.state, (dialect) => this.smb2.negotiateResponseFor(dialect));
  }

  get closed(): boolean {
    return this.state.closed;
  }

  greeting(): Uint8Array {
    return new Uint8Array(0);
  }

  receive(bytes: Uint8Array): Uint8Array {
    if (this.state.closed) {
      this.state.host.anomaly('smb.data_after_close');
      return new Uint8Array(0);
    }
    this.record(bytes);
    const out: Uint8Array[] = [];
    try {
      for (const frame of this.framer.push(bytes)) {
        out.push(...this.frame(frame.type, frame.payload, frame.raw));
        if (this.state.closed) break;
      }
    } catch {
      // a handler bug, never the client's fault: count it and hang up as a crashed service would
      this.state.host.anomaly('smb.internal_error');
      this.state.closed = true;
    }
    return concatBytes(out);
  }

  end(): void {
    if (this.state.closed && this.recordedLength === 0) return;
    this.runPendingKernelCode();
    this.state.pipes.closeAll();
    this.state.closed = true;
    this.recorded.length = 0;
    this.recordedLength = 0;
  }

  /**
   * After a pool corruption on a vulnerable profile, the code arrives in bytes the exploit sends on
   * this or other connections (EternalBlue's payload rides in groom buffers of other connections,
   * EternalRomance's in its write primitive). When such a connection ends, its bytes go to the code
   * runner, which finds and runs what it can.
   */
  private runPendingKernelCode(): void {
    const corruption = smbHostState(this.state.host).corruption;
    if (!corruption || this.recordedLength === 0) return;
    runKernelCode(this.state.host, corruption.vulnerability, concatBytes(this.recorded));
  }

  private record(bytes: Uint8Array): void {
    if (this.recordedLength + bytes.length > MAX_RECORDED_BYTES) {
      if (this.recordedLength < MAX_RECORDED_BYTES) this.state.host.anomaly('smb.recorded_bytes_limit');
      this.recordedLength = MAX_RECORDED_BYTES;
      return;
    }
    this.recorded.push(bytes.slice());
    this.recordedLength += bytes.length;
  }

  private frame(type: number, payload: Uint8Array, raw: Uint8Array): Uint8Array[] {
    const host = this.state.host;
    switch (type) {
      case NetbiosType.sessionRequest:
        return [netbiosPositiveResponse()];
      case NetbiosType.keepAlive:
        return [];
      case NetbiosType.sessionMessage:
        return this.message(payload, raw).map(netbiosMessage);
      default:
        host.anomaly('smb.netbios_type_unknown');
        this.state.closed = true;
        return [];
    }
  }

  private message(payload: Uint8Array, raw: Uint8Array): Uint8Array[] {
    const host = this.state.host;
    if (payload.length < 4 || payload[1] !== 0x53 || payload[2] !== 0x4d || payload[3] !== 0x42) {
      host.anomaly(payload.length < 4 ? 'smb.header_truncated' : 'smb.protocol_unknown');
      this.state.closed = true;
      return [];
    }
    switch (payload[0]) {
      case 0xff:
        return this.smb1.handle(payload, raw);
      case 0xfe:
        if (profileSmb2Dialects(host.profile).length === 0) {
          host.anomaly('smb.smb2_not_spoken');
          this.state.closed = true;
          return [];
        }
        return this.smb2.handle(payload);
      case 0xfd:
        // encryption is never negotiated (no profile speaks SMB 3.x)
        host.anomaly('smb.transform_not_negotiated');
        this.state.closed = true;
        return [];
      case 0xfc:
        // compression is an SMB 3.1.1 negotiate context no profile accepts (the SMBGhost path)
        host.anomaly('smb.compression_not_negotiated');
        this.state.closed = true;
        return [];
      default:
        host.anomaly('smb.protocol_unknown');
        this.state.closed = true;
        return [];
    }
  }
}
