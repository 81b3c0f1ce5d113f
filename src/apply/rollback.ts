/**
 * rollbackPlan: undoes the steps of a plan that ran on one database, newest first, each
 * under the same lock guard as apply, recording progress in the same `ddlguard` state so an
 * interrupted rollback resumes, and holding the same applier lock.
 *
 * Which steps ran comes from the state (`ddlguard.apply_step`), how each is undone from the
 * plan (src/plan/rewrites/undo.ts): its rollback SQL, nothing, or not at all. Before it changes
 * anything, rollback refuses when a step that cannot be undone has run (naming it, what is
 * lost and what to do instead), and asks for confirmation (`yes`) when a rollback drops data
 * written since its step ran (a column or table the plan added).
 *
 * Per step, by its recorded status:
 * - `done`: undone; unless its done check held before ddlguard ever started it (found done):
 *   ddlguard changed nothing there, so it is left as it is.
 * - `running` / `failed`: a step in its own transaction did nothing (the transaction rolled
 *   back, and apply records `done` in it). A backfill with committed batches, or a step
 *   outside a transaction (CONCURRENTLY), may be part done: its rollback runs (every
 *   rollback is idempotent: `DROP ... IF EXISTS`, which also drops an INVALID index), and a
 *   part done step that cannot be undone refuses like a finished one.
 * - `rolling-back`: a rollback that is not one transaction was interrupted: it runs again.
 * - `pending` / `rolled-back`: nothing to do.
 *
 * A rollback of one transaction records `rolled-back` in that transaction. One that runs
 * outside a transaction (`DROP INDEX CONCURRENTLY`) or in several parts (a VALIDATE runs on
 * its own, as apply runs it) is marked `rolling-back` first and `rolled-back` after its last
 * part. A rolled-back step is pending for apply again (a backfill starts over). The plan
 * reads `rolling-back` while it runs, then `rolled-back` (or `rollback-stopped` /
 * `rollback-failed`).
 *
 * `to` keeps that step and the ones before it. Afterwards a kept step whose done check no
 * longer holds (a later rollback took its work away: dropping a constraint made USING INDEX
 * drops the index) is marked rolled back too, so state and catalog agree.
 *
 * rollbackPlan connects, takes the applier lock and calls rollbackTarget, which works on one
 * target's connections and state: a fleet rollout calls either per target. With `searchPath`
 * and `stateKey` (a tenant schema of a fleet) it sets the session's search_path and takes the
 * per-key applier lock exactly as apply does, and reads the state kept under that key.
 */
import type pg from 'pg';
import { ApplyError, closeQuietly, connect, redactError, redactUrl, resolveDbUrl } from '../db/connection.js';
import { classifyStatement } from '../locks/classify.js';
import { SchemaModel } from '../schema/model.js';
import { loadParser } from '../sql/parser.js';
import { parseSqlFile } from '../sql/parse.js';
import { quoteIdentAlways } from '../sql/quote.js';
import { keepsDataOnRollback, lostByFact, stepUndo, type UndoableStep } from '../plan/rewrites/undo.js';
import {
  DEFAULT_GUARD,
  StopRequested,
  GiveUpError,
  lockTimeoutFor,
  oneLine,
  runInTransaction,
  runOutsideTransaction,
  withLockRetries,
  type GuardContext,
  type GuardOptions,
} from './guard.js';
import { ApplierBusyError, acquireApplierLock, describeHolder, releaseApplierLock } from './lock.js';
import { createLogger, type ApplyLogger, type LogFormat } from './log.js';
import {
  abortRequested,
  ensureStateSchema,
  loadPlanState,
  loadRecordedPlan,
  markPlan,
  markRollbackFailed,
  markRolledBack,
  markRollingBack,
  planHash,
  startRollback,
  stateExists,
  type PlanState,
  type StepState,
} from './state.js';
import type { Plan, PlanStep } from './types.js';

export interface RollbackOptions {
  /** Connection URL; default DATABASE_URL. A dry run without one shows every step's rollback, as if all had run. */
  db?: string;
  dryRun?: boolean;
  /** Keep this step and the ones before it: undo only the steps after it. */
  to?: string;
  /** Confirm rollbacks that drop data written since their step ran. */
  yes?: boolean;
  /** Wait for another applier instead of exiting. */
  wait?: boolean;
  waitTimeoutMs?: number;
  format?: LogFormat;
  logger?: ApplyLogger;
  guard?: Partial<GuardOptions>;
  /**
   * When `plan` is not the plan recorded as applied (its hash differs), roll back with the
   * recorded one instead of refusing (migration files re-planned from a database the plan
   * already changed).
   */
  useRecordedPlan?: boolean;
  /** Graceful stop (after the current step). */
  signal?: AbortSignal;
  /** Install SIGINT/SIGTERM handlers that request a graceful stop (CLI). */
  handleSignals?: boolean;
  /**
   * The session's search_path on both connections, set before anything runs (a tenant schema:
   * its schema first, as `ApplyOptions.searchPath`); the rollback SQL and done checks are
   * unqualified. The first schema must exist.
   */
  searchPath?: string[];
  /** The key the target's progress is kept under (`ApplyOptions.stateKey`, default the plan id); the applier lock is then per key, as apply's. */
  stateKey?: string;
}

