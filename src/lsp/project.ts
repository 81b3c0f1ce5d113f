/**
 * The warm state behind every lint run: which configuration a document falls under (the CLI's
 * lookup), the migrations and history files it is linted after and their texts (open buffers
 * over the disk), the schema sources and the reader evidence. Each is kept until what it
 * depends on changes: the schema sources are read again only when the configuration or the
 * schema file changes (or on `ddlguard.reloadSchema`), never because a document was edited.
 */
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ALL_RULES } from '../../rules/index.js';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/index.js';
import { configThroughput } from '../cli/config.js';
import { interpolateEnv } from '../cli/schema-source.js';
import { makeSource, migrationExcludes, withSchemaSources, type LintOptions } from '../lint/api.js';
import type { EngineOptions, SourceFile } from '../lint/engine.js';
import type { CompatOptions } from '../lint/compat.js';
import { discoverMigrations, globToRegExp, isDownMigration, sortMigrations, type MigrationFile } from '../migrations/discover.js';
import { detectFramework } from '../migrations/framework.js';
import type { ParsedFile } from '../sql/statement.js';
import type { SchemaModel } from '../schema/model.js';
import type { SourceNote } from '../schema/sources/merge.js';

/** What `ddlguard lsp` was started with; each overrides the configuration as the same lint flag does. */
export interface ServerOptions {
  /** --config: one configuration file for every document. */
  configPath?: string;
  /** --db URL, or false for --no-db. */
  db?: string | false;
  /** --schema: a snapshot or pg_dump file. */
  schema?: string;
  /** --pg-version. */
  pgVersion?: number;
}

/** Where the server says things: the log (always) and the user (once per distinct message). */
export interface Reporter {
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** A window message, shown again only when `message` changes for `key`; `null` forgets the key. */
  show(level: 'warn' | 'error', key: string, message: string | null): void;
}

/** A configuration as one document sees it. */
export interface ProjectConfig {
  loaded: LoadedConfig;
  /** What display paths and the configuration's globs are relative to (the CLI's working directory). */
  cwd: string;
  /** Identifies the file and its contents. */
  key: string;
  migrations: string[];
  history: string[];
  exclude: string[];
  assume: boolean | undefined;
}

/** The sources of one run: the files before the document (history) and the document (lint). */
export interface RunSources {
  sources: SourceFile[];
  /** The document's source (last in `sources`). */
  doc: SourceFile;
  /** The document's absolute path (for an unsaved buffer: where it would be). */
  docPath: string;
  /** One of the migrations (linted after the files before it) or a file linted on its own. */
  migration: boolean;
  /** Absolute paths of the history files, to re-lint this document when one changes. */
  historyPaths: string[];
  /** Every migration and history file in order (the readers' excludes cover their folders). */
  all: MigrationFile[];
  /** Files that could not be read. */
  problems: string[];
}

interface Discovery {
  at: number;
  migrations: Set<string>;
  files: MigrationFile[];
}

interface LoadedSchemaState {
  model: SchemaModel;
  label: string;
  labels: string[];
  notes: readonly SourceNote[];
  pgVersion: number | null;
}

type SchemaEntry = { key: string; at: number; state: LoadedSchemaState | null; error: string | null };

/** How long a discovery (a glob over the migrations folders) is trusted without a file event. */
const DISCOVERY_TTL_MS = 5_000;
/** How long a schema source that failed to load waits before it is tried again. */
const SCHEMA_RETRY_MS = 30_000;
/** How long reader evidence (a search of application code and pg_stat_statements) is kept. */
const READERS_TTL_MS = 60_000;

export class Projects {
  /** Parsed files by source object: sources that did not change are the same object across runs. */
  readonly parseCache = new WeakMap<SourceFile, ParsedFile>();
  private readonly discoveries = new Map<string, Discovery>();
  private readonly texts = new Map<string, { stamp: string; source: SourceFile }>();
  /** Per project (configuration file, or folder without one): the sources last read for it. */
  private readonly schemas = new Map<string, SchemaEntry>();
  private readonly schemaLoading = new Map<string, Promise<SchemaEntry>>();
  private readonly readers = new Map<string, { at: number; compat: CompatOptions }>();
  /** Workspace folders (absolute paths), for documents no configuration claims. */
  folders: string[] = [];
  /** Called when a schema source that had failed loads in the background (re-lint what is open). */
  onSchemaLoaded: () => void = () => {};

