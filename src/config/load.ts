/**
 * Find, read, parse and validate the configuration: ddlguard.config.json,
 * ddlguard.config.yaml / .yml, or the "ddlguard" key of package.json, in cwd
 * or the nearest ancestor directory that has one.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Document, LineCounter } from 'yaml';

/** yaml is loaded on first use: most runs find no config, or a JSON one without errors. */
let yamlModule: typeof import('yaml') | null = null;
function yaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlModule;
}
import { SourceText } from '../sql/source.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import type { ConfigFormat, DdlguardConfig, LoadedConfig } from './types.js';
import { validateConfig, type KeyPath, type Locator } from './validate.js';

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
    const lineCounter = new (yaml().LineCounter)();
    const doc = yaml().parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new ConfigError(
        doc.errors.map((e): ConfigIssue => {
          const pos = e.linePos?.[0];
          return { ...where, ...(pos && { line: pos.line, column: pos.col }), message: `invalid YAML: ${firstLine(e.message)}` };
        }),
      );
    }
    try {
      value = doc.toJS();
    } catch (e) {
      throw new ConfigError({ ...where, message: `invalid YAML: ${e instanceof Error ? e.message : String(e)}` });
    }
    // An empty file (or only comments) is an empty configuration.
    if (value === null || value === undefined) value = {};
    locate = yamlLocator(doc, lineCounter, []);
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

function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.replace(/\\/g, '/') : rel === '' ? '.' : file;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function readText(file: string, cwd: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : e instanceof Error ? e.message : String(e);
    throw new ConfigError({ file, displayFile: displayPath(file, cwd), message: `cannot read config file: ${why}` }, { cause: e });
  }
}

function hasPackageKey(text: string, file: string, cwd: string): boolean {
  const value = parseJson(text, { file, displayFile: displayPath(file, cwd) });
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, PACKAGE_JSON_KEY);
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).replace(/ at line \d+, column \d+:?$/, '');
}

function parseJson(text: string, where: { file?: string; displayFile?: string }): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /at position (\d+)/.exec(msg);
    const offset = m ? Number(m[1]) : /end of JSON input/.test(msg) ? text.length : undefined;
    const issue: ConfigIssue = { ...where, message: `invalid JSON: ${msg.replace(/\s*(?:in JSON\s*)?at position \d+.*$/, '').replace(/ \(line \d+ column \d+\)$/, '')}` };
    if (offset !== undefined) {
      const pos = new SourceText(text).position(offset);
      issue.line = pos.line;
      issue.column = pos.column;
    }
    throw new ConfigError(issue, { cause: e });
  }
}

/** Locations in JSON text, found through the YAML parser (JSON is YAML) with tabs made spaces (same offsets). */
function jsonLocator(text: string, prefix: KeyPath): Locator {
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text.replace(/\t/g, ' '), { lineCounter, uniqueKeys: false });
  return yamlLocator(doc, lineCounter, prefix);
}

function yamlLocator(doc: Document, lineCounter: LineCounter, prefix: KeyPath): Locator {
  const posOf = (node: unknown): { line: number; column: number } | undefined => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (!range) return undefined;
    const p = lineCounter.linePos(range[0]);
    return { line: p.line, column: p.col };
  };
  return (keyPath, target) => {
    let node: unknown = doc.contents;
    let keyNode: unknown = null;
    // The nearest node that exists, for paths that go past the document.
    let nearest = posOf(node);
    for (const seg of [...prefix, ...keyPath]) {
      if (yaml().isMap(node)) {
        const pair = node.items.find((it) => (yaml().isScalar(it.key) ? String(it.key.value) : undefined) === String(seg));
        if (!pair) return nearest;
        keyNode = pair.key;
        node = pair.value;
        nearest = posOf(node) ?? posOf(keyNode) ?? nearest;
      } else if (yaml().isSeq(node) && typeof seg === 'number') {
        keyNode = null;
        node = node.items[seg];
        if (node === undefined) return nearest;
        nearest = posOf(node) ?? nearest;
      } else {
        return nearest;
      }
    }
    if (target === 'key' && keyNode) return posOf(keyNode) ?? nearest;
    return posOf(node) ?? posOf(keyNode) ?? nearest;
  };
}
