/**
 * applyPlan: executes a plan against a live database, one guarded step at a
 * time, recording progress in the `ddlguard` schema so it can resume.
 */
import type pg from 'pg';
import { runBackfill, DEFAULT_BACKFILL, type BackfillOptions } from './backfill.js';
import { dropIfInvalid, findIndex, parseConcurrentIndex } from './concurrent.js';
import { ApplyError, closeQuietly, connect, redactError, redactUrl, resolveDbUrl } from '../db/connection.js';
import {
  DEFAULT_GUARD,
  GiveUpError,
  StopRequested,
  lockTimeoutFor,
  oneLine,
  runInTransaction,
  runOutsideTransaction,
  withLockRetries,
  type GuardContext,
  type GuardOptions,
} from './guard.js';
import { ApplierBusyError, acquireApplierLock, describeHolder, releaseApplierLock } from './lock.js';
import { checkBlocking, describeBlockingStep, describeRefusal } from './blocking.js';
import { createLogger, type ApplyLogger, type LogFormat } from './log.js';
import { abortRequested, ensureStateSchema, loadPlanState, markFoundDone, markPlan, markStep, planHash, registerPlan, stateExists, PlanChangedError } from './state.js';
import type { Phase, Plan, PlanStep, StepBatch } from './types.js';
import { quoteIdentAlways } from '../sql/quote.js';

export type PhaseOption = Phase | 'all';

export interface ApplyOptions {
  /** Connection URL; default DATABASE_URL. */
  db?: string;
  dryRun?: boolean;
  /** Default: expand + migrate. `contract` alone, or `all` (needs `yes`). */
  phase?: PhaseOption;
  yes?: boolean;
  /** Wait for another applier instead of exiting. */
  wait?: boolean;
  waitTimeoutMs?: number;
  format?: LogFormat;
  logger?: ApplyLogger;
  guard?: Partial<GuardOptions>;
  backfill?: Partial<BackfillOptions>;
  /** Graceful stop (after the current batch / step). */
  signal?: AbortSignal;
  /** Install SIGINT/SIGTERM handlers that request a graceful stop (CLI). */
  handleSignals?: boolean;
  /**
   * Step ids (or 'all') allowed to run although they rewrite or scan a table that is not
   * small under a lock that blocks the application. Without it apply refuses to start.
   */
  allowBlocking?: string[];
  /** Rates for the duration estimates of blocking steps (config `estimates`). */
  throughput?: import('../locks/estimate.js').Throughput;
  /**
   * The session's search_path on every connection apply opens, set before anything runs
   * (schema per tenant: the tenant's schema first). The plan's unqualified names, its done
   * checks and its `to_regclass` calls then resolve in that schema. Default: the server's.
   */
  searchPath?: string[];
  /**
   * Where this target's progress is kept in the `ddlguard` schema (the `plan_id` of its
   * rows), default the plan id. With a key, the applier lock is per key: the database's lock
   * is held in share mode plus an exclusive lock of the key, so targets of different keys in
   * one database (tenant schemas) run side by side and never share a step's state.
   */
  stateKey?: string;
}

export type ApplyStatus = 'done' | 'failed' | 'interrupted' | 'busy' | 'refused' | 'blocked' | 'dry-run';

export interface ApplyResult {
  status: ApplyStatus;
  exitCode: number;
  /** Steps executed in this run. */
  ran: string[];
  /** Steps found already done (state or doneCheck). */
  alreadyDone: string[];
  /** Steps not selected (phase). */
  notSelected: string[];
  /** Steps refused because they block the application on a table that is not small. */
  blocked?: string[];
  failedStep?: string;
  error?: string;
}

/** Exit codes of `ddlguard apply`. */
export const EXIT_APPLY = { done: 0, failed: 1, refused: 2, busy: 3, interrupted: 4, blocked: 5, 'dry-run': 0 } as const;

function result(status: ApplyStatus, rest: Partial<ApplyResult> = {}): ApplyResult {
  return { status, exitCode: EXIT_APPLY[status], ran: [], alreadyDone: [], notSelected: [], ...rest };
}

