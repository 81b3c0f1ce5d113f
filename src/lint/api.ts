/**
 * `lint()`: discover files, read them, and run the engine. The CLI and the
 * library share this entry point.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { discoveredFramework, discoveredText, discoverMigrations, sequenceRoot, sortMigrations, type MigrationFile } from '../migrations/discover.js';
import { detectFramework, type FrameworkInfo } from '../migrations/framework.js';
import { upSection } from '../migrations/sections.js';
import { loadParser, withParser } from '../sql/parser.js';
import type { CompatOptions, RefStatus } from './compat.js';
import { lintSources, type EngineOptions, type SourceFile } from './engine.js';
import type { LintResult, Rule, SeveritySetting } from './types.js';

/** The oldest PostgreSQL major still supported upstream (as of late 2026). */
export const DEFAULT_PG_VERSION = 15;

export interface LintOptions {
  /** Files, directories or globs to lint. */
  paths: string[];
  /** Source given on stdin (`-`), with the path to report it under. */
  stdin?: { text: string; filepath?: string };
  /** Files, directories or globs that only inform the schema model. */
  history?: string[];
  cwd?: string;
  pgVersion?: number;
  /** true/false forces; undefined uses each file's framework default. */
  assumeInTransaction?: boolean;
  /** Per-rule severity overrides (config, --enable/--disable). */
  severities?: Record<string, SeveritySetting>;
  /** Run only these rules (--rule). */
  only?: string[];
  /** Path globs to skip. */
  exclude?: string[];
  includeDown?: boolean;
  /** lock_timeout (ms) the runner sets before each file. */
  baseLockTimeoutMs?: number;
  rules: readonly Rule[];
  /** Filled with displayPath -> source text of every linted file (for code frames, fingerprints, --fix). */
  collectSources?: Map<string, string>;
  /**
   * Expand/contract release awareness (`--base`): history files are the released
   * state, linted files the pending release. `refStatus` tells whether a ref named by
   * a `-- ddlguard: contract <object> after <ref>` marker is released.
   */
  release?: { base: string; refStatus?: (ref: string) => RefStatus };
  /** Config `evidenceSeverity`: the severity each kind of reader evidence gives the compatibility rules. */
  evidenceSeverity?: import('./compat.js').EvidenceSeverity;
  /** Search application code for readers of the columns/tables the linted files contract (config `readers`). */
  readers?: { paths: string[]; exclude?: string[]; /** Directory the globs are relative to (default cwd). */ baseDir?: string };
  /**
   * Live database URL: the schema and table sizes (unless schemaFromDb is false), and
   * readers in pg_stat_statements and catalog dependants of contracted objects.
   */
  db?: string;
  /** Read the schema from `db` (default true). */
  schemaFromDb?: boolean;
  /** Where `db` came from, for messages (`--db`, `DATABASE_URL`, `config db`). */
  dbFrom?: string;
  /** A schema file: a snapshot from `ddlguard schema export`, or `pg_dump --schema-only` output. */
  schemaFile?: string;
  /** Blocking findings on tables sized below these limits become info. */
  severityBySize?: { infoBelowRows?: number; infoBelowBytes?: number };
  /** Rates for the duration estimates (default: the calibrated ones; config `estimates`). */
  throughput?: import('../locks/estimate.js').Throughput;
  /**
   * Keep each file's result in a cache file and reuse it while nothing it depends on changed
   * (`--cache`, see cache.ts). Not used with a database, a schema file, `release` or `readers`:
   * their results depend on more than the files.
   */
  cache?: import('./cache.js').CacheSettings;
  /** Called with the files once they are read, before any is parsed. */
  onSources?: (sources: readonly SourceFile[]) => void;
}

/** Can this run use the result cache? Only when the migration files decide every result. */
export function cacheApplies(opts: Pick<LintOptions, 'db' | 'schemaFile' | 'release' | 'readers'>): boolean {
  return !opts.db && !opts.schemaFile && !opts.release && !opts.readers?.paths.length;
}

export class UsageError extends Error {}

export interface PreparedRun {
  sources: SourceFile[];
  readErrors: LintResult['errors'];
}

/**
 * Discovers and reads the files. Loads the parser (framework detection reads statement heads
 * with it, the engine parses), unless `lazy`: then only if detection needs it, and the caller
 * loads it before parsing (a --cache rerun may parse nothing).
 */
