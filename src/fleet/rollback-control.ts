/**
 * The records of a fleet rollback in the control database, beside the run's: one
 * `fleet_rollback` row per run (its scope, options, status and the wave being rolled back)
 * and one `fleet_rollback_target` row per target it undoes. Workers claim targets of the
 * current wave only (newest wave first) with `FOR UPDATE SKIP LOCKED` under a lease, exactly
 * as the rollout's workers do (./control.ts): a dead worker's target is claimed again at once
 * and resumes from its own state, every write of a claim is fenced on its claim count, and
 * the wave moves on (to the next older one) once none of its targets is pending or running.
 *
 * The tables are created on the first rollback (`ensureSchema`), so a control database that
 * recorded runs before rollbacks existed needs no migration.
 */
import type pg from 'pg';
import { LOCK_KEY1, STATE_DDL_KEY2 } from '../apply/lock.js';
import { actor, CONTROL_SCHEMA, iso, type ControlDb, type WaveProgress } from './control.js';
import { FleetError } from './errors.js';
import type { FleetRollbackStatus, RollbackRecord, RollbackScope, RollbackTargetRecord, RollbackTargetStatus, TargetRecord, TargetRollbackOptions } from './types.js';

const DDL = `
CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.fleet_rollback (
  run_id          text PRIMARY KEY REFERENCES ${CONTROL_SCHEMA}.fleet_run (run_id) ON DELETE CASCADE,
  status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'halted', 'aborted', 'done')),
  scope           jsonb NOT NULL,
  options         jsonb NOT NULL DEFAULT '{}',
  concurrency     int NOT NULL,
  lease_ms        int NOT NULL,
  generation      int NOT NULL DEFAULT 1,
  current_wave    int,
  reason          text,
  abort_requested boolean NOT NULL DEFAULT false,
  stop_running    boolean NOT NULL DEFAULT false,
  created_by      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.fleet_rollback_target (
  run_id               text NOT NULL,
  target               text NOT NULL,
  wave                 int NOT NULL,
  ordinal              int NOT NULL,
  generation           int NOT NULL,
  status               text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'rolled-back', 'nothing', 'failed', 'refused')),
  claims               int NOT NULL DEFAULT 0,
  worker               text,
  worker_pid           int,
  worker_backend_start timestamptz,
  lease_until          timestamptz,
  claimed_at           timestamptz,
  current_step         text,
  rolled_back          text[] NOT NULL DEFAULT '{}',
  failed_step          text,
  error                text,
  sqlstate             text,
  note                 text,
  started_at           timestamptz,
  finished_at          timestamptz,
  elapsed_ms           bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, target),
  FOREIGN KEY (run_id, target) REFERENCES ${CONTROL_SCHEMA}.fleet_target (run_id, target) ON DELETE CASCADE
);`;

function rollbackRow(r: Record<string, unknown>): RollbackRecord {
  return {
    runId: String(r.run_id),
    status: String(r.status) as FleetRollbackStatus,
    scope: r.scope as RollbackScope,
    options: (r.options ?? {}) as TargetRollbackOptions,
    concurrency: Number(r.concurrency),
    leaseMs: Number(r.lease_ms),
    generation: Number(r.generation),
    currentWave: r.current_wave === null || r.current_wave === undefined ? null : Number(r.current_wave),
    reason: (r.reason as string | null) ?? null,
    abortRequested: Boolean(r.abort_requested),
    stopRunning: Boolean(r.stop_running),
    createdBy: (r.created_by as string | null) ?? null,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    finishedAt: iso(r.finished_at),
  };
}

