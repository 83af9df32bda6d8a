/** Facts about a profile the RPC interfaces decide on: which stack serves RPC, and in what role. */
import type { Profile } from '../../../config/index.ts';

export function isWindows(profile: Profile): boolean {
  return profile.os.kind === 'windows';
}

/** Samba serves the SMB-carried interfaces (srvsvc, lsarpc, samr, spoolss, netlogon) itself */
export function isSamba(profile: Profile): boolean {
  return profile.applications.some((application) => application.name === 'samba');
}

export function servesSmbRpc(profile: Profile): boolean {
  return isWindows(profile) || isSamba(profile);
}

export function isDomainController(profile: Profile): boolean {
  return profile.roles.includes('domain-controller');
}

export function hasApplicationFeature(profile: Profile, feature: string): boolean {
  return profile.applications.some((application) => application.features.includes(feature));
}

/** NT 5.x and older: the generation whose RPC services sat in services.exe and had no AES secure channel */
export function isLegacyWindows(profile: Profile): boolean {
  return isWindows(profile) && ['windows-nt4', 'windows-2000', 'windows-xp', 'windows-2003'].includes(profile.os.product);
}

/** the port the endpoint mapper hands out: the dynamic port the profile lists as open, else the range's first */
export function dynamicRpcPort(profile: Profile): number | null {
  const listed = profile.services.find((service) => service.proto === 'tcp' && service.name === 'msrpc-dynamic');
  if (listed) return listed.port;
  return profile.rpcDynamicPorts?.first ?? null;
}

/** code-hint bits for a user-mode process of this profile */
export function processBits(profile: Profile): 32 | 64 {
  return profile.arch === 'x64' ? 64 : 32;
}