export async function prepareSources(opts: Omit<LintOptions, 'rules'>, lazy = false): Promise<PreparedRun> {
  if (!lazy) await loadParser();
  const cwd = opts.cwd ?? process.cwd();
  const inputs = opts.paths.filter((p) => p !== '-');
  let lintFiles: MigrationFile[] = [];
  try {
    const discoverOpts = { cwd, includeDown: opts.includeDown ?? false, exclude: opts.exclude ?? [], lazyParser: true };
    lintFiles = inputs.length ? await discoverMigrations(inputs, discoverOpts) : [];
    const lintSet = new Set(lintFiles.map((f) => f.path));
    const historyFiles = opts.history?.length ? (await discoverMigrations(opts.history, discoverOpts)).filter((f) => !lintSet.has(f.path)) : [];
    const ordered = sortMigrations([...lintFiles, ...historyFiles]);
    const sources: SourceFile[] = [];
    const readErrors: LintResult['errors'] = [];
    await Promise.all(
      ordered.map(async (f, i) => {
        try {
          const known = discoveredText(f);
          const text = known ?? readFileSync(f.path, 'utf8');
          const info = known === undefined ? undefined : discoveredFramework(f);
          sources[i] = await withParser(() => makeSource(f.path, f.displayPath, text, lintSet.has(f.path) ? 'lint' : 'history', opts.assumeInTransaction, info));
        } catch (e) {
          readErrors.push({ file: f.displayPath, line: 1, column: 1, message: `cannot read file: ${(e as Error).message}` });
        }
      }),
    );
    if (opts.stdin) {
      const display = (opts.stdin.filepath ?? 'stdin.sql').split(path.sep).join('/');
      sources.push(await withParser(() => makeSource(path.resolve(cwd, display), display, opts.stdin!.text, 'lint', opts.assumeInTransaction)));
    }
    return { sources: sources.filter(Boolean), readErrors };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
}

/**
 * One file as the engine takes it (framework, up section, transaction decision), from its text.
 * Exported for callers that hold the text themselves (the language server's unsaved buffers).
 */
export function makeSource(abs: string, displayPath: string, raw: string, role: 'lint' | 'history', assume: boolean | undefined, detected?: FrameworkInfo): SourceFile {
  // A UTF-8 byte order mark is invisible in editors: drop it so columns match what users see.
  const bom = raw.charCodeAt(0) === 0xfeff;
  const text = bom ? raw.slice(1) : raw;
  // `detected`: detectFramework(abs, raw) done already (discovery); it holds for text unless a mark was dropped.
  const info = detected && !bom ? detected : detectFramework(abs, text);
  const body = upSection(text, info.framework);
  let transaction: SourceFile['transaction'];
  if (assume !== undefined) transaction = assume ? 'wrapped' : 'none';
  else if (info.wrapsInTransaction && info.sentAsOneQuery && info.framework === 'golang-migrate') transaction = 'implicit';
  else transaction = info.wrapsInTransaction ? 'wrapped' : info.sentAsOneQuery ? 'implicit' : 'none';
  return { displayPath, text: body, role, transaction, transactionWhy: assume !== undefined ? '--assume-in-transaction' : info.why };
}

/** Engine options from lint options: effective severity per rule (defaults, overrides, --rule) and version. */
export function engineOptionsFor(opts: LintOptions): EngineOptions {
  const severities = new Map<string, SeveritySetting>();
  for (const r of opts.rules) {
    let s: SeveritySetting = opts.severities?.[r.meta.id] ?? r.meta.defaultSeverity;
    if (opts.only?.length) s = opts.only.includes(r.meta.id) ? (s === 'off' ? 'warning' : s) : 'off';
    severities.set(r.meta.id, s);
  }
  const engineOpts: EngineOptions = { pgVersion: opts.pgVersion ?? DEFAULT_PG_VERSION, rules: opts.rules, severities };
  if (opts.baseLockTimeoutMs !== undefined) engineOpts.baseLockTimeoutMs = opts.baseLockTimeoutMs;
  if (opts.severityBySize) engineOpts.severityBySize = opts.severityBySize;
  if (opts.throughput) engineOpts.throughput = opts.throughput;
  return engineOpts;
}

export async function lint(opts: LintOptions): Promise<LintResult> {
  // With a cache the parser loads only when some file has no cached result.
  const { sources, readErrors } = await prepareSources(opts, Boolean(opts.cache) && cacheApplies(opts));
  opts.onSources?.(sources);
  if (opts.collectSources) for (const s of sources) if (s.role === 'lint') opts.collectSources.set(s.displayPath, s.text);
  const engineOpts = engineOptionsFor(opts);
  const schema = await withSchemaSources(opts, engineOpts);
  if (opts.release || opts.readers?.paths.length || opts.db || opts.evidenceSeverity) engineOpts.compat = await compatOptions(sources, opts, engineOpts);
  let cache: { parses(): boolean; save(): string | null } | null = null;
  if (opts.cache && !schema && cacheApplies(opts)) {
    const { attachCache } = await import('./cache.js');
    cache = attachCache(sources, engineOpts, opts.cache, { evidenceSeverity: opts.evidenceSeverity ?? null });
  }
  if (!cache || cache.parses()) await loadParser();
  const result = lintSources(sources, engineOpts);
  const cacheError = cache?.save();
  if (cacheError) opts.cache?.warn?.(`cannot write the cache: ${cacheError}`);
  result.errors.unshift(...readErrors);
  result.summary.errors = result.errors.length;
  if (schema) result.summary.schema = schema.labels;
  return result;
}

/**
 * Loads the live database and schema file sources into the engine options (the driver
 * loads only with a database). The schema's server decides the version unless one was given.
 */
export async function withSchemaSources(opts: LintOptions, engineOpts: EngineOptions) {
  const db = opts.db && opts.schemaFromDb !== false ? opts.db : null;
  if (!db && !opts.schemaFile) return null;
  const { loadSchemaSources, SchemaSourceError } = await import('../schema/sources/index.js');
  let schema;
  try {
    schema = await loadSchemaSources({ db, schemaFile: opts.schemaFile ?? null, cwd: opts.cwd ?? process.cwd(), ...(opts.dbFrom ? { dbFrom: opts.dbFrom } : {}) });
  } catch (e) {
    if (e instanceof SchemaSourceError) throw new UsageError(e.message);
    throw e;
  }
  if (!schema) return null;
  engineOpts.model = schema.model;
  engineOpts.modelLabel = schema.label;
  engineOpts.sourceNotes = schema.notes;
  if (opts.pgVersion === undefined && schema.pgVersion) engineOpts.pgVersion = schema.pgVersion;
  return schema;
}

/** Contract directives' `after <ref>` in the linted files. */
const AFTER_RE = /ddlguard:\s*contract\s+\S+\s+after\s+(\S+)/g;

/**
 * The expand/contract evidence for a run: release refs, then (only when a linted file
 * drops, renames or makes NOT NULL something) a first pass for the targets and the
 * readers stage (code + live database). The readers modules load only here.
 */
async function compatOptions(sources: readonly SourceFile[], opts: LintOptions, engineOpts: EngineOptions): Promise<CompatOptions> {
  const compat: CompatOptions = {};
  if (opts.evidenceSeverity) compat.severity = opts.evidenceSeverity;
  if (opts.release) {
    const refs = new Map<string, RefStatus>();
    for (const s of sources) {
      if (s.role !== 'lint') continue;
      for (const m of s.text.matchAll(AFTER_RE)) if (!refs.has(m[1]!)) refs.set(m[1]!, opts.release.refStatus?.(m[1]!) ?? 'unknown');
    }
    compat.release = { base: opts.release.base, refs };
  }
  const wantCode = Boolean(opts.readers?.paths.length);
  if (!wantCode && !opts.db) return compat;
  const { collectTargets, mayContract } = await import('./targets.js');
  if (!mayContract(sources)) return compat;
  const parseCache = new WeakMap();
  engineOpts.parseCache = parseCache;
  const set = collectTargets(sources, { pgVersion: engineOpts.pgVersion, parseCache, ...(engineOpts.model ? { model: engineOpts.model } : {}) });
  if (set.targets.length === 0) return compat;
  const cwd = opts.cwd ?? process.cwd();
  const baseDir = opts.readers?.baseDir ?? cwd;
  const { gatherReaderEvidence } = await import('../readers/index.js');
  compat.readers = await gatherReaderEvidence({
    targets: set.targets,
    catalog: set.catalog,
    searchPath: set.searchPath,
    code: wantCode ? { baseDir, displayDir: cwd, paths: opts.readers!.paths, exclude: [...(opts.readers!.exclude ?? [])], migrations: migrationExcludes(sources, cwd, baseDir) } : null,
    db: opts.db ?? null,
  });
  return compat;
}

/**
 * The migrations as globs relative to the readers' base directory (never searched for
 * readers): one per migration root (the directory holding a Diesel or Prisma project's
 * migration folders, sqitch's top directory, else the files' directory), so the list stays
 * short however many migrations there are. Files directly in the base directory are listed
 * one by one (the base directory itself holds the code).
 */
export function migrationExcludes(sources: readonly SourceFile[], cwd: string, baseDir: string): string[] {
  const out = new Set<string>();
  const rel = (p: string) => path.relative(baseDir, p).split(path.sep).join('/');
  for (const s of sources) {
    const abs = path.resolve(cwd, s.displayPath);
    const file = rel(abs);
    if (file.startsWith('../') || path.isAbsolute(file)) continue;
    const root = rel(sequenceRoot(abs));
    out.add(root === '' ? file : root.startsWith('../') ? `${path.posix.dirname(file)}/**` : `${root}/**`);
  }
  return [...out];
}
