/**
 * Apply state kept in the target database (schema `ddlguard`): which plan (id
 * + hash) ran, each step's status, and a backfill's last committed key (written
 * in the same transaction as each batch), so a re-run continues where the last
 * one stopped.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ApplyError } from '../db/connection.js';
import { LOCK_KEY1, STATE_DDL_KEY2 } from './lock.js';
import type { Plan, PlanStep } from './types.js';
import { stepUndo, type UndoKind } from '../plan/rewrites/undo.js';

export const STATE_SCHEMA = 'ddlguard';

/**
 * `rolling-back`: a rollback of several parts (or one outside a transaction) has started;
 * `rolled-back`: undone by `ddlguard rollback` (apply runs it again).
 */
export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'rolling-back' | 'rolled-back';

export interface StepState {
  stepId: string;
  status: StepStatus;
  attempts: number;
  lastKey: string | null;
  rowsDone: number;
  rowsUpdated: number;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /**
   * Marked done because its done check held before ddlguard ever started it: ddlguard ran
   * nothing, so a rollback leaves it as it is.
   */
  foundDone: boolean;
  /** How the step is undone (recorded with the plan; null in state written before rollback existed). */
  undo: UndoKind | null;
  /** For `impossible`: what is lost once it has run. */
  undoReason: string | null;
}

export interface PlanState {
  planId: string;
  planHash: string;
  status: string;
  abortRequested: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  steps: StepState[];
}

const DDL = `
CREATE SCHEMA IF NOT EXISTS ${STATE_SCHEMA};
CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.apply_plan (
  plan_id         text PRIMARY KEY,
  plan_hash       text NOT NULL,
  status          text NOT NULL DEFAULT 'running',
  step_count      int NOT NULL,
  abort_requested boolean NOT NULL DEFAULT false,
  started_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.apply_step (
  plan_id      text NOT NULL REFERENCES ${STATE_SCHEMA}.apply_plan (plan_id) ON DELETE CASCADE,
  step_id      text NOT NULL,
  ordinal      int NOT NULL,
  phase        text NOT NULL,
  status       text NOT NULL DEFAULT 'pending',
  attempts     int NOT NULL DEFAULT 0,
  last_key     text,
  rows_done    bigint NOT NULL DEFAULT 0,
  rows_updated bigint NOT NULL DEFAULT 0,
  error        text,
  started_at   timestamptz,
  finished_at  timestamptz,
  PRIMARY KEY (plan_id, step_id)
);`;

/**
 * Columns for rollback, added to state tables of any age: the plan as applied (so a rollback
 * runs exactly its rollbacks), whether a step was only found done, and how each step is undone.
 */
const ROLLBACK_COLUMNS: ReadonlyArray<readonly [table: string, column: string, type: string]> = [
  ['apply_plan', 'plan_json', 'jsonb'],
  ['apply_step', 'found_done', 'boolean NOT NULL DEFAULT false'],
  ['apply_step', 'undo', 'text'],
  ['apply_step', 'undo_reason', 'text'],
];

/** Hash of what the plan executes (steps' ids, phases, SQL, modes, batches, done checks). Source positions are ignored. */
export function planHash(plan: Plan): string {
  const exec = plan.steps.map((s) => ({
    id: s.id,
    phase: s.phase,
    sql: s.sql,
    transaction: s.transaction,
    batch: s.batch
      ? { table: s.batch.table, keyColumns: s.batch.keyColumns, updateSql: s.batch.updateSql }
      : null,
    doneCheck: s.doneCheck,
  }));
  return createHash('sha256').update(JSON.stringify({ version: plan.version, steps: exec })).digest('hex').slice(0, 16);
}

export async function stateExists(client: pg.Client): Promise<boolean> {
  const r = await client.query(`SELECT to_regclass('${STATE_SCHEMA}.apply_step') IS NOT NULL AS ok`);
  return Boolean(r.rows[0]?.ok);
}