export function selectSteps(plan: Plan, phase: PhaseOption | undefined, yes: boolean | undefined): { steps: PlanStep[]; skipped: PlanStep[]; refusal?: string } {
  const all = plan.steps;
  if (phase === 'all') {
    if (!yes && all.some((s) => s.phase === 'contract')) {
      return { steps: [], skipped: all, refusal: '--phase all includes contract steps (they remove what old code may still use): add --yes to confirm' };
    }
    return { steps: all, skipped: [] };
  }
  const wanted: Phase[] = phase === undefined ? ['expand', 'migrate'] : [phase];
  return { steps: all.filter((s) => wanted.includes(s.phase)), skipped: all.filter((s) => !wanted.includes(s.phase)) };
}

/**
 * The guard for one step. A guarded step's lock_timeout in the plan is the ceiling of the
 * growing schedule (as the rendered SQL script uses it), unless the operator set a maximum.
 */
function guardFor(step: PlanStep, g: GuardOptions, userMaxLockTimeoutMs?: number): { maxRetries: number | undefined; maxLockTimeoutMs: number } {
  if (step.guard.kind === 'lock-timeout') {
    return { maxRetries: g.maxRetries ?? step.guard.retries, maxLockTimeoutMs: userMaxLockTimeoutMs ?? step.guard.lockTimeoutMs ?? g.maxLockTimeoutMs };
  }
  return { maxRetries: g.maxRetries ?? undefined, maxLockTimeoutMs: g.concurrentLockTimeoutMs };
}

/** Human description of how a step will run (dry-run and logs). */
export function describeStep(step: PlanStep, g: GuardOptions, userMaxLockTimeoutMs?: number): string {
  const parts: string[] = [];
  const { maxLockTimeoutMs } = guardFor(step, g, userMaxLockTimeoutMs);
  if (step.batch) {
    parts.push(
      `each batch in its own transaction: lock_timeout ${lockTimeoutFor(0, g)} ms growing x${g.growth} to ${step.guard.kind === 'lock-timeout' ? maxLockTimeoutMs : g.maxLockTimeoutMs} ms, statement_timeout ${g.statementTimeoutMs} ms`,
    );
  } else {
    parts.push(step.transaction === 'none' ? 'outside any transaction' : 'in its own transaction');
  }
  if (step.batch) {
    // described above
  } else if (step.guard.kind === 'lock-timeout') {
    const retries = g.maxRetries ?? step.guard.retries;
    parts.push(
      `lock_timeout ${lockTimeoutFor(0, g)} ms growing x${g.growth} to ${maxLockTimeoutMs} ms, up to ${retries} retries with jittered waits, at most ${Math.round(g.maxTotalMs / 1000)} s in all`,
    );
    parts.push(`statement_timeout ${g.statementTimeoutMs} ms`);
  } else {
    parts.push(`unguarded (${step.guard.reason}): lock_timeout ${g.concurrentLockTimeoutMs} ms for the initial lock, statement_timeout 0`);
  }
  if (parseConcurrentIndex(step.sql)) parts.push('an INVALID leftover index is dropped before a retry; a valid one counts as done');
  if (step.lock) parts.push(`takes ${step.lock.mode} on ${step.lock.relation}`);
  if (step.batch) parts.push(`batched backfill of ${step.batch.table} by ${step.batch.keyColumns.join(', ')} (start ${step.batch.batchSize} rows/batch)`);
  if (step.irreversible) parts.push('IRREVERSIBLE');
  return parts.join('; ');
}

