import type { ServiceHost } from '../service.ts';

/**
 * What the SMB service keeps on a dummy between connections: a kernel pool corruption that a
 * later connection's bytes may complete (EternalBlue grooms with other connections, so the code that
 * runs often arrives on one the exploit did not trigger on), and which attacker bytes already ran.
 */
export interface SmbHostState {
  corruption: { vulnerability: string; at: number } | null;
  /** digests of byte runs already handed to runCode, so identical groom buffers run once */
  ranDigests: Set<string>;
}

const KEY = 'smb';

export function smbHostState(host: ServiceHost): SmbHostState {
  const existing = host.state.services.get(KEY) as SmbHostState | undefined;
  if (existing && existing.ranDigests instanceof Set) return existing;
  const created: SmbHostState = { corruption: null, ranDigests: new Set() };
  host.state.services.set(KEY, created);
  return created;
}

/** FNV-1a over the bytes, with the length: enough to tell groom buffers apart, no crypto needed */
export function digestOf(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return `${bytes.length}:${(hash >>> 0).toString(16)}`;
}

/** Hands attacker bytes to the host's code runner once per distinct byte run. */
export function runKernelCode(host: ServiceHost, vulnerability: string, bytes: Uint8Array): void {
  const state = smbHostState(host);
  const digest = digestOf(bytes);
  if (bytes.length === 0 || state.ranDigests.has(digest)) return;
  state.ranDigests.add(digest);
  host.runCode(bytes, {
    service: 'smb',
    vulnerability,
    os: 'windows',
    bits: host.profile.arch === 'x64' ? 64 : 32,
    kernel: true,
  });
}