export async function ensureStateSchema(client: pg.Client): Promise<void> {
  if ((await stateExists(client)) && (await missingRollbackColumns(client)).length === 0) return;
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = '5s'`);
    // Appliers of several tenant schemas of one database may get here at once: serialise them
    // (CREATE ... IF NOT EXISTS run concurrently can fail on the catalog's unique indexes).
    await client.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [LOCK_KEY1, STATE_DDL_KEY2]);
    await client.query(DDL);
    for (const [table, column, type] of ROLLBACK_COLUMNS) {
      await client.query(`ALTER TABLE ${STATE_SCHEMA}.${table} ADD COLUMN IF NOT EXISTS ${column} ${type}`);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

async function missingRollbackColumns(client: pg.Client): Promise<string[]> {
  const r = await client.query(
    `SELECT t.table_name || '.' || t.column_name AS c
       FROM unnest($1::text[], $2::text[]) AS t(table_name, column_name)
      WHERE NOT EXISTS (SELECT 1 FROM information_schema.columns i
                         WHERE i.table_schema = '${STATE_SCHEMA}' AND i.table_name = t.table_name AND i.column_name = t.column_name)`,
    [ROLLBACK_COLUMNS.map((c) => c[0]), ROLLBACK_COLUMNS.map((c) => c[1])],
  );
  return r.rows.map((x: { c: string }) => x.c);
}

export class PlanChangedError extends ApplyError {
  constructor(planId: string, recorded: string, current: string, status: string) {
    super(
      `plan "${planId}" changed since it was first applied (recorded hash ${recorded}, this plan ${current}, recorded status ${status}). ` +
        `Refusing to continue with different steps under the same plan id: give the changed plan a new id, ` +
        `or run \`ddlguard abort --plan ${planId} --reset\` to forget the recorded progress (applied steps are not undone).`,
      'DDLGUARD_PLAN_CHANGED',
    );
  }
}

/**
 * Records the plan (or checks it against the recorded hash) and its steps, under `key`:
 * the plan id, or a target's state key (a tenant schema of the database: `ApplyOptions.stateKey`).
 */
