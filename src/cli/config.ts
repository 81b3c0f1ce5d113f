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

/** The duration model's rates with the config's `estimates` over the calibrated defaults (already validated). */
export async function configThroughput(estimates: LoadedConfig['config']['estimates']) {
  if (!estimates || Object.keys(estimates).length === 0) return undefined;
  const { throughput } = await import('../locks/estimate.js');
  return throughput(estimates);
}

/** A config duration (already validated) in ms, or undefined. */
export function configMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return durationToMs(value) ?? undefined;
}
