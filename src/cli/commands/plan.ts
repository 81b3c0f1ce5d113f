/** `ddlguard plan`: rewrite migrations into expand / migrate / contract steps. */
import { writeFileSync } from 'node:fs';
import { discoverMigrations } from '../../migrations/discover.js';
import { readMigration } from '../../migrations/sections.js';
import { loadParser } from '../../sql/parser.js';
import { filterPhase } from '../../plan/model.js';
import { planMigration, PlanError } from '../../plan/planner.js';
import { renderJson } from '../../plan/render/json.js';
import { renderMarkdown } from '../../plan/render/markdown.js';
import { renderSql } from '../../plan/render/sql.js';
import type { LoadedConfig } from '../../config/index.js';
import { configMs, configThroughput, loadCliConfig } from '../config.js';
import { resolveSources } from '../schema-source.js';
import type { LoadedSchema } from '../../schema/sources/index.js';
import { CliError, EXIT_CLEAN } from '../exit.js';

export interface PlanArgs {
  paths: string[];
  pgVersion?: number;
  format?: 'sql' | 'json' | 'markdown';
  output?: string;
  phase?: string;
  history?: string[];
  /** Live database: its schema, server version and table sizes (a URL, or false for --no-db). */
  db?: string | false;
  /** A snapshot or pg_dump file with the schema. */
  schema?: string;
  smallTableRows?: number;
  config?: string;
}

export interface PlannedInput {
  plan: ReturnType<typeof planMigration>;
  /** The planned files as read (up sections only), for the Markdown diff. */
  planned: Array<{ path: string; text: string }>;
}

/**
 * Discover, read and plan migration files (shared by `plan` and `apply <files>`): history
 * informs the model, --db supplies the server version and table sizes, the config the
 * planner and guard settings. Down sections (dbmate) are left out.
 */
export async function planFromPaths(
  args: Pick<PlanArgs, 'paths' | 'pgVersion' | 'history' | 'db' | 'schema' | 'smallTableRows' | 'config'>,
  /** The config when the caller already loaded it (args.config is then ignored). */
  loaded?: LoadedConfig,
): Promise<PlannedInput> {
  const paths = args.paths ?? [];
  if (paths.length === 0) throw new CliError('give migration files, directories or globs to plan');
  const cfg = loaded ?? (await loadCliConfig(args.config));
  const { config } = cfg;
  const sources = resolveSources({ db: args.db, schema: args.schema }, cfg);
  let schema: LoadedSchema | null = null;
  if (sources.db || sources.schemaFile) {
    const { loadSchemaSources, SchemaSourceError } = await import('../../schema/sources/index.js');
    try {
      schema = await loadSchemaSources({ db: sources.db, dbFrom: sources.dbFrom, schemaFile: sources.schemaFile });
    } catch (e) {
      if (e instanceof SchemaSourceError) throw new CliError(e.message);
      throw e;
    }
  }
  const pgVersion = args.pgVersion ?? schema?.pgVersion ?? config.pgVersion ?? 15;
  if (!Number.isInteger(pgVersion) || pgVersion < 10 || pgVersion > 19) throw new CliError(`--pg-version: expected a PostgreSQL major version between 10 and 19, got ${args.pgVersion}`);
  const cwd = process.cwd();
  let files, history;
  try {
    files = await discoverMigrations(paths, { cwd });
    history = args.history?.length ? await discoverMigrations(args.history, { cwd }) : [];
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const planned = await Promise.all(files.map(readMigration));
  const inPlan = new Set(files.map((f) => f.path));
  await loadParser();
  try {
    const opts: Parameters<typeof planMigration>[1] = { pgVersion, history: await Promise.all(history.filter((h) => !inPlan.has(h.path)).map(readMigration)) };
    if (schema) {
      opts.model = schema.model;
      opts.modelLabel = schema.label;
      opts.sourceNotes = schema.notes;
    }
    const rows = args.smallTableRows ?? config.planner?.smallTable?.rows ?? config.planner?.smallTableRows;
    const bytes = config.planner?.smallTable?.bytes;
    opts.smallTable = { ...(rows !== undefined ? { rows } : {}), ...(bytes !== undefined ? { bytes } : {}) };
    if (config.planner?.batchSize !== undefined) opts.batchSize = config.planner.batchSize;
    const lockTimeoutMs = configMs(config.apply?.maxLockTimeout) ?? configMs(config.apply?.lockTimeout);
    if (lockTimeoutMs !== undefined) opts.lockTimeoutMs = lockTimeoutMs;
    if (config.apply?.retries !== undefined) opts.retries = config.apply.retries;
    const tp = await configThroughput(config.estimates);
    if (tp) opts.throughput = tp;
    return { plan: planMigration(planned, opts), planned };
  } catch (e) {
    if (e instanceof PlanError) throw new CliError(e.message);
    throw e;
  }
}

export async function runPlan(args: PlanArgs): Promise<number> {
  const format = args.format ?? 'sql';
  if (!['sql', 'json', 'markdown'].includes(format)) throw new CliError(`--format: expected sql, json or markdown, got "${format}"`);
  if (!args.paths?.length) throw new CliError('plan: give migration files, directories or globs to plan');
  const { plan: full, planned } = await planFromPaths(args);
  let plan;
  try {
    plan = filterPhase(full, args.phase);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('unknown phase')) throw new CliError(e.message);
    throw e;
  }
  const text = format === 'json' ? renderJson(plan) : format === 'markdown' ? renderMarkdown(plan, planned) : renderSql(plan);
  if (args.output && args.output !== '-') writeFileSync(args.output, text);
  else process.stdout.write(text);
  return EXIT_CLEAN;
}