function targetRow(r: Record<string, unknown>): RollbackTargetRecord {
  return {
    target: String(r.target),
    wave: Number(r.wave),
    ordinal: Number(r.ordinal),
    generation: Number(r.generation),
    status: String(r.status) as RollbackTargetStatus,
    claims: Number(r.claims),
    worker: (r.worker as string | null) ?? null,
    leaseUntil: iso(r.lease_until),
    claimedAt: iso(r.claimed_at),
    currentStep: (r.current_step as string | null) ?? null,
    rolledBack: (r.rolled_back as string[] | null) ?? [],
    failedStep: (r.failed_step as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    sqlstate: (r.sqlstate as string | null) ?? null,
    note: (r.note as string | null) ?? null,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    elapsedMs: Number(r.elapsed_ms),
  };
}

/** A claimed target: its rollback record plus where it is (from the run's target record). */
export type RollbackClaim = RollbackTargetRecord & Pick<TargetRecord, 'url' | 'dbName' | 'schema' | 'searchPath' | 'stateKey'>;

/** How a target's rollback ended, as the worker records it. */
export interface RollbackOutcome {
  status: 'rolled-back' | 'nothing' | 'failed' | 'refused';
  rolledBack: string[];
  failedStep: string | null;
  error: string | null;
  sqlstate: string | null;
  note: string | null;
  elapsedMs: number;
}

/** The targets a new rollback (or a new scope of it) undoes: those the run started, and those it never did (`nothing`, with why). */
export interface RollbackStart {
  runId: string;
  scope: RollbackScope;
  options: TargetRollbackOptions;
  concurrency: number;
  leaseMs: number;
  /** Every target of the scope, in the run's order. */
  targets: ReadonlyArray<Pick<TargetRecord, 'target' | 'wave' | 'ordinal'> & { started: boolean }>;
}

export type StartOutcome = { did: 'created' | 'rescoped' | 'joined' | 'resumed'; record: RollbackRecord; requeued: string[] };

/** The same scope: the same waves, targets, exclusions and `to` (lists compared as sets). */
export function sameScope(a: RollbackScope, b: RollbackScope): boolean {
  const norm = (x: string[] | null) => (x === null ? null : [...new Set(x)].sort().join('\u0000'));
  return norm(a.waves) === norm(b.waves) && norm(a.targets) === norm(b.targets) && norm(a.exclude) === norm(b.exclude) && (a.to ?? null) === (b.to ?? null);
}

/** Human form of a scope: `waves rest, early; targets t1; --to 0002`. */
export function describeScope(s: RollbackScope): string {
  const parts: string[] = [s.waves ? `wave${s.waves.length === 1 ? '' : 's'} ${s.waves.join(', ')}` : 'every wave'];
  if (s.targets) parts.push(`targets ${s.targets.join(', ')}`);
  if (s.exclude) parts.push(`except ${s.exclude.join(', ')}`);
  if (s.to) parts.push(`--to ${s.to}`);
  return parts.join('; ');
}

export class RollbackControl {
  constructor(readonly control: ControlDb) {}

  async schemaExists(): Promise<boolean> {
    return this.control.session(async (c) => Boolean((await c.query(`SELECT to_regclass('${CONTROL_SCHEMA}.fleet_rollback_target') IS NOT NULL AS ok`)).rows[0]?.ok));
  }

  async ensureSchema(): Promise<void> {
    if (await this.schemaExists()) return;
    await this.control.transaction(async (c) => {
      await c.query(`SET LOCAL lock_timeout = '5s'`);
      await c.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [LOCK_KEY1, STATE_DDL_KEY2]);
      await c.query(DDL);
    });
  }

  async load(runId: string): Promise<RollbackRecord | null> {
    if (!(await this.schemaExists())) return null;
    return this.control.session(async (c) => {
      const r = await c.query(`SELECT * FROM ${CONTROL_SCHEMA}.fleet_rollback WHERE run_id = $1`, [runId]);
      return r.rows[0] ? rollbackRow(r.rows[0] as Record<string, unknown>) : null;
    });
  }

  /** Every target row the run's rollbacks left (of any generation), in the run's order. */
  async loadTargets(runId: string): Promise<RollbackTargetRecord[]> {
    if (!(await this.schemaExists())) return [];
    return this.control.session(async (c) =>
      (await c.query(`SELECT * FROM ${CONTROL_SCHEMA}.fleet_rollback_target WHERE run_id = $1 ORDER BY wave, ordinal`, [runId])).rows.map((r) => targetRow(r as Record<string, unknown>)),
    );
  }

  /**
   * Records a rollback of the run, or finds the one recorded: one under way (running,
   * interrupted, or aborted) with the same scope is joined (resumed when aborted); a halted
   * one with the same scope resumes with its failed and refused targets re-queued; a finished
   * one, or a halted or aborted one given another scope, is replaced by a new generation. A
   * running one with another scope is refused. The run must not be running (checked under
   * its row lock, which `fleet continue` takes too).
   */
  async start(s: RollbackStart): Promise<StartOutcome> {
    await this.ensureSchema();
    return this.control.transaction(async (c) => {
      const run = (await c.query(`SELECT status, abort_requested FROM ${CONTROL_SCHEMA}.fleet_run WHERE run_id = $1 FOR UPDATE`, [s.runId])).rows[0] as { status: string; abort_requested: boolean } | undefined;
      if (!run) throw new FleetError(`no fleet run ${JSON.stringify(s.runId)} in the control database`);
      if (run.status === 'running' && !run.abort_requested) throw new FleetError(`fleet run ${s.runId} is running: stop it first (\`ddlguard fleet abort --stop-running\`), then roll it back`, 3);
      const live = (
        await c.query(
          `SELECT target FROM ${CONTROL_SCHEMA}.fleet_target t WHERE run_id = $1 AND status = 'running' AND lease_until > now()
              AND EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.pid = t.worker_pid AND a.backend_start = t.worker_backend_start) ORDER BY wave, ordinal`,
          [s.runId],
        )
      ).rows.map((x: { target: string }) => x.target);
      if (live.length) {
        throw new FleetError(
          `fleet run ${s.runId}: ${live.length} target${live.length === 1 ? ' is' : 's are'} still being applied (${live.slice(0, 5).join(', ')}${live.length > 5 ? ', ...' : ''}): wait for ${live.length === 1 ? 'it' : 'them'} (\`ddlguard fleet status\`) or stop ${live.length === 1 ? 'it' : 'them'} with \`ddlguard fleet abort --stop-running\`, then roll back`,
          3,
        );
      }
      const row = (await c.query(`SELECT * FROM ${CONTROL_SCHEMA}.fleet_rollback WHERE run_id = $1 FOR UPDATE`, [s.runId])).rows[0] as Record<string, unknown> | undefined;
      const old = row ? rollbackRow(row) : null;
      const same = old !== null && sameScope(old.scope, s.scope);
      if (old && same && (old.status === 'running' || old.status === 'aborted' || old.status === 'halted')) {
        const requeued =
          old.status === 'halted'
            ? (
                await c.query(
                  `UPDATE ${CONTROL_SCHEMA}.fleet_rollback_target SET status = 'pending', worker = NULL, lease_until = NULL
                    WHERE run_id = $1 AND generation = $2 AND status IN ('failed', 'refused') RETURNING target`,
                  [s.runId, old.generation],
                )
              ).rows.map((x: { target: string }) => x.target)
            : [];
        const r = await c.query(
          `UPDATE ${CONTROL_SCHEMA}.fleet_rollback SET status = 'running', options = $2, abort_requested = false, stop_running = false, reason = NULL, finished_at = NULL, updated_at = now(),
                  current_wave = coalesce((SELECT max(wave) FROM ${CONTROL_SCHEMA}.fleet_rollback_target WHERE run_id = $1 AND generation = $3 AND status IN ('pending', 'running')), current_wave)
            WHERE run_id = $1 RETURNING *`,
          [s.runId, JSON.stringify(s.options), old.generation],
        );
        return { did: old.status === 'running' ? 'joined' : 'resumed', record: rollbackRow(r.rows[0] as Record<string, unknown>), requeued };
      }
      if (old && old.status === 'running') {
        throw new FleetError(
          `a rollback of fleet run ${s.runId} (${describeScope(old.scope)}) is under way or was interrupted: run it again with the same --wave, --targets, --exclude and --to to resume it (or \`ddlguard fleet abort\` it), then roll back ${describeScope(s.scope)}`,
        );
      }
      const generation = (old?.generation ?? 0) + 1;
      const started = s.targets.filter((t) => t.started);
      const current = started.length ? Math.max(...started.map((t) => t.wave)) : null;
      const values = [
        s.runId,
        current === null ? 'done' : 'running',
        JSON.stringify(s.scope),
        JSON.stringify(s.options),
        s.concurrency,
        s.leaseMs,
        generation,
        current,
        actor(),
      ];
      const r = await c.query(
        `INSERT INTO ${CONTROL_SCHEMA}.fleet_rollback (run_id, status, scope, options, concurrency, lease_ms, generation, current_wave, created_by, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $2 = 'done' THEN now() END)
         ON CONFLICT (run_id) DO UPDATE SET status = EXCLUDED.status, scope = EXCLUDED.scope, options = EXCLUDED.options, concurrency = EXCLUDED.concurrency,
                lease_ms = EXCLUDED.lease_ms, generation = EXCLUDED.generation, current_wave = EXCLUDED.current_wave, reason = NULL, abort_requested = false,
                stop_running = false, created_by = EXCLUDED.created_by, created_at = now(), updated_at = now(), finished_at = EXCLUDED.finished_at
         RETURNING *`,
        values,
      );
      // One statement for every target; a target's claim count is kept across generations (it fences the writes of old claims).
      await c.query(
        `INSERT INTO ${CONTROL_SCHEMA}.fleet_rollback_target (run_id, target, wave, ordinal, generation, status, note)
         SELECT $1, x.target, x.wave, x.ordinal, $2, CASE WHEN x.started THEN 'pending' ELSE 'nothing' END,
                CASE WHEN x.started THEN NULL ELSE 'not started by the run: nothing to undo' END
           FROM unnest($3::text[], $4::int[], $5::int[], $6::boolean[]) AS x(target, wave, ordinal, started)
         ON CONFLICT (run_id, target) DO UPDATE SET generation = EXCLUDED.generation, status = EXCLUDED.status, note = EXCLUDED.note, worker = NULL, worker_pid = NULL,
                worker_backend_start = NULL, lease_until = NULL, claimed_at = NULL, current_step = NULL, rolled_back = '{}', failed_step = NULL, error = NULL, sqlstate = NULL,
                started_at = NULL, finished_at = NULL, elapsed_ms = 0`,
        [s.runId, generation, s.targets.map((t) => t.target), s.targets.map((t) => t.wave), s.targets.map((t) => t.ordinal), s.targets.map((t) => t.started)],
      );
      return { did: old ? 'rescoped' : 'created', record: rollbackRow(r.rows[0] as Record<string, unknown>), requeued: [] };
    });
  }

  /** Claims up to `n` targets of the wave being rolled back: pending ones, and running ones whose lease expired or whose worker's control session is gone. */
  async claim(runId: string, worker: string, n: number, leaseMs: number): Promise<RollbackClaim[]> {
    if (n <= 0) return [];
    return this.control.session(async (c) => {
      const r = await c.query(
        `WITH rb AS (
           SELECT current_wave, generation FROM ${CONTROL_SCHEMA}.fleet_rollback WHERE run_id = $1 AND status = 'running' AND NOT abort_requested
         ), pick AS (
           SELECT t.target FROM ${CONTROL_SCHEMA}.fleet_rollback_target t, rb
            WHERE t.run_id = $1 AND t.generation = rb.generation AND t.wave = rb.current_wave
              AND (t.status = 'pending'
                   OR (t.status = 'running' AND (t.lease_until < now()
                        OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.pid = t.worker_pid AND a.backend_start = t.worker_backend_start))))
            ORDER BY t.ordinal DESC
            LIMIT $2
            FOR UPDATE OF t SKIP LOCKED
         )
         UPDATE ${CONTROL_SCHEMA}.fleet_rollback_target t
            SET status = 'running', claims = t.claims + 1, worker = $3, worker_pid = pg_backend_pid(),
                worker_backend_start = (SELECT a.backend_start FROM pg_catalog.pg_stat_activity a WHERE a.pid = pg_backend_pid()),
                lease_until = now() + make_interval(secs => $4 / 1000.0), claimed_at = now(), started_at = coalesce(t.started_at, now()),
                current_step = NULL, failed_step = NULL, error = NULL, sqlstate = NULL
           FROM pick, ${CONTROL_SCHEMA}.fleet_target f
          WHERE t.run_id = $1 AND t.target = pick.target AND f.run_id = t.run_id AND f.target = t.target
         RETURNING t.*, f.url, f.db_name, f.schema_name, f.search_path, f.state_key`,
        [runId, n, worker, leaseMs],
      );
      return r.rows
        .map((x: Record<string, unknown>) => ({
          ...targetRow(x),
          url: String(x.url),
          dbName: (x.db_name as string | null) ?? null,
          schema: (x.schema_name as string | null) ?? null,
          searchPath: (x.search_path as string[] | null) ?? null,
          stateKey: String(x.state_key),
        }))
        .sort((a, b) => b.ordinal - a.ordinal);
    });
  }

  /** Extends the leases of this worker's claims (tying them to this session); returns the targets whose claim it lost. */
  async renew(runId: string, worker: string, claims: ReadonlyArray<{ target: string; claims: number }>, leaseMs: number): Promise<string[]> {
    if (claims.length === 0) return [];
    return this.control.session(async (c) => {
      const r = await c.query(
        `UPDATE ${CONTROL_SCHEMA}.fleet_rollback_target t SET lease_until = now() + make_interval(secs => $3 / 1000.0),
                worker_pid = pg_backend_pid(), worker_backend_start = (SELECT a.backend_start FROM pg_catalog.pg_stat_activity a WHERE a.pid = pg_backend_pid())
           FROM unnest($4::text[], $5::int[]) AS x(target, claims)
          WHERE t.run_id = $1 AND t.target = x.target AND t.claims = x.claims AND t.worker = $2 AND t.status = 'running'
          RETURNING t.target`,
        [runId, worker, leaseMs, claims.map((x) => x.target), claims.map((x) => x.claims)],
      );
      const kept = new Set(r.rows.map((x: { target: string }) => x.target));
      return claims.filter((x) => !kept.has(x.target)).map((x) => x.target);
    });
  }

  async setCurrentStep(runId: string, claim: Pick<RollbackClaim, 'target' | 'claims'>, step: string | null): Promise<void> {
    await this.control.session((c) =>
      c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_rollback_target SET current_step = $4 WHERE run_id = $1 AND target = $2 AND claims = $3 AND status = 'running'`, [runId, claim.target, claim.claims, step]),
    );
  }

  /** Records a target's end. False when the claim was lost (another worker took the target). */
  async finish(runId: string, worker: string, claim: Pick<RollbackClaim, 'target' | 'claims'>, o: RollbackOutcome): Promise<boolean> {
    return this.control.session(async (c) => {
      const r = await c.query(
        `UPDATE ${CONTROL_SCHEMA}.fleet_rollback_target
            SET status = $5, rolled_back = (SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM unnest(rolled_back || $6::text[]) x),
                failed_step = $7, error = $8, sqlstate = $9, note = $10, current_step = NULL, lease_until = NULL, finished_at = now(), elapsed_ms = elapsed_ms + $11
          WHERE run_id = $1 AND target = $2 AND claims = $3 AND worker = $4 AND status = 'running'`,
        [runId, claim.target, claim.claims, worker, o.status, o.rolledBack, o.failedStep, o.error, o.sqlstate, o.note, Math.round(o.elapsedMs)],
      );
      return (r.rowCount ?? 0) > 0;
    });
  }

  /** Gives a target back (stopped before it ended): pending again, what it undid and the time spent kept. */
  async release(runId: string, worker: string, claim: Pick<RollbackClaim, 'target' | 'claims'>, o: Pick<RollbackOutcome, 'rolledBack' | 'elapsedMs'>): Promise<boolean> {
    return this.control.session(async (c) => {
      const r = await c.query(
        `UPDATE ${CONTROL_SCHEMA}.fleet_rollback_target
            SET status = 'pending', worker = NULL, worker_pid = NULL, worker_backend_start = NULL, lease_until = NULL, current_step = NULL,
                rolled_back = (SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM unnest(rolled_back || $5::text[]) x), elapsed_ms = elapsed_ms + $6
          WHERE run_id = $1 AND target = $2 AND claims = $3 AND worker = $4 AND status = 'running'`,
        [runId, claim.target, claim.claims, worker, o.rolledBack, Math.round(o.elapsedMs)],
      );
      return (r.rowCount ?? 0) > 0;
    });
  }

  /**
   * Once no target of the current wave is pending or running: halts the rollback when one of
   * them failed or refused, else moves to the next older wave with targets to undo, or
   * finishes. Null while the wave is still being rolled back (or the rollback is not running).
   */
  async advance(runId: string): Promise<{ outcome: 'advanced' | 'halted' | 'done'; wave: number; next: number | null; failed: string[] } | null> {
    return this.control.transaction(async (c) => {
      const row = (await c.query(`SELECT * FROM ${CONTROL_SCHEMA}.fleet_rollback WHERE run_id = $1 AND status = 'running' AND NOT abort_requested FOR UPDATE`, [runId])).rows[0] as Record<string, unknown> | undefined;
      if (!row) return null;
      const rb = rollbackRow(row);
      if (rb.currentWave === null) return null;
      const rows = (await c.query(`SELECT target, status FROM ${CONTROL_SCHEMA}.fleet_rollback_target WHERE run_id = $1 AND generation = $2 AND wave = $3`, [runId, rb.generation, rb.currentWave])).rows as Array<{
        target: string;
        status: RollbackTargetStatus;
      }>;
      if (rows.some((x) => x.status === 'pending' || x.status === 'running')) return null;
      const failed = rows.filter((x) => x.status === 'failed' || x.status === 'refused').map((x) => x.target);
      if (failed.length) {
        const reason = `${failed.length} target${failed.length === 1 ? '' : 's'} of the wave could not be rolled back (${failed.slice(0, 5).join(', ')}${failed.length > 5 ? ', ...' : ''}): the older waves are left as they are`;
        await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_rollback SET status = 'halted', reason = $2, updated_at = now() WHERE run_id = $1`, [runId, reason]);
        return { outcome: 'halted', wave: rb.currentWave, next: null, failed };
      }
      const next = (await c.query(`SELECT max(wave) AS w FROM ${CONTROL_SCHEMA}.fleet_rollback_target WHERE run_id = $1 AND generation = $2 AND wave < $3 AND status IN ('pending', 'running')`, [runId, rb.generation, rb.currentWave])).rows[0]?.w as
        | number
        | null;
      if (next === null || next === undefined) {
        await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_rollback SET status = 'done', reason = NULL, finished_at = now(), updated_at = now() WHERE run_id = $1`, [runId]);
        return { outcome: 'done', wave: rb.currentWave, next: null, failed };
      }
      await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_rollback SET current_wave = $2, updated_at = now() WHERE run_id = $1`, [runId, Number(next)]);
      return { outcome: 'advanced', wave: rb.currentWave, next: Number(next), failed };
    });
  }

  /** `ddlguard fleet abort` of a running rollback: no new claims; with stopRunning, running targets stop after their current step. */
  async abort(runId: string, by: string, stopRunning: boolean): Promise<boolean> {
    if (!(await this.schemaExists())) return false;
    return this.control.session(async (c) => {
      const r = await c.query(
        `UPDATE ${CONTROL_SCHEMA}.fleet_rollback SET abort_requested = true, stop_running = stop_running OR $3, status = 'aborted', reason = $2, updated_at = now()
          WHERE run_id = $1 AND status = 'running'`,
        [runId, `aborted by ${by} at ${new Date().toISOString()}${stopRunning ? ' (running targets asked to stop)' : ''}`, stopRunning],
      );
      return (r.rowCount ?? 0) > 0;
    });
  }

  /** Per wave of the current generation, newest first: targets by rollback status, and the slowest target. */
  async progress(rb: RollbackRecord, waveNames: ReadonlyMap<number, string>): Promise<WaveProgress[]> {
    const rows = (await this.loadTargets(rb.runId)).filter((t) => t.generation === rb.generation);
    const now = Date.now();
    const waves = [...new Set(rows.map((t) => t.wave))].sort((a, b) => b - a);
    return waves.map((wave) => {
      const ts = rows.filter((t) => t.wave === wave);
      const n = (...s: RollbackTargetStatus[]) => ts.filter((t) => s.includes(t.status)).length;
      const failed = n('failed', 'refused');
      const open = n('pending', 'running');
      const status: WaveProgress['status'] = open === 0 ? (failed ? 'failed' : 'rolled-back') : wave === rb.currentWave ? 'running' : 'pending';
      const running = ts.filter((t) => t.status === 'running').sort((a, b) => Date.parse(a.claimedAt ?? '') - Date.parse(b.claimedAt ?? ''))[0];
      const ended = ts.filter((t) => t.finishedAt).sort((a, b) => b.elapsedMs - a.elapsedMs)[0];
      const slowest = running
        ? { target: running.target, ms: now - Date.parse(running.claimedAt ?? new Date(now).toISOString()) + running.elapsedMs, step: running.currentStep, running: true }
        : ended
          ? { target: ended.target, ms: ended.elapsedMs, step: null, running: false }
          : null;
      return { wave, name: waveNames.get(wave) ?? String(wave), status, total: ts.length, pending: n('pending'), running: n('running'), done: n('rolled-back', 'nothing'), failed, slowest };
    });
  }
}
