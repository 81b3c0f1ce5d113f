/**
 * `ddlguard apply`, `ddlguard status`, `ddlguard abort`.
 *
 * Exit codes of apply: 0 done (or dry run), 1 a step failed / gave up,
 * 2 usage or refused (changed plan, contract without confirmation),
 * 3 another applier holds the lock (without --wait), 4 stopped (signal/abort).
 */
import { readFile } from 'node:fs/promises';
import { closeQuietly, connect, redactError, redactUrl, resolveDbUrl } from '../../db/connection.js';
import { describeHolder, lockHolder } from '../../apply/lock.js';
import { createLogger, type LogFormat } from '../../apply/log.js';
import { applyPlan, validatePlan, type PhaseOption } from '../../apply/runner.js';
import { listPlans, loadPlanState, requestAbort, resetPlan } from '../../apply/state.js';
import type { Plan } from '../../apply/types.js';
import type { LoadedConfig } from '../../config/index.js';
import { configMs, loadCliConfig } from '../config.js';
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

/** Loads a plan from plan.json, or plans migration files with src/plan/planner.ts's planMigration. */
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
  // Migration files: plan them as `ddlguard plan` does (history, config, --db sizes).
  const { planFromPaths } = await import('./plan.js');
  const planArgs: Parameters<typeof planFromPaths>[0] = { paths: input };
  if (opts.pgVersion !== undefined) planArgs.pgVersion = opts.pgVersion;
  if (opts.history) planArgs.history = opts.history;
  if (opts.db) planArgs.db = opts.db;
  const { plan } = await planFromPaths(planArgs, opts.config);
  return validatePlan(plan);
}

export async function runApply(args: ApplyArgs): Promise<number> {
  const format = logFormat(args.format);
  const phase = phaseOption(args.phase);
  const loaded = await loadCliConfig(args.config);
  const { config } = loaded;
  const planOpts: Parameters<typeof loadPlanInput>[1] = { config: loaded };
  if (args.pgVersion !== undefined) planOpts.pgVersion = args.pgVersion;
  if (args.history) planOpts.history = args.history;
  if (args.db) planOpts.db = args.db;
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
  const backfill: Record<string, number> = {};
  if (config.apply?.batchTargetMs !== undefined) backfill.targetBatchMs = config.apply.batchTargetMs;
  const r = await applyPlan(plan, {
    db: args.db,
    dryRun: args.dryRun,
    phase,
    yes: args.yes,
    wait: args.wait,
    format,
    guard,
    backfill,
    handleSignals: true,
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
      process.stdout.write(`${JSON.stringify({ event: 'status', db: redactUrl(url), applier: holder, plans })}\n`);
    } else {
      const out: string[] = [`database ${redactUrl(url)}`];
      out.push(holder ? `applier running: ${describeHolder(holder)}` : 'no applier running');
      if (plans.length === 0) out.push('no plans recorded');
      for (const p of plans) {
        const done = p.steps.filter((s) => s.status === 'done').length;
        out.push(`plan ${p.planId} (hash ${p.planHash}): ${p.status}, ${done}/${p.steps.length} steps done${p.abortRequested ? ', abort requested' : ''}`);
        for (const s of p.steps) {
          const extra = [s.lastKey !== null ? `last key ${s.lastKey}, ${s.rowsDone} rows` : '', s.error ? `error: ${s.error}` : ''].filter(Boolean).join('; ');
          out.push(`  ${s.status.padEnd(8)} ${s.stepId}${extra ? `  (${extra})` : ''}`);
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
