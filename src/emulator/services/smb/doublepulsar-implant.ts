import { NtStatus } from './nt-status.ts';
import { runKernelCode } from './smb-host-state.ts';
import { buildSmb1Reply, type Smb1Header } from './smb1-message.ts';
import type { ServiceHost } from '../service.ts';
import { TRANS2_SESSION_SETUP_SLOT } from '../../windows-kernel/kernel-implant.ts';

/** DOUBLEPULSAR's commands, the byte sum of the Trans2 request's Timeout field (public analyses, 2017) */
const DoublePulsarCommand = { ping: 0x23, exec: 0xc8, kill: 0x77 } as const;

/**
 * TRANS2_SESSION_SETUP is not implemented by srv.sys: a clean host answers STATUS_NOT_IMPLEMENTED
 * with the request's MID. The DOUBLEPULSAR implant hooks exactly that slot and answers with the MID
 * raised by 0x10 (0x20, 0x30 for its error codes), its XOR key in the signature field. The slot
 * counts as hooked when kernel code that ran on this dummy left it pointing elsewhere.
 */
export function doublePulsarReply(host: ServiceHost, header: Smb1Header, timeout: number, data: Uint8Array): Uint8Array {
  if (!host.state.implants.has(TRANS2_SESSION_SETUP_SLOT)) return buildSmb1Reply(header, NtStatus.notImplemented, []);
  const command = ((timeout & 0xff) + ((timeout >>> 8) & 0xff) + ((timeout >>> 16) & 0xff)) & 0xff;
  host.observe({ kind: 'answered', at: host.now(), what: `DOUBLEPULSAR implant answered a Trans2 SESSION_SETUP (command 0x${command.toString(16)})`, origin: 'smb' });
  if (command === DoublePulsarCommand.exec && data.length > 0) runKernelCode(host, 'MS17-010', data);
  if (command === DoublePulsarCommand.kill) host.state.implants.delete(TRANS2_SESSION_SETUP_SLOT);
  const signature = new Uint8Array(8);
  for (let index = 0; index < 4; index++) signature[index] = (host.hostname.charCodeAt(index % Math.max(1, host.hostname.length)) * 0x9d + index * 0x3b) & 0xff;
  return buildSmb1Reply(header, NtStatus.notImplemented, [], { mid: (header.mid + 0x10) & 0xffff, signature });
}
