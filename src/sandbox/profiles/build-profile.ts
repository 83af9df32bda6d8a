import { validateProfile, type Profile } from '../../config/index.ts';
import type { ProfileDefinition } from './profile-definition.ts';
import { deriveVulnerabilities } from './vulnerability-rules.ts';

/** Turns a catalogue definition into a validated profile: vulnerabilities and Server headers derived. */
export function buildProfile(definition: ProfileDefinition): Profile {
  const httpServerHeaders = [
    ...new Set(
      definition.services
        .filter((service) => (service.name === 'http' || service.name === 'https') && service.banner !== undefined)
        .map((service) => service.banner!),
    ),
  ];
  return validateProfile(
    {
      ...definition,
      fingerprint: { ...definition.fingerprint, httpServerHeaders },
      vulnerabilities: deriveVulnerabilities(definition),
    },
    `profile ${definition.id}`,
  );
}