  constructor(
    private readonly options: ServerOptions,
    private readonly reporter: Reporter,
    /** The unsaved text of an open document, by absolute path. */
    private readonly openText: (file: string) => string | undefined,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** The server's working directory: what --config and --schema are relative to. */
    private readonly processCwd: string = process.cwd(),
  ) {}

  /** Forget discoveries (files were created, deleted or renamed). */
  filesChanged(): void {
    this.discoveries.clear();
  }

  /** Read the schema sources again on the next run (and search for readers again). */
  reloadSchema(): void {
    this.schemas.clear();
    this.readers.clear();
  }

  /** The configuration for a file: `--config`, else the nearest ddlguard.config.* upwards. Throws ConfigError. */
  async configFor(file: string | null): Promise<ProjectConfig> {
    const start = file ? path.dirname(file) : (this.folders[0] ?? this.processCwd);
    const knownRuleIds = ALL_RULES.map((r) => r.meta.id);
    const loaded = this.options.configPath
      ? await loadConfig({ cwd: this.processCwd, configPath: this.options.configPath, knownRuleIds })
      : await loadConfig({ cwd: start, knownRuleIds });
    const cwd = loaded.path ? loaded.dir : ((file && this.folderOf(file)) ?? start);
    const config = loaded.config;
    // Globs in the config are relative to the config file's directory (as lint.ts resolves them).
    const fromConfig = (globs: string[] | undefined) => (globs ?? []).map((g) => path.relative(cwd, path.resolve(loaded.dir, g)) || '.');
    return {
      loaded,
      cwd,
      key: `${loaded.path ?? cwd}\u0000${JSON.stringify(config)}`,
      migrations: fromConfig(config.migrations),
      history: fromConfig(config.history),
      exclude: fromConfig(config.ignore),
      assume: config.assumeInTransaction === 'auto' || config.assumeInTransaction === undefined ? undefined : config.assumeInTransaction,
    };
  }

  private folderOf(file: string): string | null {
    let best: string | null = null;
    for (const f of this.folders) if ((file + path.sep).startsWith(f + path.sep) && (!best || f.length > best.length)) best = f;
    return best;
  }

  /** Lint options as `ddlguard lint <file>` builds them from the configuration (lint.ts). */
  async lintOptions(cfg: ProjectConfig): Promise<LintOptions> {
    const config = cfg.loaded.config;
    const opts: LintOptions = { paths: [], rules: ALL_RULES, severities: { ...(config.rules ?? {}) }, cwd: cfg.cwd };
    const pgVersion = this.options.pgVersion ?? config.pgVersion;
    if (pgVersion !== undefined) opts.pgVersion = pgVersion;
    if (cfg.assume !== undefined) opts.assumeInTransaction = cfg.assume;
    if (config.severityBySize) opts.severityBySize = config.severityBySize;
    const tp = await configThroughput(config.estimates);
    if (tp) opts.throughput = tp;
    if (config.readers?.paths?.length) opts.readers = { paths: config.readers.paths, exclude: config.readers.exclude ?? [], baseDir: cfg.loaded.dir };
    return opts;
  }

  // -------------------------------------------------------------------------
  // Sources
  // -------------------------------------------------------------------------