export async function registerPlan(client: pg.Client, plan: Plan, key: string = plan.id): Promise<PlanState> {
  const hash = planHash(plan);
  const existing = await loadPlanState(client, key);
  if (existing && existing.planHash !== hash) throw new PlanChangedError(key, existing.planHash, hash, existing.status);
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO ${STATE_SCHEMA}.apply_plan (plan_id, plan_hash, step_count) VALUES ($1, $2, $3)
       ON CONFLICT (plan_id) DO UPDATE SET updated_at = now(), abort_requested = false,
         status = CASE WHEN ${STATE_SCHEMA}.apply_plan.status = 'done' THEN 'done' ELSE 'running' END`,
      [key, hash, plan.steps.length],
    );
    for (const [i, s] of plan.steps.entries()) {
      await client.query(
        `INSERT INTO ${STATE_SCHEMA}.apply_step (plan_id, step_id, ordinal, phase) VALUES ($1, $2, $3, $4)
         ON CONFLICT (plan_id, step_id) DO NOTHING`,
        [key, s.id, i, s.phase],
      );
      const u = stepUndo(s);
      await client.query(`UPDATE ${STATE_SCHEMA}.apply_step SET undo = $3, undo_reason = $4 WHERE plan_id = $1 AND step_id = $2`, [plan.id, s.id, u.kind, u.why || null]);
    }
    await client.query(`UPDATE ${STATE_SCHEMA}.apply_plan SET plan_json = $2 WHERE plan_id = $1`, [plan.id, JSON.stringify(plan)]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return (await loadPlanState(client, key))!;
}

function iso(v: unknown): string | null {
  return v ? new Date(v as string).toISOString() : null;
}

export async function loadPlanState(client: pg.Client, planId: string): Promise<PlanState | null> {
  if (!(await stateExists(client))) return null;
  const p = await client.query(`SELECT * FROM ${STATE_SCHEMA}.apply_plan WHERE plan_id = $1`, [planId]);
  const row = p.rows[0] as Record<string, unknown> | undefined;
  if (!row) return null;
  const s = await client.query(`SELECT * FROM ${STATE_SCHEMA}.apply_step WHERE plan_id = $1 ORDER BY ordinal`, [planId]);
  return {
    planId,
    planHash: String(row.plan_hash),
    status: String(row.status),
    abortRequested: Boolean(row.abort_requested),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    steps: s.rows.map((r: Record<string, unknown>) => ({
      stepId: String(r.step_id),
      status: String(r.status) as StepStatus,
      attempts: Number(r.attempts),
      lastKey: (r.last_key as string | null) ?? null,
      rowsDone: Number(r.rows_done),
      rowsUpdated: Number(r.rows_updated),
      error: (r.error as string | null) ?? null,
      startedAt: iso(r.started_at),
      finishedAt: iso(r.finished_at),
      foundDone: Boolean(r.found_done),
      undo: (r.undo as UndoKind | null | undefined) ?? null,
      undoReason: (r.undo_reason as string | null | undefined) ?? null,
    })),
  };
}

export async function listPlans(client: pg.Client): Promise<PlanState[]> {
  if (!(await stateExists(client))) return [];
  const r = await client.query(`SELECT plan_id FROM ${STATE_SCHEMA}.apply_plan ORDER BY started_at`);
  const out: PlanState[] = [];
  for (const row of r.rows as { plan_id: string }[]) {
    const s = await loadPlanState(client, row.plan_id);
    if (s) out.push(s);
  }
  return out;
}

export async function markStep(
  client: pg.Client,
  planId: string,
  step: PlanStep | string,
  status: StepStatus,
  error: string | null = null,
): Promise<void> {
  const id = typeof step === 'string' ? step : step.id;
  await client.query(
    `UPDATE ${STATE_SCHEMA}.apply_step
        SET status = $3, error = $4,
            attempts = attempts + CASE WHEN $3 = 'running' THEN 1 ELSE 0 END,
            started_at = CASE WHEN $3 = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
            finished_at = CASE WHEN $3 = 'done' THEN now() ELSE finished_at END
      WHERE plan_id = $1 AND step_id = $2`,
    [planId, id, status, error],
  );
}

/** Called inside a batch's transaction: the batch and its cursor commit together. */
export async function recordBatch(client: pg.Client, planId: string, stepId: string, lastKey: string, scanned: number, updated: number): Promise<void> {
  await client.query(
    `UPDATE ${STATE_SCHEMA}.apply_step SET last_key = $3, rows_done = rows_done + $4, rows_updated = rows_updated + $5
      WHERE plan_id = $1 AND step_id = $2`,
    [planId, stepId, lastKey, scanned, updated],
  );
}

export async function markPlan(client: pg.Client, planId: string, status: string): Promise<void> {
  await client.query(
    `UPDATE ${STATE_SCHEMA}.apply_plan SET status = $2, updated_at = now(),
            finished_at = CASE WHEN $2 = 'done' THEN now() ELSE finished_at END WHERE plan_id = $1`,
    [planId, status],
  );
}

export async function abortRequested(client: pg.Client, planId: string): Promise<boolean> {
  const r = await client.query(`SELECT abort_requested FROM ${STATE_SCHEMA}.apply_plan WHERE plan_id = $1`, [planId]);
  return Boolean(r.rows[0]?.abort_requested);
}

/** Asks running appliers (of one plan or all) to stop after their current batch/step. Returns the plan ids flagged. */
export async function requestAbort(client: pg.Client, planId?: string): Promise<string[]> {
  if (!(await stateExists(client))) return [];
  const r = await client.query(
    `UPDATE ${STATE_SCHEMA}.apply_plan SET abort_requested = true, updated_at = now()
      WHERE status IN ('running', 'rolling-back') AND ($1::text IS NULL OR plan_id = $1) RETURNING plan_id`,
    [planId ?? null],
  );
  return r.rows.map((x: { plan_id: string }) => x.plan_id);
}

/** Forgets the recorded progress of a plan (applied steps are not undone). */
export async function resetPlan(client: pg.Client, planId: string): Promise<boolean> {
  if (!(await stateExists(client))) return false;
  const r = await client.query(`DELETE FROM ${STATE_SCHEMA}.apply_plan WHERE plan_id = $1`, [planId]);
  return (r.rowCount ?? 0) > 0;
}

// ---- rollback --------------------------------------------------------------

/**
 * A step whose done check held: done. It counts as found done (ddlguard ran nothing) when
 * ddlguard had not started it (pending, or rolled back); a step left running or failed may
 * have been done by the interrupted run, so a rollback undoes it.
 */
export async function markFoundDone(client: pg.Client, planId: string, step: PlanStep | string): Promise<void> {
  const id = typeof step === 'string' ? step : step.id;
  await client.query(
    `UPDATE ${STATE_SCHEMA}.apply_step
        SET found_done = status IN ('pending', 'rolled-back'), status = 'done', error = NULL, finished_at = now()
      WHERE plan_id = $1 AND step_id = $2`,
    [planId, id],
  );
}

/**
 * Undone: apply runs it again from the start (a backfill's cursor is forgotten). In the
 * rollback's own transaction when it has one, so the two commit together.
 */
export async function markRolledBack(client: pg.Client, planId: string, stepId: string): Promise<void> {
  await client.query(
    `UPDATE ${STATE_SCHEMA}.apply_step
        SET status = 'rolled-back', error = NULL, found_done = false, last_key = NULL, rows_done = 0, rows_updated = 0, finished_at = now()
      WHERE plan_id = $1 AND step_id = $2`,
    [planId, stepId],
  );
}

/** A rollback of the plan starts: an earlier `ddlguard abort` request is forgotten, as apply's start forgets it. */
export async function startRollback(client: pg.Client, planId: string): Promise<void> {
  await client.query(`UPDATE ${STATE_SCHEMA}.apply_plan SET status = 'rolling-back', abort_requested = false, updated_at = now() WHERE plan_id = $1`, [planId]);
}

/** A rollback that is not one transaction has started; a crash leaves this, and the (idempotent) rollback runs again. */
export async function markRollingBack(client: pg.Client, planId: string, stepId: string): Promise<void> {
  await client.query(`UPDATE ${STATE_SCHEMA}.apply_step SET status = 'rolling-back', error = NULL WHERE plan_id = $1 AND step_id = $2`, [planId, stepId]);
}

/** The rollback of a step failed: the step keeps its status (it is still applied, or rolling back), with the error. */
export async function markRollbackFailed(client: pg.Client, planId: string, stepId: string, error: string): Promise<void> {
  await client.query(`UPDATE ${STATE_SCHEMA}.apply_step SET error = $3 WHERE plan_id = $1 AND step_id = $2`, [planId, stepId, `rollback failed: ${error}`]);
}

/** The plan as it was applied, when the state recorded it (state written by this version and later). */
export async function loadRecordedPlan(client: pg.Client, planId: string): Promise<Plan | null> {
  if (!(await stateExists(client))) return null;
  if ((await missingRollbackColumns(client)).includes('apply_plan.plan_json')) return null;
  const r = await client.query(`SELECT plan_json FROM ${STATE_SCHEMA}.apply_plan WHERE plan_id = $1`, [planId]);
  const v = (r.rows[0] as { plan_json: unknown } | undefined)?.plan_json;
  return v ? (v as Plan) : null;
}

/** Up to which step a plan recorded here can still be rolled back, from each step's recorded undo kind. */
export interface StateHorizon {
  /** False for state recorded before ddlguard noted how steps are undone. */
  known: boolean;
  /** The first step that cannot be undone, and what is lost after it. */
  until: { step: string; why: string } | null;
  /** The last step that cannot be undone and has run (then rollback refuses; `--to` it undoes the steps after it). */
  passed: { step: string; why: string } | null;
}

export function stateHorizon(p: PlanState): StateHorizon {
  const known = p.steps.length === 0 || p.steps.some((s) => s.undo !== null);
  let until: StateHorizon['until'] = null;
  let passed: StateHorizon['passed'] = null;
  for (const s of p.steps) {
    if (s.undo !== 'impossible') continue;
    const h = { step: s.stepId, why: s.undoReason ?? 'it cannot be undone' };
    until ??= h;
    if ((s.status === 'done' && !s.foundDone) || s.status === 'running') passed = h;
  }
  return { known, until, passed };
}

export function describeHorizon(h: StateHorizon): string {
  if (!h.known) return 'rollback: not known (recorded by an older ddlguard; `ddlguard rollback --dry-run` tells)';
  if (h.passed) return `rollback no longer possible: ${h.passed.step} has run (${h.passed.why}); \`ddlguard rollback --to ${h.passed.step}\` undoes the steps after it`;
  if (h.until) return `rollback possible until ${h.until.step}: after it, ${h.until.why}`;
  return 'rollback possible for every step';
}
