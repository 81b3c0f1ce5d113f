import { readFileSync } from 'node:fs';
import { ALL_RULES } from '../../../rules/index.js';
import { lint, UsageError, type LintOptions } from '../../lint/api.js';
import { meetsThreshold } from '../../lint/engine.js';
import type { Severity, SeveritySetting } from '../../lint/types.js';
import { CliError, EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE } from '../exit.js';
import { renderResult, resolveFormat } from '../output.js';

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
}

export function checkRuleIds(ids: readonly string[] | undefined, flag: string): void {
  const known = new Set(ALL_RULES.map((r) => r.meta.id));
  for (const id of ids ?? []) {
    if (!known.has(id)) throw new CliError(`${flag}: unknown rule id "${id}" (run \`ddlguard rules\` for the list)`);
  }
}

export async function runLint(args: LintArgs): Promise<number> {
  const format = resolveFormat(args.format);
  const paths = (args.paths ?? []).map((p) => (p === '\u0000stdin' ? '-' : p));
  if (paths.length === 0) throw new CliError('lint: give files, directories or globs to lint (or - for stdin)');
  if (args.pgVersion !== undefined && (!Number.isInteger(args.pgVersion) || args.pgVersion < 10 || args.pgVersion > 19)) {
    throw new CliError(`--pg-version: expected a PostgreSQL major version between 10 and 19, got ${args.pgVersion}`);
  }
  checkRuleIds(args.rule, '--rule');
  checkRuleIds(args.enable, '--enable');
  checkRuleIds(args.disable, '--disable');
  const severities: Record<string, SeveritySetting> = {};
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
  if (args.pgVersion !== undefined) opts.pgVersion = args.pgVersion;
  if (args.assumeInTransaction !== undefined) opts.assumeInTransaction = args.assumeInTransaction;
  if (args.history) opts.history = args.history;
  if (args.rule) opts.only = args.rule;
  if (args.exclude) opts.exclude = args.exclude;
  if (args.includeDown) opts.includeDown = true;
  let result;
  try {
    result = await lint(opts);
  } catch (e) {
    if (e instanceof UsageError) throw new CliError(e.message);
    throw e;
  }
  process.stdout.write(renderResult(result, format, { sources: opts.collectSources!, color: args.color }));
  if (result.errors.length > 0) return EXIT_USAGE;
  const threshold = (args.severityThreshold ?? 'warning') as Severity;
  return result.findings.some((f) => meetsThreshold(f.severity, threshold)) ? EXIT_FINDINGS : EXIT_CLEAN;
}
