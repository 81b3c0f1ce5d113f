import { createRequire } from 'node:module';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { configThroughput, loadCliConfig } from '../config.js';
import { ALL_RULES } from '../../../rules/index.js';
import { cacheApplies, lint, UsageError, type LintOptions } from '../../lint/api.js';
import { resolveSources } from '../schema-source.js';
import { meetsThreshold } from '../../lint/engine.js';
import type { Severity, SeveritySetting } from '../../lint/types.js';
import { CliError, EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE } from '../exit.js';
import { renderResult, reporterContext, resolveFormat, toolVersion } from '../output.js';

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
  /** Rewrite the files with the rules' mechanical fixes, then lint them. */
  fix?: boolean;
  /** Print the fixes as a unified diff instead of writing them. */
  fixDryRun?: boolean;
  /** A URL, or false for --no-db. */
  db?: string | false;
  /** A snapshot or pg_dump file with the schema. */
  schema?: string;
  /** tty: also print the full lists behind summaries (the files searched for readers). */
  verbose?: boolean;
  /** Also lint the migrations the config's baseline records as released. */
  all?: boolean;
  /** Reuse unchanged files' results (--cache), kept in cacheLocation. */
  cache?: boolean;
  cacheLocation?: string;
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
  const loaded = await loadCliConfig(args.config);
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
  // The baseline: migrations released when the project adopted ddlguard are history (not with
  // --since/--base, which choose from git, or --all).
  const exclude = [...(args.exclude ?? []), ...fromConfig(config.ignore)];
  let released: string[] = [];
  const baselineNotes: string[] = [];
  const files = paths.filter((p) => p !== '-');
  if (!since && !args.all && config.baseline?.released.length && files.length) {
    const { splitRun } = await import('../../migrations/baseline.js');
    const split = await splitRun(files, config.baseline.released, { configDir: loaded.dir, configFile: loaded.path, discover: { cwd, includeDown: args.includeDown ?? false, exclude } }).catch((e: Error) => {
      throw new CliError(e.message);
    });
    baselineNotes.push(...split.notes);
    if (split.released.length) {
      released = split.released.map((f) => f.displayPath);
      const where = loaded.path ? path.relative(cwd, loaded.path) || path.basename(loaded.path) : 'the config';
      const { isDownMigration } = await import('../../migrations/discover.js');
      const n = split.released.filter((f) => !isDownMigration(f.path)).length;
      baselineNotes.push(`baseline: ${n} released migration${n === 1 ? '' : 's'} (recorded in ${where}) only inform the schema; \`--all\` lints them too.`);
      paths = [...split.pending.map((f) => f.displayPath), ...(paths.includes('-') ? ['-'] : [])];
      if (paths.length === 0) {
        process.stdout.write(
          format === 'json'
            ? JSON.stringify({ version: 1, findings: [], errors: [], notes: baselineNotes.map((message) => ({ message })), summary: { files: 0 } }) + '\n'
            : `no migrations to lint: ${split.released.length === 1 ? `${released[0]} is` : `all ${split.released.length} are`} released (baseline in ${where}); --all lints ${split.released.length === 1 ? 'it' : 'them'}\n`,
        );
        return EXIT_CLEAN;
      }
    }
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
  const history = [...(args.history ?? (config.history ? fromConfig(config.history) : args.paths?.length && config.migrations ? fromConfig(config.migrations) : [])), ...released];
  if (history.length) opts.history = history;
  if (args.rule) opts.only = args.rule;
  if (exclude.length) opts.exclude = exclude;
  if (args.includeDown) opts.includeDown = true;
  // Expand/contract: --base makes unchanged migrations the released state and changed ones the pending release.
  if (args.base) opts.release = { base: args.base, refStatus: (ref) => gitRefStatus(ref, args.base!, cwd) };
  // Readers of contracted objects: config readers.paths (application code) and the live database.
  if (config.readers?.paths?.length) opts.readers = { paths: config.readers.paths, exclude: config.readers.exclude ?? [], baseDir: loaded.dir };
  if (config.evidenceSeverity) opts.evidenceSeverity = config.evidenceSeverity;
  // Schema sources: the live database (--db, DATABASE_URL, config db) and a schema file; the
  // database's major is the version linted for unless --pg-version or the config says otherwise.
  const sources = resolveSources({ db: args.db, schema: args.schema }, loaded);
  if (sources.db) {
    opts.db = sources.db;
    opts.dbFrom = sources.dbFrom;
  }
  if (sources.schemaFile) opts.schemaFile = sources.schemaFile;
  if (config.severityBySize) opts.severityBySize = config.severityBySize;
  const tp = await configThroughput(config.estimates);
  if (tp) opts.throughput = tp;
  if (args.cache) {
    if (cacheApplies(opts)) {
      const { DEFAULT_CACHE_LOCATION } = await import('../../lint/cache.js');
      const location = args.cacheLocation ?? DEFAULT_CACHE_LOCATION;
      // A trailing separator (a directory) survives path.resolve only when kept by hand.
      const abs = path.resolve(cwd, location) + (/[\\/]$/.test(location) ? path.sep : '');
      opts.cache = { location: abs, toolVersion: `${toolVersion()}+${buildId()}`, warn: (m) => process.stderr.write(`ddlguard: --cache: ${m}\n`) };
    } else {
      process.stderr.write('ddlguard: --cache: not used with a database, a schema file, --base or readers (their results depend on more than the migration files)\n');
    }
  }
  if (args.fix || args.fixDryRun) {
    // --fix writes the files and goes on to lint them as usual; --fix-dry-run ends here.
    const code = await runFix(args, opts, (args.severityThreshold ?? config.severityThreshold ?? 'warning') as Severity);
    if (code !== null) return code;
  }
  // main.ts turned TurboFan off for lint (short runs); a long run earns it back: measured 1.1x
  // slower without it on 2,000 files (3.6 MB of SQL), 0.77x on 342 (0.6 MB).
  opts.onSources = (sources) => {
    let chars = 0;
    for (const s of sources) chars += s.text.length;
    if (chars > 1_500_000) setFlagsFromString('--opt');
  };
  let result;
  try {
    result = await lint(opts);
  } catch (e) {
    if (e instanceof UsageError) throw new CliError(e.message);
    throw e;
  }
  if (baselineNotes.length) result.notes = [...(result.notes ?? []), ...baselineNotes.map((message) => ({ message }))];
  process.stdout.write(await renderResult(result, format, { sources: opts.collectSources!, color: args.color }));
  if (args.verbose && format === 'tty' && result.summary.readers) {
    // The full lists behind the findings' one-line "Searched:" (JSON has them in summary.readers.code.full).
    const { searchedDetail } = await import('../../lint/compat.js');
    const detail = searchedDetail(result.summary.readers);
    if (detail.length) process.stdout.write(`${detail.join('\n')}\n`);
  }
  if (format === 'github' && process.env.GITHUB_STEP_SUMMARY) {
    const { githubSummaryMarkdown } = await import('../../lint/reporters/github.js');
    appendFileSync(process.env.GITHUB_STEP_SUMMARY, githubSummaryMarkdown(result, reporterContext(opts.collectSources!, args.color)));
  }
  const dbSearch = result.summary.readers?.db;
  if (dbSearch && (dbSearch.error || dbSearch.note)) {
    process.stderr.write(`ddlguard: readers: database ${dbSearch.url}: ${dbSearch.error ?? dbSearch.note}\n`);
  }
  if (result.errors.length > 0) return EXIT_USAGE;
  const threshold = (args.severityThreshold ?? config.severityThreshold ?? 'warning') as Severity;
  return result.findings.some((f) => meetsThreshold(f.severity, threshold)) ? EXIT_FINDINGS : EXIT_CLEAN;
}

