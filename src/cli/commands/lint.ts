import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../config/index.js';
import { ALL_RULES } from '../../../rules/index.js';
import { lint, UsageError, type LintOptions } from '../../lint/api.js';
import { meetsThreshold } from '../../lint/engine.js';
import type { Severity, SeveritySetting } from '../../lint/types.js';
import { CliError, EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE } from '../exit.js';
import { renderResult, reporterContext, resolveFormat } from '../output.js';

export interface LintArgs {
  paths?: string[];
  pgVersion?: number;
  format?: string;
  assumeInTransaction?: boolean;
  history?: string[];
  rule?: string[];
  enable?: string[];
  disable?: string[];
  severityThreshold?: string;
  stdinFilepath?: string;
  exclude?: string[];
  includeDown?: boolean;
  color?: boolean;
  config?: string;
  since?: string;
  base?: string;
}

export function checkRuleIds(ids: readonly string[] | undefined, flag: string): void {
  const known = new Set(ALL_RULES.map((r) => r.meta.id));
  for (const id of ids ?? []) {
    if (!known.has(id)) throw new CliError(`${flag}: unknown rule id "${id}" (run \`ddlguard rules\` for the list)`);
  }
}

export async function runLint(args: LintArgs): Promise<number> {
  const format = resolveFormat(args.format);
  const cwd = process.cwd();
  let loaded;
  try {
    loaded = await loadConfig({ cwd, ...(args.config ? { configPath: args.config } : {}), knownRuleIds: ALL_RULES.map((r) => r.meta.id) });
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message);
    throw e;
  }
  const config = loaded.config;
  // Globs in the config are relative to the config file's directory.
  const fromConfig = (globs: string[] | undefined) => (globs ?? []).map((g) => path.relative(cwd, path.resolve(loaded.dir, g)) || '.');
  let paths = (args.paths ?? []).map((p) => (p === '\u0000stdin' ? '-' : p));
  if (paths.length === 0) paths = fromConfig(config.migrations);
  if (paths.length === 0) throw new CliError('lint: give files, directories or globs to lint (or - for stdin)');
  if (args.pgVersion !== undefined && (!Number.isInteger(args.pgVersion) || args.pgVersion < 10 || args.pgVersion > 19)) {
    throw new CliError(`--pg-version: expected a PostgreSQL major version between 10 and 19, got ${args.pgVersion}`);
  }
  const since = args.since ?? args.base;
  if (since) {
    // Changed-files mode: lint only what changed since the ref; the rest is history.
    const { changedFilesSince } = await import('../../migrations/git.js');
    let changed: Set<string>;
    try {
      changed = new Set(changedFilesSince(since, cwd));
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const { discoverMigrations } = await import('../../migrations/discover.js');
    const all = await discoverMigrations(paths.filter((p) => p !== '-'), { cwd }).catch((e: Error) => {
      throw new CliError(e.message);
    });
    const selected = all.filter((f) => changed.has(f.path)).map((f) => f.displayPath);
    args.history = [...(args.history ?? []), ...all.filter((f) => !changed.has(f.path)).map((f) => f.displayPath)];
    if (selected.length === 0) {
      process.stdout.write(format === 'json' ? JSON.stringify({ version: 1, findings: [], errors: [], summary: { files: 0 } }) + '\n' : `no migrations changed since ${since}\n`);
      return EXIT_CLEAN;
    }
    paths = selected;
  }
  checkRuleIds(args.rule, '--rule');
  checkRuleIds(args.enable, '--enable');
  checkRuleIds(args.disable, '--disable');
  const severities: Record<string, SeveritySetting> = { ...(config.rules ?? {}) };
  for (const id of args.enable ?? []) {
    const def = ALL_RULES.find((r) => r.meta.id === id)!.meta.defaultSeverity;
    severities[id] = def === 'off' ? 'warning' : def;
  }
  for (const id of args.disable ?? []) severities[id] = 'off';
  const opts: LintOptions = { paths, rules: ALL_RULES, severities, cwd: process.cwd(), collectSources: new Map() };
  if (paths.includes('-')) {
    const stdin = { text: readFileSync(0, 'utf8') } as { text: string; filepath?: string };
    if (args.stdinFilepath) stdin.filepath = args.stdinFilepath;
    opts.stdin = stdin;
  }
  const pgVersion = args.pgVersion ?? config.pgVersion;
  if (pgVersion !== undefined) opts.pgVersion = pgVersion;
  const assume = args.assumeInTransaction ?? (config.assumeInTransaction === 'auto' ? undefined : config.assumeInTransaction);
  if (assume !== undefined) opts.assumeInTransaction = assume;
  const history = args.history ?? (config.history ? fromConfig(config.history) : args.paths?.length && config.migrations ? fromConfig(config.migrations) : undefined);
  if (history) opts.history = history;
  if (args.rule) opts.only = args.rule;
  const exclude = [...(args.exclude ?? []), ...fromConfig(config.ignore)];
  if (exclude.length) opts.exclude = exclude;
  if (args.includeDown) opts.includeDown = true;
  let result;
  try {
    result = await lint(opts);
  } catch (e) {
    if (e instanceof UsageError) throw new CliError(e.message);
    throw e;
  }
  process.stdout.write(await renderResult(result, format, { sources: opts.collectSources!, color: args.color }));
  if (format === 'github' && process.env.GITHUB_STEP_SUMMARY) {
    const { githubSummaryMarkdown } = await import('../../lint/reporters/github.js');
    appendFileSync(process.env.GITHUB_STEP_SUMMARY, githubSummaryMarkdown(result, reporterContext(opts.collectSources!, args.color)));
  }
  if (result.errors.length > 0) return EXIT_USAGE;
  const threshold = (args.severityThreshold ?? config.severityThreshold ?? 'warning') as Severity;
  return result.findings.some((f) => meetsThreshold(f.severity, threshold)) ? EXIT_FINDINGS : EXIT_CLEAN;
}
