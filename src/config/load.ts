/**
 * Find, read, parse and validate the configuration: ddlguard.config.json,
 * ddlguard.config.yaml / .yml, or the "ddlguard" key of package.json, in cwd
 * or the nearest ancestor directory that has one.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors.js';
import { displayPath, jsonLocator, parseJson, parseYaml, readSourceText, type Locator } from './locate.js';
import type { ConfigFormat, DdlguardConfig, LoadedConfig } from './types.js';
import { validateConfig } from './validate.js';

/** Looked for in this order in each directory; finding more than one in the same directory is an error. */
export const CONFIG_FILE_NAMES = ['ddlguard.config.json', 'ddlguard.config.yaml', 'ddlguard.config.yml'] as const;
export const PACKAGE_JSON_KEY = 'ddlguard';

export interface LoadConfigOptions {
  /** Where the search starts (and what relative paths resolve against). */
  cwd: string;
  /** An explicit file (--config): no search; its format comes from its name. */
  configPath?: string;
  /** Rule ids `rules` may name (ALL_RULES.map((r) => r.meta.id)). When omitted, rule ids are not checked. */
  knownRuleIds?: readonly string[];
}

export interface ParseConfigOptions {
  format: ConfigFormat;
  /** Absolute path, for errors. */
  file?: string;
  /** The path as shown in errors. */
  displayFile?: string;
  knownRuleIds?: readonly string[];
}

export async function loadConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  const cwd = path.resolve(opts.cwd);
  const parse = (file: string, format: ConfigFormat, text: string): LoadedConfig => {
    const p: ParseConfigOptions = { format, file, displayFile: displayPath(file, cwd) };
    if (opts.knownRuleIds) p.knownRuleIds = opts.knownRuleIds;
    return { config: parseConfigText(text, p), path: file, format, dir: path.dirname(file) };
  };

  if (opts.configPath !== undefined) {
    const file = path.resolve(cwd, opts.configPath);
    const format = formatOfPath(file);
    if (!format) {
      throw new ConfigError({ file, displayFile: displayPath(file, cwd), message: 'unsupported config file name: expected .json, .yaml, .yml or package.json' });
    }
    return parse(file, format, await readText(file, cwd));
  }

  for (let dir = cwd; ; ) {
    const found: Array<{ file: string; format: ConfigFormat; text: string }> = [];
    for (const name of CONFIG_FILE_NAMES) {
      const file = path.join(dir, name);
      if (await isFile(file)) found.push({ file, format: name.endsWith('.json') ? 'json' : 'yaml', text: await readText(file, cwd) });
    }
    const pkg = path.join(dir, 'package.json');
    if (await isFile(pkg)) {
      const text = await readText(pkg, cwd);
      if (hasPackageKey(text, pkg, cwd)) found.push({ file: pkg, format: 'package.json', text });
    }
    if (found.length > 1) {
      const names = found.map((f) => (f.format === 'package.json' ? `package.json ("${PACKAGE_JSON_KEY}" key)` : path.basename(f.file)));
      throw new ConfigError({
        file: found[0]!.file,
        displayFile: displayPath(dir, cwd) || '.',
        message: `more than one ddlguard configuration in this directory: ${names.join(', ')}; keep one (or pass --config)`,
      });
    }
    const only = found[0];
    if (only) return parse(only.file, only.format, only.text);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { config: {}, path: null, format: null, dir: cwd };
}

/** Parse and validate the text of a configuration file. Throws ConfigError. */
export function parseConfigText(text: string, opts: ParseConfigOptions): DdlguardConfig {
  const where = { ...(opts.file !== undefined && { file: opts.file }), ...(opts.displayFile !== undefined && { displayFile: opts.displayFile }) };
  let value: unknown;
  let locate: Locator;
  if (opts.format === 'yaml') {
    ({ value, locate } = parseYaml(text, where));
    // An empty file (or only comments) is an empty configuration.
    if (value === null || value === undefined) value = {};
  } else {
    value = parseJson(text, where);
    if (opts.format === 'package.json') {
      if (typeof value !== 'object' || value === null || !Object.hasOwn(value, PACKAGE_JSON_KEY)) {
        throw new ConfigError({ ...where, message: `no "${PACKAGE_JSON_KEY}" key in package.json` });
      }
      value = (value as Record<string, unknown>)[PACKAGE_JSON_KEY];
    }
    locate = jsonLocator(text, opts.format === 'package.json' ? [PACKAGE_JSON_KEY] : []);
  }
  return validateConfig(value, { ...where, locate, ...(opts.knownRuleIds && { knownRuleIds: opts.knownRuleIds }) });
}

function formatOfPath(file: string): ConfigFormat | null {
  const base = path.basename(file).toLowerCase();
  if (base === 'package.json') return 'package.json';
  if (base.endsWith('.json')) return 'json';
  if (base.endsWith('.yaml') || base.endsWith('.yml')) return 'yaml';
  return null;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function readText(file: string, cwd: string): Promise<string> {
  return readSourceText(file, { file, displayFile: displayPath(file, cwd) }, 'config file');
}

function hasPackageKey(text: string, file: string, cwd: string): boolean {
  const value = parseJson(text, { file, displayFile: displayPath(file, cwd) });
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, PACKAGE_JSON_KEY);
}