/**
 * The build this code is part of, for the cache key: the bundle's chunk names carry esbuild's
 * content hashes, so another build of the same version (a change under development) does not
 * reuse results. Empty outside the bundle.
 */
function buildId(): string {
  try {
    const dir = path.dirname(fileURLToPath(import.meta.url));
    const chunks = readdirSync(dir).filter((f) => /-[A-Z0-9]{8}\.js$/.test(f)).sort();
    // node:crypto is loaded only here (--cache): loading it costs a one-file run ~10 ms.
    const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
    return chunks.length ? createHash('sha256').update(chunks.join('\n')).digest('hex').slice(0, 16) : '';
  } catch {
    return '';
  }
}

/** Is `ref` (named by a `-- ddlguard: contract ... after <ref>` marker) part of the released state `base`? */
function gitRefStatus(ref: string, base: string, cwd: string): 'released' | 'unreleased' | 'unknown' {
  // Loaded here, not with the module: child_process (and the net and dgram modules it pulls in)
  // is only needed with --base.
  const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const git = (args: string[]) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    return 'unknown';
  }
  try {
    git(['merge-base', '--is-ancestor', ref, base]);
    return 'released';
  } catch {
    return 'unreleased';
  }
}

/**
 * --fix / --fix-dry-run: apply the fixes the findings carry (several lint + fix rounds).
 * --fix writes the changed files and returns null (the caller then lints them as usual);
 * --fix-dry-run prints the changes as a unified diff, writes nothing, and returns the exit
 * code for the findings that would remain.
 */
async function runFix(args: LintArgs, opts: LintOptions, threshold: Severity): Promise<number | null> {
  if (args.fix && args.fixDryRun) throw new CliError('use either --fix or --fix-dry-run, not both');
  if (args.fix && opts.stdin) throw new CliError('--fix cannot rewrite stdin; use --fix-dry-run to print the changes as a diff');
  const { fixDiff, fixMigrations } = await import('../../lint/fix.js');
  let outcome;
  try {
    outcome = await fixMigrations(opts);
  } catch (e) {
    if (e instanceof UsageError) throw new CliError(e.message);
    throw e;
  }
  const { result, files } = outcome;
  const problems = (n: number) => `${n} problem${n === 1 ? '' : 's'}`;
  const inFiles = `${files.length} file${files.length === 1 ? '' : 's'}`;
  if (!args.fixDryRun) {
    for (const f of files) if (f.path) writeFileSync(f.path, f.after);
    if (files.length) process.stderr.write(`ddlguard: fixed ${problems(outcome.fixed)} in ${inFiles}\n`);
    return null;
  }
  process.stdout.write(await fixDiff(files));
  const left = result.findings.length;
  process.stderr.write(files.length ? `ddlguard: --fix would fix ${problems(outcome.fixed)} in ${inFiles}, ${problems(left)} would remain (nothing written)\n` : `ddlguard: nothing to fix (${problems(left)})\n`);
  if (result.errors.length > 0) return EXIT_USAGE;
  return result.findings.some((f) => meetsThreshold(f.severity, threshold)) ? EXIT_FINDINGS : EXIT_CLEAN;
}
