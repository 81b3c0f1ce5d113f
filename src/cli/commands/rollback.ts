/**
 * `ddlguard rollback <plan.json | migration files> --db URL [--dry-run] [--to STEP_ID] [--yes] [--format json]`
 *
 * Undoes the steps of the plan that ran on the database, newest first, each under apply's
 * lock guard (src/apply/rollback.ts). With `--to STEP_ID` that step and the ones before it
 * stay. Migration files are planned as `apply` plans them; when the database has changed
 * since, the plan recorded at apply is rolled back.
 *
 * Exit codes:
 *   0 rolled back (or nothing to roll back, or a dry run);
 *   1 a step's rollback failed (the steps before it are not rolled back; re-run to continue);
 *   2 usage or refused before anything ran: an unknown --to step, a plan that is not the one
 *     applied, or rollbacks that drop data written since their step ran without --yes;
 *   3 another applier holds the lock (without --wait);
 *   4 stopped (SIGINT / SIGTERM / `ddlguard abort`); re-run to continue;
 *   6 refused: a step that cannot be undone has run (nothing was changed; the message names
 *     it, says what is lost and what to do instead: `--to <that step>` undoes the steps after it).
 * A dry run exits 6 when the rollback would refuse, and 0 otherwise.
 *
 * `ddlguard rollback [plan.json] --control URL --run ID` (or `--fleet FILE`) rolls back a fleet
 * run instead, wave by wave, newest first, with `--wave`, `--targets`, `--exclude` to narrow it
 * (src/cli/commands/fleet.ts, docs/fleet.md); the exit codes are the same, per fleet.
 */
import { configMs, loadCliConfig } from '../config.js';
import { resolveSources } from '../schema-source.js';
import { CliError } from '../exit.js';
import { loadPlanInput } from './apply.js';

export interface RollbackArgs {
  /** plan.json, or migration files (planned as apply plans them). */
  input: string[];
  db?: string;
  dryRun?: boolean;
  /** Keep this step and the ones before it. */
  to?: string;
  /** Confirm rollbacks that drop data written since their step ran. */
  yes?: boolean;
  format?: string;
  wait?: boolean;
  killBlockersAfter?: number;
  lockTimeoutMax?: number;
  statementTimeout?: number;
  pgVersion?: number;
  history?: string[];
  config?: string;
  /** A fleet run: its fleet file, or its control database and run id. */
  fleet?: string;
  control?: string;
  run?: string;
  wave?: string[];
  targets?: string[];
  exclude?: string[];
  concurrency?: number;
  verbose?: boolean;
}

export async function runRollback(args: RollbackArgs): Promise<number> {
  const format = args.format === undefined || args.format === 'text' || args.format === 'human' ? 'human' : args.format === 'json' ? 'json' : null;
  if (!format) throw new CliError(`--format: unknown format "${args.format}" (text or json)`);
  if (args.fleet !== undefined || args.control !== undefined || args.run !== undefined) {
    if (args.db !== undefined) throw new CliError('rollback: --db rolls back one database, --fleet / --control / --run a fleet run: give one or the other');
    return (await import('./fleet.js')).runRollbackFleet(args);
  }
  const fleetOnly = (['wave', 'targets', 'exclude', 'concurrency', 'verbose'] as const).filter((k) => args[k] !== undefined && !(Array.isArray(args[k]) && (args[k] as unknown[]).length === 0));
  if (fleetOnly.length) throw new CliError(`rollback: --${fleetOnly[0]} rolls back part of a fleet run: give --control URL --run ID (or --fleet FILE) too`);
  if (args.input.length === 0) throw new CliError('rollback: give the plan.json that was applied, or the migration files');
  const loaded = await loadCliConfig(args.config);
  const { config } = loaded;
  const target = resolveSources({ db: args.db }, loaded).db;
  if (!target && !args.dryRun) throw new CliError('rollback: no database: pass --db <url>, set DATABASE_URL, or set db in the config');
  const fromFiles = !(args.input.length === 1 && args.input[0]!.endsWith('.json'));
  const planOpts: Parameters<typeof loadPlanInput>[1] = { config: loaded, ...(target ? { db: target } : {}) };
  if (args.pgVersion !== undefined) planOpts.pgVersion = args.pgVersion;
  if (args.history) planOpts.history = args.history;
  const plan = await loadPlanInput(args.input, planOpts);
  const guard: Record<string, number> = {};
  const maxLockTimeout = args.lockTimeoutMax ?? configMs(config.apply?.maxLockTimeout);
  const startLockTimeout = configMs(config.apply?.lockTimeout);
  const statementTimeout = args.statementTimeout ?? configMs(config.apply?.statementTimeout);
  if (args.killBlockersAfter !== undefined) guard.killBlockersAfterMs = args.killBlockersAfter;
  if (maxLockTimeout !== undefined) guard.maxLockTimeoutMs = maxLockTimeout;
  if (startLockTimeout !== undefined) guard.startLockTimeoutMs = startLockTimeout;
  if (statementTimeout !== undefined) guard.statementTimeoutMs = statementTimeout;
  if (config.apply?.retries !== undefined) guard.maxRetries = config.apply.retries;
  const { rollbackPlan } = await import('../../apply/rollback.js');
  const r = await rollbackPlan(plan, {
    ...(target ? { db: target } : {}),
    dryRun: args.dryRun,
    ...(args.to !== undefined ? { to: args.to } : {}),
    yes: args.yes,
    wait: args.wait,
    format,
    guard,
    useRecordedPlan: fromFiles,
    handleSignals: true,
  });
  return r.exitCode;
}