/** Applies `plan`. Never throws for database errors: they are reported (redacted) in the result and the log. */
export async function applyPlan(plan: Plan, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const log = opts.logger ?? createLogger({ format: opts.format ?? 'human' });
  const g: GuardOptions = { ...DEFAULT_GUARD, ...opts.guard };
  const bf: BackfillOptions = { ...DEFAULT_BACKFILL, ...opts.backfill };
  const sel = selectSteps(plan, opts.phase, opts.yes);
  const notSelected = sel.skipped.map((s) => s.id);
  if (sel.refusal) {
    log.emit({ event: 'apply.refused', planId: plan.id, message: sel.refusal });
    return result('refused', { error: sel.refusal, notSelected });
  }
  const irreversible = sel.steps.filter((s) => s.irreversible);

  if (opts.dryRun) {
    log.emit({ event: 'plan', planId: plan.id, planHash: planHash(plan), steps: sel.steps.length, dryRun: true, message: `dry run of plan ${plan.id} (${sel.steps.length} of ${plan.steps.length} steps); nothing is executed` });
    if (irreversible.length) log.emit({ event: 'irreversible', steps: irreversible.map((s) => s.id), message: `irreversible steps: ${irreversible.map((s) => s.id).join(', ')}` });
    for (const [i, s] of sel.steps.entries()) {
      log.emit({
        event: 'step.would-run',
        step: s.id,
        phase: s.phase,
        index: i + 1,
        sql: s.sql,
        how: describeStep(s, g, opts.guard?.maxLockTimeoutMs),
        message: `[${i + 1}/${sel.steps.length}] ${s.phase} ${s.id}: ${oneLine(s.batch ? s.batch.updateSql : s.sql, 200)}\n    ${describeStep(s, g, opts.guard?.maxLockTimeoutMs)}${
          s.blocking ? `\n    BLOCKING: ${s.blocking.work} of ${s.blocking.schema}.${s.blocking.name} under ${s.blocking.lock}; apply refuses it on a table that is not small unless --allow-blocking ${s.id}` : ''
        }`,
      });
    }
    if (notSelected.length) log.emit({ event: 'steps.not-selected', steps: notSelected, message: `not selected (phase): ${notSelected.join(', ')}` });
    return result('dry-run', { notSelected });
  }

  // Graceful stop.
  let stopRequested = false;
  const requestStop = (why: string) => {
    if (!stopRequested) log.emit({ event: 'stop.requested', reason: why, message: `${why}: stopping after the current batch/step` });
    stopRequested = true;
  };
  const onSignal = (sig: NodeJS.Signals) => requestStop(sig);
  if (opts.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const onAbort = () => requestStop('abort signal');
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) stopRequested = true;

  /** The rows of this target's progress in the ddlguard schema. */
  const key = opts.stateKey ?? plan.id;
  let url: string;
  let work: pg.Client | undefined;
  let monitor: pg.Client | undefined;
  const ran: string[] = [];
  const alreadyDone: string[] = [];
  try {
    url = resolveDbUrl(opts.db);
    work = await connect(url);
    monitor = await connect(url, { applicationName: 'ddlguard-monitor' });
    if (opts.searchPath) {
      const path = opts.searchPath.map(quoteIdentAlways).join(', ');
      for (const c of [work, monitor]) await c.query(`SELECT pg_catalog.set_config('search_path', $1, false)`, [path]);
      // Without its schema, unqualified names would fall through to the next one on the path.
      const first = opts.searchPath[0];
      if (first !== undefined && !(await work.query('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS ok', [first])).rows[0]?.ok) {
        throw new ApplyError(`schema ${quoteIdentAlways(first)} (first on the search_path) does not exist in this database`);
      }
    }
    const workPid = Number((await work.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);

    try {
      await acquireApplierLock(work, monitor, {
        wait: opts.wait,
        timeoutMs: opts.waitTimeoutMs,
        stopping: () => stopRequested,
        onWait: (h) => log.emit({ event: 'applier.waiting', holder: h, message: `waiting for another applier to finish: ${describeHolder(h)}` }),
        stateKey: opts.stateKey,
      });
    } catch (err) {
      if (err instanceof ApplierBusyError) {
        log.emit({ event: 'applier.busy', holder: err.holder, message: err.message });
        return result('busy', { error: err.message, notSelected });
      }
      throw err;
    }

    // Consent before anything runs: blocking rewrites and scans on tables that are not small.
    const recorded = (await stateExists(work)) ? await loadPlanState(work, key) : null;
    const doneBefore = new Set(recorded?.steps.filter((s) => s.status === 'done').map((s) => s.stepId) ?? []);
    const toCheck = sel.steps.filter((s) => !doneBefore.has(s.id));
    const verdict = await checkBlocking(work, plan, opts.searchPath ? await onSearchPath(work, toCheck) : toCheck, opts.allowBlocking, opts.throughput);
    if (verdict.refused.length) {
      const message = describeRefusal(verdict);
      log.emit({ event: 'apply.blocked', planId: plan.id, steps: verdict.refused.map((b) => ({ step: b.step.id, table: `${b.schema}.${b.name}`, lock: b.lock, work: b.work, size: b.size, estimate: b.estimate, missing: b.missing })), message });
      return result('blocked', { error: message, notSelected, blocked: verdict.refused.map((b) => b.step.id) });
    }
    for (const b of verdict.allowed) {
      // A guarded step is cancelled at statement_timeout: say so when the work is expected to take longer.
      const cut = b.step.guard.kind === 'lock-timeout' && b.estimate && b.estimate.ms > g.statementTimeoutMs ? `; its estimate exceeds statement_timeout ${g.statementTimeoutMs} ms, so it would be cancelled: raise --statement-timeout` : '';
      log.emit({ event: 'blocking.allowed', step: b.step.id, message: `${b.step.id}: allowed to block (--allow-blocking): ${describeBlockingStep(b)}${cut}` });
    }

    await ensureStateSchema(work);
    let state;
    try {
      state = await registerPlan(work, plan, key);
    } catch (err) {
      if (err instanceof PlanChangedError) {
        log.emit({ event: 'apply.refused', planId: plan.id, message: err.message });
        return result('refused', { error: err.message, notSelected });
      }
      throw err;
    }
    const stepState = new Map(state.steps.map((s) => [s.stepId, s]));

    if (opts.phase === 'contract') {
      const pending = plan.steps.filter((s) => s.phase !== 'contract' && stepState.get(s.id)?.status !== 'done');
      if (pending.length) {
        const msg = `contract steps run only after the expand and migrate steps are done; not done yet: ${pending.map((s) => s.id).join(', ')}`;
        log.emit({ event: 'apply.refused', planId: plan.id, message: msg });
        return result('refused', { error: msg, notSelected });
      }
    }

    log.emit({
      event: 'apply.start',
      planId: plan.id,
      planHash: state.planHash,
      db: redactUrl(url),
      ...(opts.stateKey !== undefined ? { stateKey: key } : {}),
      ...(opts.searchPath ? { searchPath: opts.searchPath } : {}),
      steps: sel.steps.map((s) => s.id),
      message: `applying plan ${plan.id} (${sel.steps.length} of ${plan.steps.length} steps) to ${redactUrl(url)}`,
    });
    if (notSelected.length) {
      const contract = sel.skipped.filter((s) => s.phase === 'contract');
      log.emit({
        event: 'steps.not-selected',
        steps: notSelected,
        message: `not run in this phase: ${notSelected.join(', ')}${contract.length ? ' (contract steps need --phase contract, or --phase all --yes)' : ''}`,
      });
    }
    const pendingIrreversible = irreversible.filter((s) => stepState.get(s.id)?.status !== 'done');
    if (pendingIrreversible.length) {
      log.emit({
        event: 'irreversible',
        steps: pendingIrreversible.map((s) => s.id),
        message: `irreversible steps (cannot be rolled back): ${pendingIrreversible.map((s) => `${s.id}: ${oneLine(s.sql, 80)}`).join('; ')}`,
      });
    }

    let lastAbortCheck = 0;
    const stopCheck = async (): Promise<boolean> => {
      if (stopRequested) return true;
      if (Date.now() - lastAbortCheck > 500) {
        lastAbortCheck = Date.now();
        if (await abortRequested(monitor!, key)) requestStop('ddlguard abort');
      }
      return stopRequested;
    };
    const ctx: GuardContext & { planId: string; backfill: BackfillOptions; stopCheck: () => Promise<boolean>; userMaxLockTimeoutMs?: number | undefined } = {
      userMaxLockTimeoutMs: opts.guard?.maxLockTimeoutMs,
      work,
      workPid,
      monitor,
      log,
      guard: g,
      url,
      stopping: () => stopRequested,
      planId: key,
      backfill: bf,
      stopCheck,
    };

    for (const [i, step] of sel.steps.entries()) {
      const st = stepState.get(step.id);
      if (st?.status === 'done') {
        alreadyDone.push(step.id);
        log.emit({ event: 'step.skip', step: step.id, reason: 'done', message: `[${i + 1}/${sel.steps.length}] ${step.id}: already done` });
        continue;
      }
      if (await stopCheck()) {
        await markPlan(work, key, 'stopped');
        log.emit({ event: 'apply.stopped', planId: plan.id, message: `stopped before ${step.id}; re-run to continue` });
        return result('interrupted', { ran, alreadyDone, notSelected });
      }
      try {
        const outcome = await runStep(ctx, plan, step, st?.lastKey ?? null, st?.rowsDone ?? 0, i, sel.steps.length);
        if (outcome === 'already-done') alreadyDone.push(step.id);
        else if (outcome === 'stopped') {
          await markPlan(work, key, 'stopped');
          log.emit({ event: 'apply.stopped', planId: plan.id, message: `stopped during ${step.id} after a committed batch; re-run to continue` });
          return result('interrupted', { ran, alreadyDone, notSelected });
        } else ran.push(step.id);
      } catch (err) {
        const e = err instanceof StopRequested ? err : redactError(err, url);
        if (err instanceof StopRequested) {
          await markStep(work, key, step, 'pending').catch(() => {});
          await markPlan(work, key, 'stopped').catch(() => {});
          log.emit({ event: 'apply.stopped', planId: plan.id, message: `stopped while ${step.id} waited for its lock; re-run to continue` });
          return result('interrupted', { ran, alreadyDone, notSelected });
        }
        await markStep(work, key, step, 'failed', e.message).catch(() => {});
        await markPlan(work, key, 'failed').catch(() => {});
        log.emit({
          event: 'step.failed',
          step: step.id,
          sqlstate: e.code,
          error: e.message,
          detail: e.detail,
          gaveUp: err instanceof GiveUpError,
          message: `${step.id} FAILED${e.code ? ` (${e.code})` : ''}: ${e.message}${e.detail ? ` - ${e.detail}` : ''}`,
        });
        return result('failed', { ran, alreadyDone, notSelected, failedStep: step.id, error: e.message });
      }
    }
    const finalState = await loadPlanState(work, key);
    const allDone = finalState?.steps.every((s) => s.status === 'done') ?? false;
    await markPlan(work, key, allDone ? 'done' : 'partial');
    log.emit({ event: 'apply.done', planId: plan.id, ran, alreadyDone, message: `plan ${plan.id}: ${ran.length} step(s) run, ${alreadyDone.length} already done${allDone ? '; plan complete' : ''}` });
    return result('done', { ran, alreadyDone, notSelected });
  } catch (err) {
    const e = redactError(err, opts.db);
    log.emit({ event: 'apply.error', error: e.message, sqlstate: e.code, message: `error: ${e.message}` });
    return result('failed', { ran, alreadyDone, notSelected, error: e.message });
  } finally {
    if (opts.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    opts.signal?.removeEventListener('abort', onAbort);
    if (work) await releaseApplierLock(work, opts.stateKey);
    await closeQuietly(work);
    await closeQuietly(monitor);
  }
}

/**
 * With a search_path (a tenant schema), the tables the blocking check sizes are the ones the
 * step's unqualified SQL reaches: the plan names them in the schema its planner resolved them
 * in (e.g. public). A table named in a schema the step's SQL does not write out is looked up by
 * name on the session's search_path (the first schema on it when it does not exist yet).
 */
async function onSearchPath(client: pg.Client, steps: PlanStep[]): Promise<PlanStep[]> {
  const out: PlanStep[] = [];
  for (const s of steps) {
    const t = s.blocking ?? s.table;
    if (!t || !t.schema || mentionsQualified(s.sql, t.schema, t.name)) {
      out.push(s);
      continue;
    }
    const r = await client.query(
      `SELECT coalesce((SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.oid = pg_catalog.to_regclass(pg_catalog.quote_ident($1))), pg_catalog.current_schema()) AS schema`,
      [t.name],
    );
    const schema = String(r.rows[0]?.schema ?? t.schema);
    out.push({
      ...s,
      ...(s.blocking ? { blocking: { ...s.blocking, schema } } : {}),
      ...(s.table ? { table: { ...s.table, schema } } : {}),
    });
  }
  return out;
}

/** Whether `sql` writes out `schema.name` (quoted or not). */
function mentionsQualified(sql: string, schema: string, name: string): boolean {
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const id = (x: string) => `(?:"${esc(x.replace(/"/g, '""'))}"|${esc(x)})`;
  return new RegExp(`(?<![\\w$])${id(schema)}\\s*\\.\\s*${id(name)}(?![\\w$])`, 'i').test(sql);
}

async function isDone(client: pg.Client, step: PlanStep): Promise<boolean> {
  const idx = parseConcurrentIndex(step.sql);
  if (idx) {
    const info = await findIndex(client, idx);
    if (info?.valid) return true;
    if (info && !info.valid) return false;
  }
  if (!step.doneCheck) return false;
  const r = await client.query({ text: step.doneCheck, rowMode: 'array' });
  const v = (r.rows[0] as unknown[] | undefined)?.[0];
  return v === true || v === 't';
}

async function runStep(
  ctx: GuardContext & { planId: string; backfill: BackfillOptions; stopCheck: () => Promise<boolean>; userMaxLockTimeoutMs?: number | undefined },
  plan: Plan,
  step: PlanStep,
  lastKey: string | null,
  rowsDone: number,
  index: number,
  total: number,
): Promise<'ran' | 'already-done' | 'stopped'> {
  const { work, log, guard: g } = ctx;
  const tag = `[${index + 1}/${total}] ${step.phase} ${step.id}`;
  const { maxRetries, maxLockTimeoutMs } = guardFor(step, g, ctx.userMaxLockTimeoutMs);

  // Backfill: resumable from the committed cursor.
  if (step.batch) {
    if (lastKey === null && (await isDone(work, step))) {
      await markFoundDone(work, ctx.planId, step);
      log.emit({ event: 'step.skip', step: step.id, reason: 'doneCheck', message: `${tag}: already done (done check)` });
      return 'already-done';
    }
    await markStep(work, ctx.planId, step, 'running');
    log.emit({ event: 'step.start', step: step.id, phase: step.phase, message: `${tag}: ${describeStep(step, g, ctx.userMaxLockTimeoutMs)}` });
    const t0 = Date.now();
    const r = await runBackfill({ ...ctx, guard: { ...g, maxLockTimeoutMs } }, step as PlanStep & { batch: StepBatch }, { lastKey, rowsDone }, maxRetries);
    if (r.status === 'stopped') return 'stopped';
    await markStep(work, ctx.planId, step, 'done');
    log.emit({ event: 'step.done', step: step.id, ms: Date.now() - t0, rowsScanned: r.rowsScanned, rowsUpdated: r.rowsUpdated, batches: r.batches, message: `${tag}: done in ${Date.now() - t0} ms (${r.rowsUpdated} rows updated in ${r.batches} batches)` });
    return 'ran';
  }

  if (await isDone(work, step)) {
    await markFoundDone(work, ctx.planId, step);
    log.emit({ event: 'step.skip', step: step.id, reason: 'doneCheck', message: `${tag}: already done (done check)` });
    return 'already-done';
  }

  log.emit({ event: 'step.start', step: step.id, phase: step.phase, sql: step.sql, message: `${tag}: ${oneLine(step.sql, 160)}\n    ${describeStep(step, g, ctx.userMaxLockTimeoutMs)}` });
  const t0 = Date.now();
  const idx = parseConcurrentIndex(step.sql);
  const cleanup = async () => {
    if (step.cleanup) {
      const r = await work.query({ text: step.cleanup.when, rowMode: 'array' });
      const v = (r.rows[0] as unknown[] | undefined)?.[0];
      if (v === true || v === 't') {
        if (step.cleanup.transaction === 'none') await runOutsideTransaction(work, step.cleanup.sql, { lockTimeoutMs: g.concurrentLockTimeoutMs, statementTimeoutMs: 0 });
        else await runInTransaction(work, { lockTimeoutMs: g.concurrentLockTimeoutMs, statementTimeoutMs: 0 }, (c) => c.query(step.cleanup!.sql));
        log.emit({ event: 'cleanup.ran', step: step.id, sql: step.cleanup.sql, message: `${step.id}: cleanup before (re)running: ${oneLine(step.cleanup.sql)}` });
      }
    }
    if (!idx) return;
    const dropped = await dropIfInvalid(work, idx);
    if (dropped) log.emit({ event: 'index.invalid-dropped', step: step.id, index: dropped, message: `${step.id}: dropped INVALID index ${dropped} left by a failed build` });
  };
  const guardCtx = { ...ctx, guard: { ...g, maxLockTimeoutMs } };
  let attempts: number;
  if (step.transaction === 'none') {
    await cleanup();
    await markStep(work, ctx.planId, step, 'running');
    try {
      ({ attempts } = await withLockRetries(
        guardCtx,
        step.id,
        { maxRetries, beforeRetry: cleanup, ...(step.guard.kind === 'none' ? { fixedLockTimeoutMs: g.concurrentLockTimeoutMs } : {}) },
        (lt) =>
          runOutsideTransaction(work, step.sql, {
            lockTimeoutMs: lt,
            statementTimeoutMs: step.guard.kind === 'none' ? 0 : g.statementTimeoutMs,
          }),
      ));
    } catch (err) {
      // Never leave a half-built index behind.
      await cleanup().catch(() => {});
      throw err;
    }
    await markStep(work, ctx.planId, step, 'done');
  } else {
    ({ attempts } = await withLockRetries(
      guardCtx,
      step.id,
      { maxRetries, ...(step.guard.kind === 'none' ? { fixedLockTimeoutMs: g.concurrentLockTimeoutMs } : {}) },
      (lt) =>
        runInTransaction(work, { lockTimeoutMs: lt, statementTimeoutMs: step.guard.kind === 'none' ? 0 : g.statementTimeoutMs }, async (c) => {
          await c.query(step.sql);
          await markStep(c, ctx.planId, step, 'done');
        }),
    ));
  }
  log.emit({ event: 'step.done', step: step.id, ms: Date.now() - t0, attempts, message: `${tag}: done in ${Date.now() - t0} ms${attempts > 1 ? ` after ${attempts} attempts` : ''}` });
  return 'ran';
}

/** Reads and minimally validates a plan object (e.g. parsed plan.json). */
export function validatePlan(value: unknown): Plan {
  const p = value as Partial<Plan> | null;
  if (!p || typeof p !== 'object') throw new ApplyError('plan: not an object');
  if (p.version !== 1) throw new ApplyError(`plan: unsupported version ${String(p.version)} (expected 1)`);
  if (typeof p.id !== 'string' || !p.id) throw new ApplyError('plan: missing id');
  if (!Array.isArray(p.steps)) throw new ApplyError('plan: missing steps');
  const seen = new Set<string>();
  for (const [i, s] of p.steps.entries()) {
    if (!s || typeof s.id !== 'string' || typeof s.sql !== 'string') throw new ApplyError(`plan: step ${i + 1} needs an id and sql`);
    if (seen.has(s.id)) throw new ApplyError(`plan: duplicate step id ${s.id}`);
    seen.add(s.id);
    if (!['expand', 'migrate', 'contract'].includes(s.phase)) throw new ApplyError(`plan: step ${s.id} has unknown phase ${String(s.phase)}`);
    if (s.transaction !== 'own' && s.transaction !== 'none') throw new ApplyError(`plan: step ${s.id} has unknown transaction mode ${String(s.transaction)}`);
    s.guard ??= { kind: 'lock-timeout', lockTimeoutMs: 5000, retries: 30 };
    s.doneCheck ??= null;
    s.rollback ??= null;
    s.irreversible ??= false;
    s.lock ??= null;
  }
  return p as Plan;
}
