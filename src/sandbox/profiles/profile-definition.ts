import type { ProfileInput } from '../../config/index.ts';

/**
 * A catalogue entry as written: the facts of a host (OS, service pack, applications, hotfixes,
 * services, stack fingerprint). Its vulnerabilities and HTTP Server headers are derived from these
 * facts by `buildProfile`, so no bulletin is copied by hand into a profile.
 */
export type ProfileDefinition = Omit<ProfileInput, 'vulnerabilities' | 'fingerprint'> & {
  fingerprint: Omit<ProfileInput['fingerprint'], 'httpServerHeaders'>;
};

export type ProfileApplicationInput = NonNullable<ProfileInput['applications']>[number];
export type ProfileServiceInput = ProfileInput['services'][number];

export function findApplication(definition: ProfileDefinition, name: string): ProfileApplicationInput | undefined {
  return (definition.applications ?? []).find((application) => application.name === name);
}

export function hasFeature(application: ProfileApplicationInput | undefined, feature: string): boolean {
  return application?.features?.includes(feature) ?? false;
}

export function hasRole(definition: ProfileDefinition, role: ProfileInput['roles'][number]): boolean {
  return definition.roles.includes(role);
}