  /**
   * The sources for linting `text` as the file `file` (null: an unsaved buffer without a
   * path): after the migrations and history files that come before it when it is one of the
   * migrations, else on its own.
   */
  async sourcesFor(cfg: ProjectConfig, file: string | null, text: string): Promise<RunSources> {
    const problems: string[] = [];
    const displayPath = file ? toDisplayPath(cfg.cwd, file) : 'untitled.sql';
    const abs = file ?? path.join(cfg.cwd, displayPath);
    const doc = makeSource(abs, displayPath, text, 'lint', cfg.assume);
    if (!file || cfg.migrations.length === 0) return { sources: [doc], doc, docPath: abs, migration: false, historyPaths: [], all: [], problems };

    let found = await this.discover(cfg, problems);
    if (!found.migrations.has(file) && (await this.createdSince(file, found.at))) {
      this.discoveries.delete(cfg.key);
      found = await this.discover(cfg, problems);
    }
    const migration = found.migrations.has(file) || ((await this.onDisk(file)) === false && this.wouldMatch(cfg, file));
    if (!migration) return { sources: [doc], doc, docPath: abs, migration: false, historyPaths: [], all: [], problems };

    const self = found.files.find((f) => f.path === file) ?? { path: file, displayPath, framework: detectFramework(file, text).framework };
    const all = sortMigrations([self, ...found.files.filter((f) => f.path !== file)]);
    const before = all.slice(0, all.indexOf(self));
    const history = await Promise.all(before.map((f) => this.historySource(f, cfg.assume, problems)));
    const sources = [...history.filter((s): s is SourceFile => s !== null), doc];
    return { sources, doc, docPath: abs, migration: true, historyPaths: before.map((f) => f.path), all, problems };
  }

  /** The migrations and history files (one glob per input; an input matching nothing is no error here). */
  private async discover(cfg: ProjectConfig, problems: string[]): Promise<Discovery> {
    const cached = this.discoveries.get(cfg.key);
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached;
    const at = Date.now();
    const opts = { cwd: cfg.cwd, includeDown: false, exclude: cfg.exclude };
    const each = async (inputs: string[]) => {
      const out: MigrationFile[] = [];
      for (const input of inputs) {
        try {
          out.push(...(await discoverMigrations([input], opts)));
        } catch (e) {
          // An empty migrations folder is normal while the first migration is being written.
          if (!/^no migration files match/.test((e as Error).message)) problems.push((e as Error).message);
        }
      }
      return out;
    };
    const migrations = await each(cfg.migrations);
    const history = await each(cfg.history);
    const files: MigrationFile[] = [];
    const seen = new Set<string>();
    for (const f of [...migrations, ...history]) {
      if (seen.has(f.path)) continue;
      seen.add(f.path);
      files.push(f);
    }
    const d = { at, migrations: new Set(migrations.map((f) => f.path)), files };
    this.discoveries.set(cfg.key, d);
    return d;
  }

  private async onDisk(file: string): Promise<boolean> {
    try {
      return (await stat(file)).isFile();
    } catch {
      return false;
    }
  }

  /** The file appeared after the discovery was made (a new migration saved a moment ago). */
  private async createdSince(file: string, at: number): Promise<boolean> {
    try {
      const st = await stat(file);
      return Math.max(st.birthtimeMs, st.ctimeMs) >= at - 1000;
    } catch {
      return false;
    }
  }