export type RollbackStatus = 'rolled-back' | 'nothing' | 'dry-run' | 'failed' | 'refused' | 'busy' | 'interrupted' | 'irreversible';

/** Exit codes of `ddlguard rollback`. */
export const EXIT_ROLLBACK: Record<RollbackStatus, number> = {
  'rolled-back': 0,
  nothing: 0,
  'dry-run': 0,
  failed: 1,
  refused: 2,
  busy: 3,
  interrupted: 4,
  irreversible: 6,
};

export interface RollbackResult {
  status: RollbackStatus;
  exitCode: number;
  /** Steps undone in this run (their rollback ran, or they needed none). */
  rolledBack: string[];
  /** Kept steps (`to` and before) that a later step's rollback undid as well (their done check no longer holds). */
  alsoRolledBack?: string[];
  /** Steps left as they are, with why. */
  skipped: Array<{ step: string; reason: string }>;
  /** The steps that cannot be undone and have run (status `irreversible`). */
  irreversible?: Array<{ step: string; why: string }>;
  failedStep?: string;
  error?: string;
  /** Dry run: the steps the rollback would undo (run their rollback or record that none is needed), newest first. */
  wouldRollBack?: string[];
  /** Dry run: the rollbacks that drop data written since their step ran (they need `yes`). */
  dataLoss?: Array<{ step: string; drops: string[] }>;
}

function result(status: RollbackStatus, rest: Partial<RollbackResult> = {}): RollbackResult {
  return { status, exitCode: EXIT_ROLLBACK[status], rolledBack: [], skipped: [], ...rest };
}

// ---- what to do --------------------------------------------------------------

/** One transaction, one statement outside any transaction (CONCURRENTLY), or one VALIDATE in its own transaction. */
export interface RollbackPart {
  sql: string;
  mode: 'transaction' | 'outside' | 'validate';
}

export type RollbackAction =
  | { kind: 'run'; step: PlanStep; parts: RollbackPart[]; partial: boolean; resumed: boolean; dataLoss: string[] }
  | { kind: 'nothing'; step: PlanStep; why: string }
  | { kind: 'skip'; step: PlanStep; why: string }
  | { kind: 'refuse'; step: PlanStep; why: string; partial: boolean };

export interface RollbackDecision {
  /** Newest first: the order they run in. */
  actions: RollbackAction[];
  refused: Array<Extract<RollbackAction, { kind: 'refuse' }>>;
  /** Rollbacks that drop data written since their step ran. */
  dataLoss: Array<Extract<RollbackAction, { kind: 'run' }>>;
}

const DATA_LOSS: Record<string, string> = {
  'drop-column': 'drops column',
  'drop-table': 'drops table',
  'drop-table-with-foreign-keys': 'drops table',
  truncate: 'truncates',
  delete: 'deletes rows of',
  update: 'updates rows of',
};

/**
 * Splits a rollback into the parts it runs as: statements that cannot run in a transaction
 * block each on their own, VALIDATE each in its own transaction (it scans, so it must not
 * hold the lock of the statements before it), the rest together in one transaction. Also
 * reports what of it drops data. Needs `loadParser()` first.
 */
export function splitRollback(sql: string, pgVersion: number): { parts: RollbackPart[]; drops: string[] } {
  const parsed = parseSqlFile('rollback.sql', sql);
  if (parsed.error) throw new ApplyError(`the rollback does not parse: ${parsed.error.message}: ${oneLine(sql)}`);
  const parts: RollbackPart[] = [];
  const drops: string[] = [];
  let tx: string[] = [];
  const flush = () => {
    if (tx.length) parts.push({ sql: tx.join(';\n'), mode: 'transaction' });
    tx = [];
  };
  for (const s of parsed.statements) {
    const e = classifyStatement(s, { model: new SchemaModel(), pgVersion, fileIndex: 0 });
    for (const eff of e.effects) {
      const what = DATA_LOSS[eff.fact.id];
      if (what) drops.push(`${what} ${eff.column ? `${eff.table?.display ?? '?'}.${eff.column}` : (eff.table?.display ?? '?')}`);
    }
    if (s.inDoBlock !== null) continue;
    const validate = e.effects.length > 0 && e.effects.every((x) => x.fact.id === 'validate-constraint' || x.fact.id === 'validate-foreign-key');
    if (!e.transactional) {
      flush();
      parts.push({ sql: s.text, mode: 'outside' });
    } else if (validate) {
      flush();
      parts.push({ sql: s.text, mode: 'validate' });
    } else tx.push(s.text);
  }
  flush();
  if (parts.length === 0) throw new ApplyError(`the rollback has no statement: ${oneLine(sql)}`);
  return { parts, drops };
}

