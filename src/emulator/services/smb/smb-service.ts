import type { PipeOpener, StreamService } from '../service.ts';
import { SmbConnection } from './smb-connection.ts';

export interface SmbServiceOptions {
  /** opens named pipes (the DCE/RPC emulator's `openDceRpcPipe`, or a test's fake) */
  pipes: PipeOpener;
}

/** SMB over TCP 445 ("direct hosting"): NetBIOS-style framing with 24-bit lengths, no session request needed. */
export function smbService(options: SmbServiceOptions): StreamService {
  return {
    kind: 'stream',
    name: 'microsoft-ds',
    open: (host, peer) => new SmbConnection(host, peer, { pipes: options.pipes, directHosted: true }),
  };
}

/** SMB over the NetBIOS session service on TCP 139: a session request (0x81) is answered 0x82 first. */
export function netbiosSessionService(options: SmbServiceOptions): StreamService {
  return {
    kind: 'stream',
    name: 'netbios-ssn',
    open: (host, peer) => new SmbConnection(host, peer, { pipes: options.pipes, directHosted: false }),
  };
}
