/** Config loading for every command: ddlguard.config.* found upwards, or --config; errors exit 2. */
import { ALL_RULES } from '../../rules/index.js';
import { ConfigError, durationToMs, loadConfig, type LoadedConfig } from '../config/index.js';
import { CliError } from './exit.js';

export async function loadCliConfig(configPath: string | undefined): Promise<LoadedConfig> {
  try {
    return await loadConfig({ cwd: process.cwd(), ...(configPath ? { configPath } : {}), knownRuleIds: ALL_RULES.map((r) => r.meta.id) });
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message);
    throw e;
  }
}

/** A config duration (already validated) in ms, or undefined. */
export function configMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return durationToMs(value) ?? undefined;
}