/** What is lost once `sql` ran, by the lock facts of its statements (a hand-written plan step names no fact). */
function lostBySql(sql: string, pgVersion: number): string | null {
  const parsed = parseSqlFile('step.sql', sql);
  for (const s of parsed.statements) {
    for (const e of classifyStatement(s, { model: new SchemaModel(), pgVersion, fileIndex: 0 }).effects) {
      const why = lostByFact(e.fact.id);
      if (why) return why;
    }
  }
  return null;
}

/** Steps after `to` (all steps without it), newest first. Throws for an unknown step id. */
function stepsToUndo(plan: Plan, to: string | undefined): PlanStep[] {
  let from = 0;
  if (to !== undefined) {
    const i = plan.steps.findIndex((s) => s.id === to);
    if (i < 0) throw new ApplyError(`--to: plan ${plan.id} has no step ${to} (its steps: ${plan.steps.map((s) => s.id).join(', ')})`);
    from = i + 1;
  }
  return plan.steps.slice(from).reverse();
}

/**
 * What rolling back does to each step, from the plan and the recorded state (null: as if
 * every step had run, for a dry run without a database). Pure; needs `loadParser()` first.
 */
export function decideRollback(plan: Plan, state: PlanState | null, to?: string): RollbackDecision {
  const byId = new Map<string, StepState>(state?.steps.map((s) => [s.stepId, s]) ?? []);
  const actions: RollbackAction[] = [];
  for (const step of stepsToUndo(plan, to)) {
    const st: Pick<StepState, 'status' | 'foundDone' | 'lastKey' | 'rowsDone'> | undefined = state ? byId.get(step.id) : { status: 'done', foundDone: false, lastKey: null, rowsDone: 0 };
    const skip = (why: string) => actions.push({ kind: 'skip', step, why });
    if (!st || st.status === 'pending') {
      skip('not run');
      continue;
    }
    if (st.status === 'rolled-back') {
      skip('already rolled back');
      continue;
    }
    if (st.status === 'done' && st.foundDone) {
      skip('was already done when apply reached it (its done check held before ddlguard started it), so ddlguard changed nothing there: left as it is');
      continue;
    }
    let partial = false;
    if (st.status === 'running' || st.status === 'failed') {
      if (step.transaction === 'own' && !step.batch) {
        skip(`${st.status === 'failed' ? 'failed' : 'was interrupted'} in its own transaction, which rolled back: nothing to undo`);
        continue;
      }
      if (step.batch && st.lastKey === null && st.rowsDone === 0) {
        skip(`${st.status === 'failed' ? 'failed' : 'was interrupted'} before its first batch committed: nothing to undo`);
        continue;
      }
      partial = true;
    }
    const undo = stepUndo(step as PlanStep & UndoableStep);
    if (undo.kind === 'impossible') {
      actions.push({ kind: 'refuse', step, why: step.fact ? undo.why : (lostBySql(step.sql, plan.pgVersion) ?? undo.why), partial });
    } else if (undo.kind === 'none') {
      actions.push({ kind: 'nothing', step, why: partial ? `ran part way (${st.status}); it has no rollback of its own` : 'nothing to undo' });
    } else {
      const { parts, drops } = splitRollback(step.rollback!, plan.pgVersion);
      const keeps = keepsDataOnRollback(step as PlanStep & { rewrite?: string });
      actions.push({ kind: 'run', step, parts, partial, resumed: st.status === 'rolling-back', dataLoss: keeps ? [] : drops });
    }
  }
  return {
    actions,
    refused: actions.filter((a): a is Extract<RollbackAction, { kind: 'refuse' }> => a.kind === 'refuse'),
    dataLoss: actions.filter((a): a is Extract<RollbackAction, { kind: 'run' }> => a.kind === 'run' && a.dataLoss.length > 0),
  };
}

