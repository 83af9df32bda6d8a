import type { Profile } from '../config/index.ts';
import { consistentWith, type ObservedFacts, type ProfileCatalogue } from '../sandbox/index.ts';

/**
 * Which dummy profiles a payload goes to: every profile offering the service kind (the replay
 * adapts ports), narrowed by what the capture showed of the target. Facts are hints — a stack
 * fingerprint can be tuned, a TTL can be rewritten by a middlebox — so when they rule out every
 * profile they are given up weakest first (TCP window, TTL, banners, SMB dialect, Server header)
 * instead of detonating on nothing; the selection says which facts it kept.
 */
export interface ProfileSelection {
  profiles: Profile[];
  factsUsed: Array<keyof ObservedFacts>;
  /** true when some observed facts had to be given up */
  relaxed: boolean;
}

const WEAKEST_FIRST: Array<keyof ObservedFacts> = ['tcpWindow', 'ttl', 'banners', 'smbDialects', 'httpServer'];

/** Profiles that offer a service kind; for dynamic DCE/RPC ports, those whose range holds the port first. */
export function profilesOffering(catalogue: ProfileCatalogue, kind: string, proto: 'tcp' | 'udp', port: number): Profile[] {
  if (kind === 'msrpc-dynamic' && proto === 'tcp') {
    const withRange = catalogue.list().filter((profile) => profile.rpcDynamicPorts !== undefined);
    const inRange = withRange.filter((profile) => port >= profile.rpcDynamicPorts!.first && port <= profile.rpcDynamicPorts!.last);
    return inRange.length > 0 ? inRange : withRange;
  }
  return catalogue.list().filter((profile) => profile.services.some((service) => service.name === kind && service.proto === proto));
}

export function selectProfiles(offering: readonly Profile[], kind: string, facts: ObservedFacts): ProfileSelection {
  let kept = (Object.keys(facts) as Array<keyof ObservedFacts>).filter((key) => key !== 'service' && facts[key] !== undefined);
  const initial = kept.length;
  for (;;) {
    const narrowed = offering.filter((profile) => consistentWith(profile, adaptFacts(profile, kind, facts, kept)));
    if (narrowed.length > 0 || kept.length === 0) {
      return { profiles: narrowed.length > 0 ? narrowed : [...offering], factsUsed: kept, relaxed: kept.length < initial };
    }
    const weakest = WEAKEST_FIRST.find((key) => kept.includes(key)) ?? kept[0]!;
    kept = kept.filter((key) => key !== weakest);
  }
}

/**
 * The catalogue compares banners by port; the capture's port need not be the profile's (HTTP on
 * 8000, telnet on 2323), so each banner is moved to the port where this profile offers the kind.
 */
function adaptFacts(profile: Profile, kind: string, facts: ObservedFacts, kept: Array<keyof ObservedFacts>): ObservedFacts {
  const adapted: ObservedFacts = {};
  if (kept.includes('ttl') && facts.ttl !== undefined) adapted.ttl = facts.ttl;
  if (kept.includes('tcpWindow') && facts.tcpWindow !== undefined) adapted.tcpWindow = facts.tcpWindow;
  if (kept.includes('smbDialects') && facts.smbDialects) adapted.smbDialects = facts.smbDialects;
  if (kept.includes('httpServer') && facts.httpServer !== undefined) adapted.httpServer = facts.httpServer;
  if (kept.includes('banners') && facts.banners) {
    const offered = profile.services.find((service) => service.name === kind);
    adapted.banners = facts.banners.map((banner) => (offered && offered.proto === banner.proto ? { ...banner, port: offered.port } : banner));
  }
  return adapted;
}
