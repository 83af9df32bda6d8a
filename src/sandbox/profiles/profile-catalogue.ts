import type { Profile } from '../../config/index.ts';
import { CrashtestError } from '../../core/index.ts';
import { buildProfile } from './build-profile.ts';
import { CATALOGUE_DEFINITIONS } from './catalogue/index.ts';
import { consistentWith, exposes, type ObservedFacts } from './observed-facts.ts';
import type { ProfileDefinition } from './profile-definition.ts';
import { type ServiceKey } from './service-key.ts';
import { findRule } from './vulnerability-rules.ts';

export interface ProfileFilter {
  /** only profiles exposing this service */
  service?: ServiceKey;
  /** only profiles with this vulnerability unpatched: bulletin id, CVE or class id */
  vulnerability?: string;
}

/** The dummy profiles, validated and frozen; looked up by id, service, vulnerability or observed facts. */
export class ProfileCatalogue {
  private readonly byId = new Map<string, Profile>();

  constructor(profiles: readonly Profile[]) {
    for (const profile of profiles) {
      if (this.byId.has(profile.id)) {
        throw new CrashtestError('CT_ERR_CONFIG_INVALID', `profile id ${profile.id} is defined twice`, { key: profile.id });
      }
      this.byId.set(profile.id, deepFreeze(profile));
    }
  }

  static fromDefinitions(definitions: readonly ProfileDefinition[]): ProfileCatalogue {
    return new ProfileCatalogue(definitions.map(buildProfile));
  }

  get size(): number {
    return this.byId.size;
  }

  list(): Profile[] {
    return [...this.byId.values()];
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): Profile {
    const profile = this.byId.get(id);
    if (!profile) {
      throw new CrashtestError('CT_ERR_PROFILE_UNKNOWN', `no profile has id '${id}' (crashtest profiles lists the ${this.byId.size} there are)`, { key: 'profile', id });
    }
    return profile;
  }

  exposing(service: ServiceKey): Profile[] {
    return this.list().filter((profile) => exposes(profile, service));
  }

  /** profiles with the vulnerability unpatched; an id no rule knows is a caller's mistake */
  withVulnerability(id: string): Profile[] {
    const rule = findRule(id);
    if (!rule) {
      throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `vulnerability: no rule knows '${id}' (bulletin ids such as MS17-010, or CVE ids)`, { key: 'vulnerability' });
    }
    return this.list().filter((profile) => profile.vulnerabilities.some((vulnerability) => vulnerability.id === rule.id));
  }

  filter(filter: ProfileFilter): Profile[] {
    let profiles = filter.vulnerability === undefined ? this.list() : this.withVulnerability(filter.vulnerability);
    if (filter.service) profiles = profiles.filter((profile) => exposes(profile, filter.service!));
    return profiles;
  }

  /**
   * The profiles consistent with what was observed of a host. With nothing known but the service,
   * that is every profile exposing it; with nothing known at all, every profile.
   */
  narrow(facts: ObservedFacts): Profile[] {
    return this.list().filter((profile) => consistentWith(profile, facts));
  }

}

let builtIn: ProfileCatalogue | undefined;

/** The catalogue under src/sandbox/profiles/catalogue/, built once. */
export function defaultCatalogue(): ProfileCatalogue {
  builtIn ??= ProfileCatalogue.fromDefinitions(CATALOGUE_DEFINITIONS);
  return builtIn;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