/** Why rollback refuses, what is lost, and what the user can do instead. */
export function describeIrreversible(plan: Plan, refused: RollbackDecision['refused']): string {
  const latest = refused[0]!;
  const lines = refused.map((r) => `${r.step.id} has ${r.partial ? 'run part way' : 'run'} and cannot be undone: ${r.why}`);
  return (
    `rollback of plan ${plan.id} refused, nothing was changed: ${lines.join('; ')}. ` +
    `Instead: \`ddlguard rollback ... --to ${latest.step.id}\` undoes only the steps after ${latest.step.id} and keeps it and the steps before it; ` +
    `going back further needs what ${refused.length > 1 ? 'those steps' : 'it'} removed back (from a backup, or by a new forward migration): ddlguard cannot bring it back`
  );
}

function describeDataLoss(dataLoss: RollbackDecision['dataLoss']): string {
  return dataLoss.map((a) => `${a.step.id}: its rollback ${a.dataLoss.join(', ')} and whatever was written there since`).join('; ');
}

// ---- how it runs -------------------------------------------------------------

function partGuard(step: PlanStep, part: RollbackPart, g: GuardOptions, userMaxLockTimeoutMs?: number): { maxRetries: number | undefined; maxLockTimeoutMs: number; fixed: boolean } {
  if (part.mode !== 'transaction') return { maxRetries: g.maxRetries ?? undefined, maxLockTimeoutMs: g.concurrentLockTimeoutMs, fixed: true };
  const own = step.guard.kind === 'lock-timeout' ? step.guard : null;
  return { maxRetries: g.maxRetries ?? own?.retries, maxLockTimeoutMs: userMaxLockTimeoutMs ?? own?.lockTimeoutMs ?? g.maxLockTimeoutMs, fixed: false };
}

/** Human description of how a rollback part runs (dry run and logs). */
export function describePart(step: PlanStep, part: RollbackPart, g: GuardOptions, userMaxLockTimeoutMs?: number): string {
  const { maxRetries, maxLockTimeoutMs } = partGuard(step, part, g, userMaxLockTimeoutMs);
  const retries = maxRetries ?? 30;
  if (part.mode === 'outside') return `outside any transaction: lock_timeout ${g.concurrentLockTimeoutMs} ms for the initial lock, statement_timeout 0, up to ${retries} retries`;
  if (part.mode === 'validate') return `in its own transaction (VALIDATE: reads and writes continue): lock_timeout ${g.concurrentLockTimeoutMs} ms for the initial lock, statement_timeout 0, up to ${retries} retries`;
  return `in its own transaction: lock_timeout ${lockTimeoutFor(0, g)} ms growing x${g.growth} to ${maxLockTimeoutMs} ms, up to ${retries} retries with jittered waits, at most ${Math.round(g.maxTotalMs / 1000)} s in all; statement_timeout ${g.statementTimeoutMs} ms`;
}

function describeRun(a: Extract<RollbackAction, { kind: 'run' }>, g: GuardOptions, userMax?: number): string {
  const parts = a.parts.map((p, i) => `${a.parts.length > 1 ? `part ${i + 1}: ` : ''}${describePart(a.step, p, g, userMax)}`);
  if (a.partial) parts.push('the step ran part way: its rollback is idempotent and removes what there is');
  if (a.resumed) parts.push('an earlier rollback of it was interrupted: it runs again (it is idempotent)');
  if (a.dataLoss.length) parts.push(`DROPS DATA: ${a.dataLoss.join(', ')}`);
  return parts.join('; ');
}

/** The default logger: apply's events and human log, each line saying it is the rollback. */
export function rollbackLogger(format: LogFormat = 'human', write: (line: string) => void = (l) => process.stdout.write(l)): ApplyLogger {
  return createLogger({ format, tty: false, write: (l) => write(format === 'human' ? l.replace(/^ddlguard apply: /, 'ddlguard rollback: ') : l) });
}

/** One target's connections, the first holding the applier lock (see rollbackPlan). */
export interface RollbackTarget {
  work: pg.Client;
  workPid: number;
  monitor: pg.Client;
  /** For the log (redacted) and error redaction. */
  url: string;
  /** The id the target's state is recorded under (default: the plan's id), for rollouts that key state per target. */
  stateId?: string;
}