  /** For a buffer not yet saved: would the migrations inputs pick the file up once it is? */
  private wouldMatch(cfg: ProjectConfig, file: string): boolean {
    if (!/\.sql$/i.test(file) || isDownMigration(file)) return false;
    const rel = path.relative(cfg.cwd, file).split(path.sep).join('/');
    return cfg.migrations.some((input) => {
      const abs = path.resolve(cfg.cwd, input);
      // The input itself, or a folder the file is under (discovery searches folders recursively).
      if ((file + path.sep).startsWith(abs + path.sep)) return true;
      return globToRegExp(input.replace(/\\/g, '/').replace(/^\.\//, '')).test(rel);
    });
  }

  /** A history file's source: the open buffer's text, else the disk's (read again only when it changed). */
  private async historySource(f: MigrationFile, assume: boolean | undefined, problems: string[]): Promise<SourceFile | null> {
    const open = this.openText(f.path);
    let stamp: string;
    if (open !== undefined) stamp = `buffer\u0000${assume}\u0000${open}`;
    else {
      try {
        const st = await stat(f.path);
        stamp = `disk\u0000${assume}\u0000${st.mtimeMs}\u0000${st.size}\u0000${st.ino}`;
      } catch (e) {
        problems.push(`${f.displayPath}: cannot read file: ${(e as Error).message}`);
        return null;
      }
    }
    const hit = this.texts.get(f.path);
    if (hit && hit.stamp === stamp && hit.source.displayPath === f.displayPath) return hit.source;
    let text = open;
    if (text === undefined) {
      try {
        text = await readFile(f.path, 'utf8');
      } catch (e) {
        problems.push(`${f.displayPath}: cannot read file: ${(e as Error).message}`);
        return null;
      }
    }
    const source = makeSource(f.path, f.displayPath, text, 'history', assume);
    this.texts.set(f.path, { stamp, source });
    return source;
  }

  // -------------------------------------------------------------------------
  // Schema sources
  // -------------------------------------------------------------------------

  /**
   * Put the schema sources (the live database, a schema file) into the engine options, as
   * lint's withSchemaSources does, from the cache unless the configuration or the file
   * changed. A source that cannot be read is reported once and the run goes on without it.
   */
  async applySchema(cfg: ProjectConfig, opts: LintOptions, engine: EngineOptions): Promise<{ labels: string[]; db: string | null } | null> {
    const config = cfg.loaded.config;
    let db: string | null = null;
    let dbFrom = '--db';
    let dbError: string | null = null;
    if (typeof this.options.db === 'string' && this.options.db !== '') db = this.options.db;
    else if (this.options.db !== false && this.env.DATABASE_URL) {
      db = this.env.DATABASE_URL;
      dbFrom = 'DATABASE_URL';
    } else if (this.options.db !== false && config.db) {
      dbFrom = 'config db';
      try {
        db = interpolateEnv(config.db, this.env, `${cfg.loaded.path ?? 'config'}: db`);
      } catch (e) {
        dbError = (e as Error).message;
      }
    }
    const schemaAbs = this.options.schema ? path.resolve(this.processCwd, this.options.schema) : config.schema ? path.resolve(cfg.loaded.dir, config.schema) : null;
    const schemaFile = schemaAbs ? path.relative(cfg.cwd, schemaAbs) || '.' : null;
    this.reporter.show('warn', 'db-url', dbError ? `ddlguard: ${dbError}; linting without the live database` : null);
    if (!db && !schemaFile) return null;

    let stamp = 'none';
    if (schemaAbs) {
      try {
        const st = await stat(schemaAbs);
        stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      } catch {
        stamp = 'missing';
      }
    }
    const key = JSON.stringify([db, dbFrom, schemaFile, stamp, cfg.cwd, cfg.key]);
    const project = cfg.loaded.path ?? cfg.cwd;
    const load = () => {
      let pending = this.schemaLoading.get(project);
      if (!pending) {
        const spec: LintOptions = { ...opts, ...(db ? { db, dbFrom } : {}), ...(schemaFile ? { schemaFile } : {}) };
        delete spec.pgVersion;
        pending = this.loadSchema(key, spec).then((e) => {
          this.schemaLoading.delete(project);
          this.schemas.set(project, e);
          this.readers.clear();
          return e;
        });
        this.schemaLoading.set(project, pending);
      }
      return pending;
    };
    let entry = this.schemas.get(project);
    if (!entry || entry.key !== key) {
      // New or changed sources: this run waits for them (a load under way may be for the old key).
      entry = await load();
      if (entry.key !== key) entry = await load();
    } else if (entry.error !== null && Date.now() - entry.at > SCHEMA_RETRY_MS) {
      // A source that failed is tried again in the background (an unreachable host can take the
      // connect timeout): runs go on without it, and all are run again once it loads.
      void load().then((e) => {
        if (e.state) this.onSchemaLoaded();
      });
    }
    if (!entry || !entry.state) return { labels: [], db };
    const s = entry.state;
    engine.model = s.model;
    engine.modelLabel = s.label;
    engine.sourceNotes = s.notes;
    if (opts.pgVersion === undefined && s.pgVersion) engine.pgVersion = s.pgVersion;
    return { labels: s.labels, db };
  }

  private async loadSchema(key: string, spec: LintOptions): Promise<SchemaEntry> {
    const scratch: EngineOptions = { pgVersion: 0, rules: [], severities: new Map() };
    const what = [spec.db ? `the live database (${spec.dbFrom})` : null, spec.schemaFile].filter(Boolean).join(' and ');
    const started = Date.now();
    try {
      const loaded = await withSchemaSources(spec, scratch);
      if (!loaded) return { key, at: Date.now(), state: null, error: null };
      this.reporter.log('info', `schema: read ${loaded.labels.join(' and ')} (${loaded.model.relations.size} relations, ${Date.now() - started} ms)`);
      this.reporter.show('warn', 'schema', null);
      return {
        key,
        at: Date.now(),
        state: { model: loaded.model, label: loaded.label, labels: loaded.labels, notes: loaded.notes, pgVersion: scratch.pgVersion || null },
        error: null,
      };
    } catch (e) {
      const message = (e as Error).message;
      this.reporter.log('warn', `schema: cannot read ${what}: ${message}`);
      this.reporter.show('warn', 'schema', `ddlguard: ${message}. Linting without ${what}; it is tried again in ${SCHEMA_RETRY_MS / 1000} s or when the configuration changes.`);
      return { key, at: Date.now(), state: null, error: message };
    }
  }

  // -------------------------------------------------------------------------
  // Readers (expand/contract evidence)
  // -------------------------------------------------------------------------

  /**
   * Reader evidence for what the document contracts, as lint gathers it (lint/api.ts
   * compatOptions, without --base): only when readers.paths or a database is configured and
   * the document drops, renames or makes NOT NULL something; kept per set of targets.
   */
  async compatFor(run: RunSources, opts: LintOptions, engine: EngineOptions, db: string | null, cwd: string): Promise<CompatOptions | undefined> {
    const wantCode = Boolean(opts.readers?.paths.length);
    if (!wantCode && !db) return undefined;
    const { collectTargets, mayContract } = await import('../lint/targets.js');
    if (!mayContract(run.sources)) return {};
    const set = collectTargets(run.sources, { pgVersion: engine.pgVersion, parseCache: this.parseCache, ...(engine.model ? { model: engine.model } : {}) });
    if (set.targets.length === 0) return {};
    const baseDir = opts.readers?.baseDir ?? cwd;
    const listed = run.all.length ? run.all.map((f) => ({ displayPath: f.displayPath })) : [{ displayPath: run.doc.displayPath }];
    const excludes = migrationExcludes(listed as SourceFile[], cwd, baseDir);
    const code = wantCode ? { baseDir, displayDir: cwd, paths: opts.readers!.paths, exclude: [...(opts.readers!.exclude ?? []), ...excludes] } : null;
    const catalog = [...set.catalog].map(([k, v]) => [k, [...v].sort()]).sort();
    const key = createHash('sha256')
      .update(JSON.stringify([set.targets.map((t) => t.key).sort(), catalog, set.searchPath, code, db]))
      .digest('hex');
    const hit = this.readers.get(key);
    if (hit && Date.now() - hit.at < READERS_TTL_MS) return hit.compat;
    const { gatherReaderEvidence } = await import('../readers/index.js');
    const readers = await gatherReaderEvidence({ targets: set.targets, catalog: set.catalog, searchPath: set.searchPath, code, db });
    const compat: CompatOptions = { readers };
    this.readers.set(key, { at: Date.now(), compat });
    return compat;
  }
}

/** Path relative to `cwd` with forward slashes, as discovery names files. */
export function toDisplayPath(cwd: string, abs: string): string {
  const rel = path.relative(cwd, abs);
  return (rel === '' ? path.basename(abs) : rel).split(path.sep).join('/');
}

export { ConfigError };
