/**
 * `ddlguard apply`, `ddlguard status`, `ddlguard abort`.
 *
 * Exit codes of apply: 0 done (or dry run), 1 a step failed / gave up,
 * 2 usage or refused (changed plan, contract without confirmation, bad --db),
 * 3 another applier holds the lock (without --wait), 4 stopped (signal/abort),
 * 5 refused before running anything: a step would block the application on a
 *   table that is not small (a rewrite or scan under a blocking lock) and was not
 *   allowed with --allow-blocking <step id | all>.
 */
import { readFile } from 'node:fs/promises';
import { closeQuietly, connect, redactError, redactUrl, resolveDbUrl } from '../../db/connection.js';
import { describeHolder, lockHolder } from '../../apply/lock.js';
import { createLogger, type LogFormat } from '../../apply/log.js';
import { applyPlan, validatePlan, type PhaseOption } from '../../apply/runner.js';
import { describeHorizon, listPlans, loadPlanState, requestAbort, resetPlan, stateHorizon } from '../../apply/state.js';
import type { Plan } from '../../apply/types.js';
import type { LoadedConfig } from '../../config/index.js';
import { configMs, configThroughput, loadCliConfig } from '../config.js';
import { resolveSources } from '../schema-source.js';
import { CliError } from '../exit.js';

export interface ApplyArgs {
  /** plan.json, or migration files (planned with the planner). */
  input: string[];
  db?: string;
  dryRun?: boolean;
  phase?: string;
  yes?: boolean;
  format?: string;
  wait?: boolean;
  killBlockersAfter?: number;
  lockTimeoutMax?: number;
  statementTimeout?: number;
  /** PostgreSQL major for planning migration files (default 15). */
  pgVersion?: number;
  config?: string;
  /** Migrations already applied, when planning migration files. */
  history?: string[];
  /** Step ids (or `all`) allowed to block the application on a table that is not small. */
  allowBlocking?: string[];
  /** A fleet file: apply to every target in waves (src/cli/commands/fleet.ts). */
  fleet?: string;
}

function logFormat(format: string | undefined): LogFormat {
  if (format === undefined || format === 'human' || format === 'tty' || format === 'text') return 'human';
  if (format === 'json') return 'json';
  throw new CliError(`--format: unknown format "${format}" (human or json)`);
}

function phaseOption(phase: string | undefined): PhaseOption | undefined {
  if (phase === undefined) return undefined;
  if (['expand', 'migrate', 'contract', 'all'].includes(phase)) return phase as PhaseOption;
  throw new CliError(`--phase: unknown phase "${phase}" (expand, migrate, contract or all)`);
}

