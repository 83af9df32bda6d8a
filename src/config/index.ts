export { configSchema, WEB_TOKEN_MIN_LENGTH, type Config, type DecodeConfig, type FlowConfig, type SensorConfig, type OutputsConfig, type WebConfig, type DummiesConfig, type NetnsDummiesConfig, type QemuDummiesConfig } from './schema.ts';
export { validateConfig, defaultConfig, loadConfigFile, checkConfigFile, checkConfigText, formatConfigIssue, type FrozenConfig, type ConfigIssue, type ConfigCheck } from './load.ts';
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
