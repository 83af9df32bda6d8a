import type { Profile } from '../config/index.ts';
import { defaultCatalogue, parseServiceKey, systemName, type ObservedFacts, type ProfileCatalogue } from '../sandbox/index.ts';

export interface ProfilesQuery {
  /** `tcp/445`, `udp/1434` */
  service?: string;
  /** bulletin id, CVE or class id: `MS17-010`, `CVE-2014-0160` */
  vulnerability?: string;
}

/** The profile catalogue as the CLI and web see it: strings in, validated profiles out. */
export interface ProfilesService {
  readonly catalogue: ProfileCatalogue;
  /** every profile matching the query; a malformed service or unknown vulnerability is CT_ERR_INVALID_ARGUMENT */
  list(query?: ProfilesQuery): Profile[];
  /** CT_ERR_PROFILE_UNKNOWN when no profile has the id */
  get(id: string): Profile;
  /** profiles consistent with what the sensor saw of a host */
  narrow(facts: ObservedFacts): Profile[];
  /** "Windows XP Professional SP1" */
  systemName(profile: Profile): string;
}

export function openProfilesService(catalogue: ProfileCatalogue = defaultCatalogue()): ProfilesService {
  return {
    catalogue,
    list(query = {}) {
      return catalogue.filter({
        ...(query.service === undefined ? {} : { service: parseServiceKey(query.service) }),
        ...(query.vulnerability === undefined ? {} : { vulnerability: query.vulnerability }),
      });
    },
    get: (id) => catalogue.get(id),
    narrow: (facts) => catalogue.narrow(facts),
    systemName,
  };
}
