/**
 * `ddlguard trace <paths..> [--db URL] [--history ...] [--seed-rows N] [--template DB]
 * [--single-transaction] [--commit] [--[no-]assume-in-transaction]`: run the migrations on
 * PGlite (default) or a server and report what each statement did: locks, rewrites, scans,
 * catalog changes, failures. Each file runs as its framework runs it and is committed into a
 * scratch database that is thrown away at the end (also on SIGINT / SIGTERM).
 * Exit 0 when every statement ran, 1 when one failed, 2 on usage errors, 130/143 on a signal.
 */
import { discoverMigrations } from '../../migrations/discover.js';
import { readMigration } from '../../migrations/sections.js';
import { disposeLiveSandboxes, engineHost, maskSecrets, urlSecrets } from '../../trace/engine.js';
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
  singleTransaction?: boolean;
  template?: string;
  assumeInTransaction?: boolean;
  color?: boolean;
}

async function loadSources(inputs: string[], exclude: Set<string> = new Set()): Promise<TraceSource[]> {
  const files = await discoverMigrations(inputs, { cwd: process.cwd(), includeDown: false, exclude: [] });
  return Promise.all(files.filter((f) => !exclude.has(f.path)).map(async (f) => ({ ...(await readMigration(f)), file: f.path })));
}

/**
 * While a trace runs, SIGINT / SIGTERM drop the scratch database (and any sandbox) before the
 * process exits, instead of leaving it on the server. Returns the function that uninstalls it.
 */
function dropScratchOnSignal(): () => void {
  const handler = (signal: NodeJS.Signals) => {
    process.stderr.write(`ddlguard trace: ${signal}: dropping the scratch database\n`);
    void disposeLiveSandboxes().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
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
  if (args.template !== undefined) {
    if (host.kind !== 'pg') throw new CliError('--template: needs --db (a server); PGlite starts empty');
    if (args.commit && !args.singleTransaction) throw new CliError('--template: not with --commit (--commit runs in the --db database itself, without a scratch database)');
  }
  if (args.assumeInTransaction !== undefined && args.singleTransaction) throw new CliError('--assume-in-transaction: not with --single-transaction (every file is in the one transaction)');
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
  const uninstall = dropScratchOnSignal();
  try {
    result = await traceMigration(files, {
      engine: host,
      history,
      mode: args.singleTransaction ? 'single-transaction' : 'per-file',
      commit: args.commit ?? false,
      seedRows: args.seedRows ?? 0,
      ...(args.template !== undefined ? { template: args.template } : {}),
      ...(args.assumeInTransaction !== undefined ? { assumeInTransaction: args.assumeInTransaction } : {}),
    });
  } catch (e) {
    throw new CliError(`trace: ${maskSecrets((e as Error).message, secrets)}`);
  } finally {
    uninstall();
  }
  const color = args.color ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
  process.stdout.write(renderTrace(result, format, { color, secrets }));
  return result.error ? EXIT_FINDINGS : EXIT_CLEAN;
}
