/** The dummy farm. So far: the profile catalogue (what each dummy is, listens on, and has unpatched). */
export { ProfileCatalogue, defaultCatalogue, type ProfileFilter } from './profiles/profile-catalogue.ts';
export { type ObservedFacts, type InitialTtl, initialTtlClass, exposes, consistentWith, serverHeaderConsistent, bannerMatches } from './profiles/observed-facts.ts';
export { parseServiceKey, formatServiceKey, type ServiceKey } from './profiles/service-key.ts';
export { VULNERABILITY_RULES, affectedBy, findRule, deriveVulnerabilities, type VulnerabilityRule, type Affected } from './profiles/vulnerability-rules.ts';
export { buildProfile } from './profiles/build-profile.ts';
export { type ProfileDefinition } from './profiles/profile-definition.ts';
export { CATALOGUE_DEFINITIONS } from './profiles/catalogue/index.ts';
export { renderProfilesDoc, systemName } from './profiles/profiles-doc.ts';
export { compareVersions, versionBetween } from './profiles/version.ts';
export type { CallOptions, DriverCapabilities, Observation, Peer, Victim, VictimConnection, VictimDriver } from './victim-driver.ts';
export { VictimPool, type VictimPoolOptions, type PoolSettings, type LeaseOptions, type LeaseWork, type LeaseOutcome, type PoolSnapshot, type ProfilePoolSnapshot, type VictimState, VICTIM_STATES } from './pool/victim-pool.ts';
export { PoolExhaustedError, PoolClosedError, VictimDiedError, type ExhaustedReason } from './pool/pool-errors.ts';
export { linkSignals, type LinkedSignal } from './pool/linked-signal.ts';