/** Rolls back `plan` on one database. Never throws for database errors: they are reported (redacted) in the result and the log. */
export async function rollbackPlan(plan: Plan, opts: RollbackOptions = {}): Promise<RollbackResult> {
  const log = opts.logger ?? rollbackLogger(opts.format ?? 'human');
  await loadParser();
  if (opts.to !== undefined && !plan.steps.some((s) => s.id === opts.to)) {
    const message = `--to: plan ${plan.id} has no step ${opts.to}`;
    log.emit({ event: 'rollback.refused', planId: plan.id, reason: 'usage', message });
    return result('refused', { error: message });
  }
  if (opts.dryRun) return dryRun(plan, opts, log);

  let stopRequested = false;
  const requestStop = (why: string) => {
    if (!stopRequested) log.emit({ event: 'stop.requested', reason: why, message: `${why}: stopping after the current step` });
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

  let work: pg.Client | undefined;
  let monitor: pg.Client | undefined;
  try {
    const url = resolveDbUrl(opts.db);
    work = await connect(url);
    monitor = await connect(url, { applicationName: 'ddlguard-monitor' });
    if (opts.searchPath) await setSearchPath([work, monitor], opts.searchPath);
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
        return result('busy', { error: err.message });
      }
      throw err;
    }
    return await rollbackTarget({ work, workPid, monitor, url, ...(opts.stateKey !== undefined ? { stateId: opts.stateKey } : {}) }, plan, opts, log, {
      stopping: () => stopRequested,
      requestStop,
    });
  } catch (err) {
    const e = redactError(err, opts.db);
    log.emit({ event: 'rollback.error', error: e.message, sqlstate: e.code, message: `error: ${e.message}` });
    return result('failed', { error: e.message });
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

/** Sets the search_path on each session (as apply does); without its first schema, unqualified names would fall through to the next one. */
async function setSearchPath(clients: readonly pg.Client[], searchPath: readonly string[]): Promise<void> {
  const path = searchPath.map(quoteIdentAlways).join(', ');
  for (const c of clients) await c.query(`SELECT pg_catalog.set_config('search_path', $1, false)`, [path]);
  const first = searchPath[0];
  if (first !== undefined && !(await clients[0]!.query('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS ok', [first])).rows[0]?.ok) {
    throw new ApplyError(`schema ${quoteIdentAlways(first)} (first on the search_path) does not exist in this database`);
  }
}

/**
 * The rollback on one target whose applier lock `t.work` holds: reads its state, refuses or
 * undoes. A fleet rollout calls it per target. Database errors propagate.
 */
export async function rollbackTarget(
  t: RollbackTarget,
  given: Plan,
  opts: RollbackOptions,
  log: ApplyLogger,
  stop: { stopping: () => boolean; requestStop: (why: string) => void } = { stopping: () => false, requestStop: () => {} },
): Promise<RollbackResult> {
  const { work, monitor } = t;
  const g: GuardOptions = { ...DEFAULT_GUARD, ...opts.guard };
  const db = redactUrl(t.url);
  const key = t.stateId ?? given.id;
  const state = (await stateExists(work)) ? await loadPlanState(work, key) : null;
  if (!state) {
    log.emit({ event: 'rollback.nothing', planId: given.id, db, message: `plan ${given.id} has no recorded progress on ${db}: nothing to roll back` });
    return result('nothing');
  }
  const plan = await planAsApplied(work, key, given, state, opts, log);
  if (!plan) {
    const message = `plan "${given.id}" is not the plan that was applied (recorded hash ${state.planHash}, this plan ${planHash(given)}): roll back with the plan.json that was applied`;
    log.emit({ event: 'rollback.refused', planId: given.id, reason: 'plan-changed', message });
    return result('refused', { error: message });
  }
  const decision = decideRollback(plan, state, opts.to);
  const skipped = decision.actions.filter((a) => a.kind === 'skip').map((a) => ({ step: a.step.id, reason: (a as { why: string }).why }));
  if (decision.refused.length) {
    const message = describeIrreversible(plan, decision.refused);
    const irreversible = decision.refused.map((r) => ({ step: r.step.id, why: r.why }));
    log.emit({ event: 'rollback.refused', planId: plan.id, reason: 'irreversible', steps: irreversible, message });
    return result('irreversible', { error: message, irreversible, skipped });
  }
  if (decision.dataLoss.length && !opts.yes) {
    const message = `rolling back drops data written since these steps ran: ${describeDataLoss(decision.dataLoss)}. Add --yes to confirm; nothing was changed`;
    log.emit({ event: 'rollback.refused', planId: plan.id, reason: 'needs-confirmation', steps: decision.dataLoss.map((a) => a.step.id), message });
    return result('refused', { error: message, skipped });
  }
  const todo = decision.actions.filter((a) => a.kind !== 'skip');
  if (todo.length === 0) {
    if (ROLLBACK_UNDER_WAY.has(state.status)) {
      // An interrupted rollback that had undone every step: finish its bookkeeping.
      const alsoRolledBack = opts.to ? await recheckKept(work, key, plan, state, opts.to, log) : [];
      await markPlan(work, key, 'rolled-back');
      log.emit({ event: 'rollback.done', planId: plan.id, rolledBack: [], alsoRolledBack, message: `plan ${plan.id}: the interrupted rollback had undone every step; marked rolled back` });
      return result('rolled-back', { alsoRolledBack, skipped });
    }
    log.emit({ event: 'rollback.nothing', planId: plan.id, db, message: `plan ${plan.id} on ${db}: nothing to roll back${opts.to ? ` after ${opts.to}` : ''}` });
    return result('nothing', { skipped });
  }
  if (!state.steps.some((s) => s.undo !== null)) {
    log.emit({ event: 'rollback.old-state', planId: plan.id, message: `the state of plan ${plan.id} was recorded by an older ddlguard, which did not note steps found already done: they are undone too` });
  }

  await ensureStateSchema(work);
  await startRollback(work, key);
  log.emit({
    event: 'rollback.start',
    planId: plan.id,
    planHash: state.planHash,
    db,
    steps: todo.map((a) => a.step.id),
    ...(opts.to ? { to: opts.to } : {}),
    message: `rolling back plan ${plan.id} on ${db}: ${todo.length} step(s)${opts.to ? `, keeping ${opts.to} and the steps before it` : ''}`,
  });
  if (decision.dataLoss.length) {
    log.emit({ event: 'rollback.data-loss', steps: decision.dataLoss.map((a) => a.step.id), message: `confirmed with --yes: ${describeDataLoss(decision.dataLoss)}` });
  }

  let lastAbortCheck = 0;
  const stopCheck = async (): Promise<boolean> => {
    if (stop.stopping()) return true;
    if (Date.now() - lastAbortCheck > 500) {
      lastAbortCheck = Date.now();
      if (await abortRequested(monitor, key)) stop.requestStop('ddlguard abort');
    }
    return stop.stopping();
  };
  const ctx: GuardContext = { work, workPid: t.workPid, monitor, log, guard: g, url: t.url, stopping: stop.stopping };
  const rolledBack: string[] = [];
  for (const [i, a] of decision.actions.entries()) {
    const tag = `[${i + 1}/${decision.actions.length}] rollback ${a.step.id}`;
    if (a.kind === 'skip') {
      log.emit({ event: 'step.skip', action: 'rollback', step: a.step.id, reason: a.why, message: `${tag}: ${a.why}` });
      continue;
    }
    if (await stopCheck()) {
      await markPlan(work, key, 'rollback-stopped');
      log.emit({ event: 'rollback.stopped', planId: plan.id, message: `stopped before rolling back ${a.step.id}; re-run to continue` });
      return result('interrupted', { rolledBack, skipped });
    }
    if (a.kind === 'nothing') {
      await markRolledBack(work, key, a.step.id);
      rolledBack.push(a.step.id);
      log.emit({ event: 'step.done', action: 'rollback', step: a.step.id, ran: false, message: `${tag}: ${a.why}` });
      continue;
    }
    if (a.kind === 'refuse') continue; // refused above
    const t0 = Date.now();
    log.emit({ event: 'step.start', action: 'rollback', step: a.step.id, sql: a.step.rollback, message: `${tag}: ${oneLine(a.step.rollback, 160)}\n    ${describeRun(a, g, opts.guard?.maxLockTimeoutMs)}` });
    try {
      const attempts = await runRollback(ctx, key, a, opts.guard?.maxLockTimeoutMs);
      rolledBack.push(a.step.id);
      log.emit({ event: 'step.done', action: 'rollback', step: a.step.id, ran: true, ms: Date.now() - t0, attempts, message: `${tag}: rolled back in ${Date.now() - t0} ms${attempts > 1 ? ` after ${attempts} attempts` : ''}` });
    } catch (err) {
      if (err instanceof StopRequested) {
        await markPlan(work, key, 'rollback-stopped').catch(() => {});
        log.emit({ event: 'rollback.stopped', planId: plan.id, message: `stopped while rolling back ${a.step.id} waited for its lock; re-run to continue` });
        return result('interrupted', { rolledBack, skipped });
      }
      const e = redactError(err, t.url);
      await markRollbackFailed(work, key, a.step.id, e.message).catch(() => {});
      await markPlan(work, key, 'rollback-failed').catch(() => {});
      log.emit({
        event: 'step.failed',
        action: 'rollback',
        step: a.step.id,
        sqlstate: e.code,
        error: e.message,
        detail: e.detail,
        gaveUp: err instanceof GiveUpError,
        message: `rollback of ${a.step.id} FAILED${e.code ? ` (${e.code})` : ''}: ${e.message}${e.detail ? ` - ${e.detail}` : ''}; the steps before it are not rolled back`,
      });
      return result('failed', { rolledBack, skipped, failedStep: a.step.id, error: e.message });
    }
  }
  const alsoRolledBack = opts.to ? await recheckKept(work, key, plan, state, opts.to, log) : [];
  await markPlan(work, key, 'rolled-back');
  log.emit({
    event: 'rollback.done',
    planId: plan.id,
    rolledBack,
    alsoRolledBack,
    message: `plan ${plan.id}: ${rolledBack.length} step(s) rolled back${opts.to ? `; ${alsoRolledBack.length ? `${alsoRolledBack.join(', ')} rolled back too; the steps before ${alsoRolledBack[alsoRolledBack.length - 1]}` : `${opts.to} and the steps before it`} are kept` : ''}`,
  });
  return result('rolled-back', { rolledBack, alsoRolledBack, skipped });
}

/**
 * A rollback can take away more than its own step did: dropping a constraint made USING
 * INDEX drops the index an earlier step built. After a rollback `--to` a step, the kept
 * steps are checked newest first: one whose done check no longer holds is marked rolled back
 * too (apply runs it again), until one still holds (or has no done check).
 */
async function recheckKept(work: pg.Client, key: string, plan: Plan, state: PlanState, to: string, log: ApplyLogger): Promise<string[]> {
  const byId = new Map(state.steps.map((s) => [s.stepId, s]));
  const kept = plan.steps.slice(0, plan.steps.findIndex((s) => s.id === to) + 1).reverse();
  const out: string[] = [];
  for (const step of kept) {
    const st = byId.get(step.id);
    if (!st || st.status !== 'done' || st.foundDone || !step.doneCheck) break;
    let holds: boolean;
    try {
      const r = await work.query({ text: step.doneCheck, rowMode: 'array' });
      const v = (r.rows[0] as unknown[] | undefined)?.[0];
      holds = v === true || v === 't';
    } catch {
      break;
    }
    if (holds) break;
    await markRolledBack(work, key, step.id);
    out.push(step.id);
    log.emit({ event: 'step.rolled-back-too', action: 'rollback', step: step.id, message: `${step.id}: rolled back too: a later step's rollback removed what it did (its done check no longer holds); apply runs it again` });
  }
  return out;
}

/** Plan statuses a rollback leaves while (or when) it did not finish. */
const ROLLBACK_UNDER_WAY = new Set(['rolling-back', 'rollback-stopped', 'rollback-failed']);

/** The plan to roll back with: the given one when it is the one applied, else (when allowed) the recorded one. */
async function planAsApplied(work: pg.Client, key: string, given: Plan, state: PlanState, opts: RollbackOptions, log: ApplyLogger): Promise<Plan | null> {
  if (planHash(given) === state.planHash) return given;
  if (!opts.useRecordedPlan) return null;
  const recorded = await loadRecordedPlan(work, key);
  if (!recorded || planHash(recorded) !== state.planHash) return null;
  log.emit({ event: 'rollback.recorded-plan', planId: given.id, message: `the migration files plan differently now that the database has changed: rolling back with plan ${given.id} as it was applied (recorded in the state)` });
  return recorded;
}

/** Runs one step's rollback, part by part, each under its guard. Returns the attempts of the last part. */
async function runRollback(ctx: GuardContext, planId: string, a: Extract<RollbackAction, { kind: 'run' }>, userMax?: number): Promise<number> {
  const { work } = ctx;
  const atomic = a.parts.length === 1 && a.parts[0]!.mode !== 'outside';
  if (!atomic) await markRollingBack(work, planId, a.step.id);
  let attempts = 0;
  for (const [i, part] of a.parts.entries()) {
    const last = i === a.parts.length - 1;
    const pguard = partGuard(a.step, part, ctx.guard, userMax);
    const guardCtx = { ...ctx, guard: { ...ctx.guard, maxLockTimeoutMs: pguard.maxLockTimeoutMs } };
    const retryOpts = { ...(pguard.maxRetries !== undefined ? { maxRetries: pguard.maxRetries } : {}), ...(pguard.fixed ? { fixedLockTimeoutMs: ctx.guard.concurrentLockTimeoutMs } : {}) };
    if (part.mode === 'outside') {
      ({ attempts } = await withLockRetries(guardCtx, a.step.id, retryOpts, (lt) => runOutsideTransaction(work, part.sql, { lockTimeoutMs: lt, statementTimeoutMs: 0 })));
      if (last) await markRolledBack(work, planId, a.step.id);
    } else {
      const statementTimeoutMs = part.mode === 'validate' ? 0 : ctx.guard.statementTimeoutMs;
      ({ attempts } = await withLockRetries(guardCtx, a.step.id, retryOpts, (lt) =>
        runInTransaction(work, { lockTimeoutMs: lt, statementTimeoutMs }, async (c) => {
          await c.query(part.sql);
          if (last) await markRolledBack(c, planId, a.step.id);
        }),
      ));
    }
  }
  return attempts;
}

async function dryRun(given: Plan, opts: RollbackOptions, log: ApplyLogger): Promise<RollbackResult> {
  let plan = given;
  const g: GuardOptions = { ...DEFAULT_GUARD, ...opts.guard };
  let state: PlanState | null = null;
  let url: string | null = null;
  try {
    url = resolveDbUrl(opts.db);
  } catch {
    url = null;
  }
  if (url) {
    const c = await connect(url).catch((err: unknown) => {
      throw redactError(err, url!);
    });
    let applied: Plan | null = null;
    const key = opts.stateKey ?? given.id;
    try {
      state = (await stateExists(c)) ? await loadPlanState(c, key) : null;
      if (state) applied = await planAsApplied(c, key, given, state, opts, log);
    } finally {
      await closeQuietly(c);
    }
    if (!state) {
      log.emit({ event: 'rollback.nothing', planId: given.id, dryRun: true, message: `dry run: plan ${given.id} has no recorded progress on ${redactUrl(url)}: nothing to roll back` });
      return result('dry-run', { wouldRollBack: [] });
    }
    if (!applied) {
      const message = `dry run: plan "${given.id}" is not the plan that was applied (recorded hash ${state.planHash}, this plan ${planHash(given)})`;
      log.emit({ event: 'rollback.refused', planId: given.id, reason: 'plan-changed', dryRun: true, message });
      return result('refused', { error: message });
    }
    plan = applied;
  }
  const decision = decideRollback(plan, state, opts.to);
  log.emit({
    event: 'plan',
    planId: plan.id,
    planHash: planHash(plan),
    dryRun: true,
    message: `dry run of the rollback of plan ${plan.id}${url ? ` on ${redactUrl(url)}` : ' (no database: every step as if it had run)'}${opts.to ? `, keeping ${opts.to} and the steps before it` : ''}; nothing is executed`,
  });
  const skipped: RollbackResult['skipped'] = [];
  for (const [i, a] of decision.actions.entries()) {
    const tag = `[${i + 1}/${decision.actions.length}] rollback ${a.step.id}`;
    if (a.kind === 'skip') {
      skipped.push({ step: a.step.id, reason: a.why });
      log.emit({ event: 'step.skip', action: 'rollback', step: a.step.id, reason: a.why, dryRun: true, message: `${tag}: ${a.why}` });
    } else if (a.kind === 'nothing') {
      log.emit({ event: 'step.would-run', action: 'rollback', step: a.step.id, sql: null, message: `${tag}: ${a.why}` });
    } else if (a.kind === 'refuse') {
      log.emit({ event: 'step.would-refuse', action: 'rollback', step: a.step.id, why: a.why, message: `${tag}: CANNOT BE UNDONE: ${a.why}` });
    } else {
      log.emit({
        event: 'step.would-run',
        action: 'rollback',
        step: a.step.id,
        sql: a.step.rollback,
        how: describeRun(a, g, opts.guard?.maxLockTimeoutMs),
        message: `${tag}: ${oneLine(a.step.rollback, 200)}\n    ${describeRun(a, g, opts.guard?.maxLockTimeoutMs)}`,
      });
    }
  }
  if (decision.refused.length) {
    const message = describeIrreversible(plan, decision.refused);
    const irreversible = decision.refused.map((r) => ({ step: r.step.id, why: r.why }));
    log.emit({ event: 'rollback.refused', planId: plan.id, reason: 'irreversible', dryRun: true, steps: irreversible, message });
    return result('irreversible', { error: message, irreversible, skipped });
  }
  if (decision.dataLoss.length) {
    log.emit({ event: 'rollback.data-loss', dryRun: true, steps: decision.dataLoss.map((a) => a.step.id), message: `needs --yes: ${describeDataLoss(decision.dataLoss)}` });
  }
  return result('dry-run', {
    skipped,
    wouldRollBack: decision.actions.filter((a) => a.kind === 'run' || a.kind === 'nothing').map((a) => a.step.id),
    dataLoss: decision.dataLoss.map((a) => ({ step: a.step.id, drops: a.dataLoss })),
  });
}
