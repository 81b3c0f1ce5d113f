export { loadConfig, parseConfigText, CONFIG_FILE_NAMES, PACKAGE_JSON_KEY, type LoadConfigOptions, type ParseConfigOptions } from './load.js';
export { validateConfig, CONFIG_KEYS, PG_VERSION_MIN, PG_VERSION_MAX, type ValidateOptions } from './validate.js';
export { Validator, formatKeyPath, describeValue, didYouMean, type ValidatorOptions } from './validator.js';
export { parseJson, parseYaml, jsonLocator, yamlLocator, displayPath, readSourceText, type Locator, type KeyPath, type TextOrigin } from './locate.js';
export { ConfigError, formatIssue, type ConfigIssue } from './errors.js';
export { durationToMs, isDuration } from '../sql/duration.js';
export { resolveSeverities } from './severities.js';
export type { DdlguardConfig, LoadedConfig, ConfigFormat, ReadersConfig, PlannerConfig, ApplyConfig } from './types.js';
export type { BaselineConfig, BaselineEntry } from '../migrations/baseline.js';
