export { configSchema, type Config, type DecodeConfig, type FlowConfig } from './schema.ts';
export { validateConfig, defaultConfig, loadConfigFile, type FrozenConfig } from './load.ts';
export { renderConfigDoc } from './docs.ts';
export {
  profileSchema,
  validateProfile,
  type Profile,
  type ProfileInput,
  type ProfileService,
  type ProfileApplication,
  type ProfileVulnerability,
  type ProfileFingerprint,
} from './profile-schema.ts';
