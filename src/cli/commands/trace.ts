/**
 * `ddlguard trace <paths..> [--db URL] [--history ...] [--seed-rows N] [--commit]`:
 * run the migrations on PGlite (default) or a server and report what each
 * statement did. Exit 0 when every statement ran, 1 when one failed, 2 on usage errors.
 */
import { discoverMigrations } from '../../migrations/discover.js';
import { readMigration } from '../../migrations/sections.js';
import { engineHost, maskSecrets, urlSecrets } from '../../trace/engine.js';
import { renderTrace, TRACE_FORMATS, type TraceFormat } from '../../trace/render.js';
import { traceMigration, type TraceSource } from '../../trace/trace.js';
import { CliError, EXIT_CLEAN, EXIT_FINDINGS } from '../exit.js';

export interface TraceArgs {
  paths: string[];
  db?: string;
  format?: string;
  history?: string[];
  seedRows?: number;
  commit?: boolean;
  color?: boolean;
}

async function loadSources(inputs: string[], exclude: Set<string> = new Set()): Promise<TraceSource[]> {
  const files = await discoverMigrations(inputs, { cwd: process.cwd(), includeDown: false, exclude: [] });
  return Promise.all(files.filter((f) => !exclude.has(f.path)).map(readMigration));
}

export async function runTrace(args: TraceArgs): Promise<number> {
  const secrets = args.db ? urlSecrets(args.db) : [];
  const format = (args.format ?? 'tty') as TraceFormat;
  if (!(TRACE_FORMATS as readonly string[]).includes(format)) throw new CliError(`--format: unknown format "${args.format}" (one of ${TRACE_FORMATS.join(', ')})`);
  if (!args.paths?.length) throw new CliError('trace: give migration files, directories or globs to trace');
  if (args.seedRows !== undefined && (!Number.isInteger(args.seedRows) || args.seedRows < 0)) {
    throw new CliError(`--seed-rows: expected a non-negative integer, got ${args.seedRows}`);
  }
  let host;
  try {
    host = engineHost(args.db);
  } catch (e) {
    throw new CliError(maskSecrets((e as Error).message, secrets));
  }
  let files: TraceSource[];
  let history: TraceSource[];
  try {
    files = await loadSources(args.paths);
    const tracedPaths = new Set((await discoverMigrations(args.paths, { cwd: process.cwd(), includeDown: false, exclude: [] })).map((f) => f.path));
    history = args.history?.length ? await loadSources(args.history, tracedPaths) : [];
  } catch (e) {
    throw new CliError(maskSecrets((e as Error).message, secrets));
  }
  if (files.length === 0) throw new CliError('trace: no migration files found');
  let result;
  try {
    result = await traceMigration(files, { engine: host, history, commit: args.commit ?? false, seedRows: args.seedRows ?? 0 });
  } catch (e) {
    throw new CliError(`trace: ${maskSecrets((e as Error).message, secrets)}`);
  }
  const color = args.color ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
  process.stdout.write(renderTrace(result, format, { color, secrets }));
  return result.error ? EXIT_FINDINGS : EXIT_CLEAN;
}