/** Loads a plan from plan.json, or plans migration files with src/plan/planner.ts's planMigration (from the target's schema). */
export async function loadPlanInput(input: string[], opts: { pgVersion?: number; history?: string[]; db?: string; config?: LoadedConfig } = {}): Promise<Plan> {
  if (input.length === 0) throw new CliError('apply: give a plan.json or migration files');
  if (input.length === 1 && input[0]!.endsWith('.json')) {
    let raw: string;
    try {
      raw = await readFile(input[0]!, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${input[0]}: ${(err as Error).message}`);
    }
    try {
      return validatePlan(JSON.parse(raw));
    } catch (err) {
      throw new CliError(`${input[0]}: ${(err as Error).message}`);
    }
  }
  // Migration files: plan them as `ddlguard plan` does, from the target database's schema
  // (keys, column types, indexes, sizes) with the history and config.
  const { planFromPaths } = await import('./plan.js');
  const planArgs: Parameters<typeof planFromPaths>[0] = { paths: input };
  if (opts.pgVersion !== undefined) planArgs.pgVersion = opts.pgVersion;
  if (opts.history) planArgs.history = opts.history;
  // The target only: a schema file must not stand in for the database being changed.
  planArgs.db = opts.db ?? false;
  const { plan } = await planFromPaths(planArgs, opts.config);
  return validatePlan(plan);
}

export async function runApply(args: ApplyArgs): Promise<number> {
  if (args.fleet !== undefined) return (await import('./fleet.js')).runApplyFleet(args as import('./fleet.js').FleetApplyArgs);
  const format = logFormat(args.format);
  const phase = phaseOption(args.phase);
  const loaded = await loadCliConfig(args.config);
  const { config } = loaded;
  // The target: --db, DATABASE_URL, then the config's db.
  // A dry run needs none: it plans from the files alone and connects to nothing.
  const target = resolveSources({ db: args.db }, loaded).db;
  if (!target && !args.dryRun) throw new CliError('apply: no database: pass --db <url>, set DATABASE_URL, or set db in the config');
  const planOpts: Parameters<typeof loadPlanInput>[1] = { config: loaded, ...(target ? { db: target } : {}) };
  if (args.pgVersion !== undefined) planOpts.pgVersion = args.pgVersion;
  if (args.history) planOpts.history = args.history;
  const plan = await loadPlanInput(args.input, planOpts);
  // CLI flags override the config's apply settings.
  const guard: Record<string, number> = {};
  const killAfter = args.killBlockersAfter;
  const maxLockTimeout = args.lockTimeoutMax ?? configMs(config.apply?.maxLockTimeout);
  const startLockTimeout = configMs(config.apply?.lockTimeout);
  const statementTimeout = args.statementTimeout ?? configMs(config.apply?.statementTimeout);
  if (killAfter !== undefined) guard.killBlockersAfterMs = killAfter;
  if (maxLockTimeout !== undefined) guard.maxLockTimeoutMs = maxLockTimeout;
  if (startLockTimeout !== undefined) guard.startLockTimeoutMs = startLockTimeout;
  if (statementTimeout !== undefined) guard.statementTimeoutMs = statementTimeout;
  if (config.apply?.retries !== undefined) guard.maxRetries = config.apply.retries;
  const tp = await configThroughput(config.estimates);
  const backfill: Record<string, number> = {};
  if (config.apply?.batchTargetMs !== undefined) backfill.targetBatchMs = config.apply.batchTargetMs;
  const r = await applyPlan(plan, {
    ...(target ? { db: target } : {}),
    dryRun: args.dryRun,
    phase,
    yes: args.yes,
    wait: args.wait,
    format,
    guard,
    backfill,
    handleSignals: true,
    ...(args.allowBlocking?.length ? { allowBlocking: args.allowBlocking } : {}),
    ...(tp ? { throughput: tp } : {}),
  });
  return r.exitCode;
}

export interface StatusArgs {
  db?: string;
  plan?: string;
  format?: string;
}

export async function runStatus(args: StatusArgs): Promise<number> {
  const format = logFormat(args.format);
  const url = resolveDbUrl(args.db);
  const client = await connect(url);
  try {
    const holder = await lockHolder(client);
    const plans = args.plan ? [await loadPlanState(client, args.plan)].filter((p) => p !== null) : await listPlans(client);
    if (format === 'json') {
      const withHorizon = plans.map((p) => ({ ...p, rollback: stateHorizon(p) }));
      process.stdout.write(`${JSON.stringify({ event: 'status', db: redactUrl(url), applier: holder, plans: withHorizon })}\n`);
    } else {
      const out: string[] = [`database ${redactUrl(url)}`];
      out.push(holder ? `applier running: ${describeHolder(holder)}` : 'no applier running');
      if (plans.length === 0) out.push('no plans recorded');
      for (const p of plans) {
        const done = p.steps.filter((s) => s.status === 'done').length;
        out.push(`plan ${p.planId} (hash ${p.planHash}): ${p.status}, ${done}/${p.steps.length} steps done${p.abortRequested ? ', abort requested' : ''}`);
        out.push(`  ${describeHorizon(stateHorizon(p))}`);
        for (const s of p.steps) {
          const extra = [
            s.foundDone ? 'found done: ddlguard ran nothing' : '',
            s.lastKey !== null ? `last key ${s.lastKey}, ${s.rowsDone} rows` : '',
            s.undo === 'impossible' ? 'cannot be rolled back' : '',
            s.error ? `error: ${s.error}` : '',
          ]
            .filter(Boolean)
            .join('; ');
          out.push(`  ${s.status.padEnd(12)} ${s.stepId}${extra ? `  (${extra})` : ''}`);
        }
      }
      process.stdout.write(`${out.join('\n')}\n`);
    }
    return 0;
  } catch (err) {
    throw new CliError(redactError(err, url).message, 1);
  } finally {
    await closeQuietly(client);
  }
}

export interface AbortArgs {
  db?: string;
  plan?: string;
  /** Forget the plan's recorded progress (needs --plan; refuses while an applier runs). */
  reset?: boolean;
  format?: string;
}

/** Asks a running apply to stop after its current batch/step; with --reset, forgets a plan's state. */
export async function runAbort(args: AbortArgs): Promise<number> {
  const format = logFormat(args.format);
  const log = createLogger({ format });
  const url = resolveDbUrl(args.db);
  const client = await connect(url);
  try {
    const holder = await lockHolder(client);
    if (args.reset) {
      if (!args.plan) throw new CliError('abort --reset needs --plan <id>');
      if (holder) throw new CliError(`an applier is running (${describeHolder(holder)}); abort it first`, 3);
      const ok = await resetPlan(client, args.plan);
      log.emit({ event: 'abort.reset', planId: args.plan, found: ok, message: ok ? `forgot the recorded progress of plan ${args.plan} (applied steps are not undone)` : `no recorded plan ${args.plan}` });
      return ok ? 0 : 1;
    }
    const flagged = await requestAbort(client, args.plan);
    if (flagged.length === 0) {
      log.emit({ event: 'abort.none', message: holder ? `no running plan recorded; applier: ${describeHolder(holder)}` : 'no apply is running' });
      return 1;
    }
    log.emit({ event: 'abort.requested', plans: flagged, holder, message: `asked ${flagged.join(', ')} to stop after the current batch/step${holder ? ` (applier ${describeHolder(holder)})` : ''}` });
    return 0;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(redactError(err, url).message, 1);
  } finally {
    await closeQuietly(client);
  }
}
