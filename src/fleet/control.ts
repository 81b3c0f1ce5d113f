/**
 * The control database of fleet runs: schema `ddlguard`, a run table, one row per wave and
 * one per target. PostgreSQL is the coordinator: workers claim targets with
 * `FOR UPDATE SKIP LOCKED` under a lease, one worker at a time evaluates a wave's gates
 * (a gate lease), and every state change is a row update fenced by who holds the claim.
 *
 * A target's row names where its apply state lives (its URL as stored, schema, search_path
 * and `state_key`, the plan_id of its rows in that database's ddlguard.apply_plan /
 * apply_step) and the steps found done after its last apply: what `ddlguard rollback
 * --control` needs to undo a run wave by wave (its own records: ./rollback-control.ts).
 */
import os from 'node:os';
import type pg from 'pg';
import { LOCK_KEY1, STATE_DDL_KEY2 } from '../apply/lock.js';
import { closeQuietly, connect, redactError } from '../db/connection.js';
import { FleetError } from './errors.js';
import type { Redactor } from './secrets.js';
import type { GateResult, Gates, RunRecord, RunStatus, TargetApplyOptions, TargetRecord, TargetStatus, WaveRecord, WaveStatus } from './types.js';

export const CONTROL_SCHEMA = 'ddlguard';

const DDL = `
CREATE SCHEMA IF NOT EXISTS ${CONTROL_SCHEMA};
CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.fleet_run (
  run_id          text PRIMARY KEY,
  plan_id         text NOT NULL,
  plan_hash       text NOT NULL,
  plan            jsonb NOT NULL,
  apply_options   jsonb NOT NULL DEFAULT '{}',
  concurrency     int NOT NULL,
  lease_ms        int NOT NULL,
  fleet_file      text,
  status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'paused', 'halted', 'aborted', 'done')),
  current_wave    int NOT NULL DEFAULT 0,
  reason          text,
  abort_requested boolean NOT NULL DEFAULT false,
  stop_running    boolean NOT NULL DEFAULT false,
  created_by      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.fleet_wave (
  run_id           text NOT NULL REFERENCES ${CONTROL_SCHEMA}.fleet_run (run_id) ON DELETE CASCADE,
  wave             int NOT NULL,
  name             text NOT NULL,
  gates            jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'gating', 'passed', 'failed')),
  gate_worker      text,
  gate_lease_until timestamptz,
  soak_until       timestamptz,
  gate_result      jsonb,
  overridden_by    text,
  started_at       timestamptz,
  finished_at      timestamptz,
  PRIMARY KEY (run_id, wave)
);
CREATE TABLE IF NOT EXISTS ${CONTROL_SCHEMA}.fleet_target (
  run_id               text NOT NULL REFERENCES ${CONTROL_SCHEMA}.fleet_run (run_id) ON DELETE CASCADE,
  target               text NOT NULL,
  wave                 int NOT NULL,
  ordinal              int NOT NULL,
  url                  text NOT NULL,
  db_name              text,
  schema_name          text,
  search_path          text[],
  state_key            text NOT NULL,
  status               text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  claims               int NOT NULL DEFAULT 0,
  worker               text,
  worker_pid           int,
  worker_backend_start timestamptz,
  lease_until          timestamptz,
  claimed_at           timestamptz,
  current_step         text,
  steps_done           text[] NOT NULL DEFAULT '{}',
  ran                  text[] NOT NULL DEFAULT '{}',
  failed_step          text,
  error                text,
  sqlstate             text,
  check_error          text,
  started_at           timestamptz,
  finished_at          timestamptz,
  elapsed_ms           bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, target)
);
CREATE INDEX IF NOT EXISTS fleet_target_claim_idx ON ${CONTROL_SCHEMA}.fleet_target (run_id, wave, ordinal) WHERE status IN ('pending', 'running');`;

/** The status of a run's fleet rollback (its table exists once a rollback was recorded on this control database). */
async function rollbackStatusOf(c: pg.Client, runId: string): Promise<string | null> {
  const t = await c.query(`SELECT to_regclass('${CONTROL_SCHEMA}.fleet_rollback') IS NOT NULL AS ok`);
  if (!t.rows[0]?.ok) return null;
  const r = await c.query(`SELECT status FROM ${CONTROL_SCHEMA}.fleet_rollback WHERE run_id = $1`, [runId]);
  return r.rows[0] ? String(r.rows[0].status) : null;
}

/** Why a run that has been (or is being) rolled back is not applied again. */
export function rolledBackMessage(runId: string, status: string): string {
  return `fleet run ${JSON.stringify(runId)} ${status === 'done' ? 'was rolled back' : `is being rolled back (rollback ${status})`}: it is not applied again; start a new run (--run NEW_ID) to apply the plan again${status === 'done' ? '' : ', once the rollback is done'}`;
}

/** Who is acting, for the records (`user@host pid 123`). */
export function actor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return `${user}@${os.hostname()} pid ${process.pid}`;
}

/** A timestamp column as an ISO string (null stays null). */
export const iso = (v: unknown): string | null => (v ? new Date(v as string).toISOString() : null);

function runRow(r: Record<string, unknown>): RunRecord {
  return {
    runId: String(r.run_id),
    planId: String(r.plan_id),
    planHash: String(r.plan_hash),
    plan: r.plan,
    applyOptions: (r.apply_options ?? {}) as TargetApplyOptions,
    concurrency: Number(r.concurrency),
    leaseMs: Number(r.lease_ms),
    fleetFile: (r.fleet_file as string | null) ?? null,
    status: String(r.status) as RunStatus,
    currentWave: Number(r.current_wave),
    reason: (r.reason as string | null) ?? null,
    abortRequested: Boolean(r.abort_requested),
    stopRunning: Boolean(r.stop_running),
    createdBy: (r.created_by as string | null) ?? null,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    finishedAt: iso(r.finished_at),
  };
}

function waveRow(r: Record<string, unknown>): WaveRecord {
  return {
    wave: Number(r.wave),
    name: String(r.name),
    gates: r.gates as Gates,
    status: String(r.status) as WaveStatus,
    gateWorker: (r.gate_worker as string | null) ?? null,
    soakUntil: iso(r.soak_until),
    gateResult: (r.gate_result as GateResult | null) ?? null,
    overriddenBy: (r.overridden_by as string | null) ?? null,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

function targetRow(r: Record<string, unknown>): TargetRecord {
  return {
    target: String(r.target),
    wave: Number(r.wave),
    ordinal: Number(r.ordinal),
    url: String(r.url),
    dbName: (r.db_name as string | null) ?? null,
    schema: (r.schema_name as string | null) ?? null,
    searchPath: (r.search_path as string[] | null) ?? null,
    stateKey: String(r.state_key),
    status: String(r.status) as TargetStatus,
    claims: Number(r.claims),
    worker: (r.worker as string | null) ?? null,
    leaseUntil: iso(r.lease_until),
    claimedAt: iso(r.claimed_at),
    currentStep: (r.current_step as string | null) ?? null,
    stepsDone: (r.steps_done as string[] | null) ?? [],
    ran: (r.ran as string[] | null) ?? [],
    failedStep: (r.failed_step as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    sqlstate: (r.sqlstate as string | null) ?? null,
    checkError: (r.check_error as string | null) ?? null,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    elapsedMs: Number(r.elapsed_ms),
  };
}

export interface NewTarget {
  name: string;
  url: string;
  dbName: string | null;
  schema: string | null;
  searchPath: string[] | null;
  stateKey: string;
}

export interface NewRun {
  runId: string;
  planId: string;
  planHash: string;
  plan: unknown;
  applyOptions: TargetApplyOptions;
  concurrency: number;
  leaseMs: number;
  fleetFile: string | null;
  waves: Array<{ name: string; gates: Gates; targets: NewTarget[] }>;
}

export interface WaveProgress {
  wave: number;
  name: string;
  /** A rollout wave's status; a rollback's waves are `rolled-back` once every target of them is. */
  status: WaveStatus | 'rolled-back';
  total: number;
  pending: number;
  running: number;
  done: number;
  failed: number;
  slowest: { target: string; ms: number; step: string | null; running: boolean } | null;
}

/** A claimed target: the record plus the claim number that fences every later write. */
export type Claim = TargetRecord;

/** A step completed on a target, as the worker records it when the target ends. */
export interface TargetOutcome {
  status: 'done' | 'failed';
  ran: string[];
  stepsDone: string[];
  failedStep: string | null;
  error: string | null;
  sqlstate: string | null;
  elapsedMs: number;
}

/**
 * One session to the control database. Every call is serialised (a transaction never
 * interleaves with another call), and the session's backend is the worker's heartbeat:
 * a target claimed by a session that no longer exists is free again at once.
 */
export class ControlDb {
  private chain: Promise<unknown> = Promise.resolve();
  private constructor(
    private client: pg.Client,
    readonly url: string,
    private readonly redactor: Redactor,
  ) {}

  /** Connects; a missing or unreachable control database is a FleetError naming it (password masked). */
  static async open(url: string, redactor: Redactor): Promise<ControlDb> {
    redactor.add(url);
    let client: pg.Client;
    try {
      client = await connect(url, { applicationName: 'ddlguard-fleet' });
    } catch (err) {
      const e = redactError(err, url);
      const shown = redactor.url(url);
      if (e.code === '3D000') throw new FleetError(`control database ${shown} does not exist: create it, or pass --control with another database (${redactor.text(e.message)})`);
      throw new FleetError(`cannot connect to the control database ${shown}: ${redactor.text(e.message)}`);
    }
    return new ControlDb(client, url, redactor);
  }

  async close(): Promise<void> {
    await this.chain.catch(() => {});
    await closeQuietly(this.client);
  }

  /** Replaces a broken session (the claims it held may be taken by other workers meanwhile). */
  async reconnect(): Promise<void> {
    await closeQuietly(this.client);
    const fresh = await ControlDb.open(this.url, this.redactor);
    this.client = fresh.client;
  }

  /** Runs `fn` on the session, after every call before it (the rollback's records use it too: ./rollback-control.ts). */
  session<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    return this.run(fn);
  }

  /** Runs `fn` in a transaction on the session, after every call before it. */
  transaction<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    return this.tx(fn);
  }

  /** The status of the fleet rollback of a run (`ddlguard rollback --control`), or null when it was never rolled back. */
  async rollbackStatus(runId: string): Promise<string | null> {
    return this.run((c) => rollbackStatusOf(c, runId));
  }

  private run<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const next = this.chain.then(
      () => fn(this.client),
      () => fn(this.client),
    );
    this.chain = next.catch(() => {});
    return next;
  }

  private tx<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    return this.run(async (c) => {
      await c.query('BEGIN');
      try {
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  async schemaExists(): Promise<boolean> {
    return this.run(async (c) => Boolean((await c.query(`SELECT to_regclass('${CONTROL_SCHEMA}.fleet_target') IS NOT NULL AS ok`)).rows[0]?.ok));
  }

  async ensureSchema(): Promise<void> {
    if (await this.schemaExists()) return;
    await this.tx(async (c) => {
      await c.query(`SET LOCAL lock_timeout = '5s'`);
      await c.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [LOCK_KEY1, STATE_DDL_KEY2]);
      await c.query(DDL);
    });
  }

  /** Creates the run with its waves and targets (wave 0 running). Returns false when the id exists. */
  async createRun(r: NewRun): Promise<boolean> {
    return this.tx(async (c) => {
      const ins = await c.query(
        `INSERT INTO ${CONTROL_SCHEMA}.fleet_run (run_id, plan_id, plan_hash, plan, apply_options, concurrency, lease_ms, fleet_file, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (run_id) DO NOTHING RETURNING run_id`,
        [r.runId, r.planId, r.planHash, JSON.stringify(r.plan), JSON.stringify(r.applyOptions), r.concurrency, r.leaseMs, r.fleetFile, actor()],
      );
      if (ins.rowCount === 0) return false;
      let ordinal = 0;
      for (const [i, w] of r.waves.entries()) {
        await c.query(
          `INSERT INTO ${CONTROL_SCHEMA}.fleet_wave (run_id, wave, name, gates, status, started_at) VALUES ($1, $2, $3, $4, $5, CASE WHEN $2 = 0 THEN now() END)`,
          [r.runId, i, w.name, JSON.stringify(w.gates), i === 0 ? 'running' : 'pending'],
        );
        const t = w.targets;
        if (t.length === 0) continue;
        // One statement per wave: thousands of tenants are one round trip each wave.
        await c.query(
          `INSERT INTO ${CONTROL_SCHEMA}.fleet_target (run_id, target, wave, ordinal, url, db_name, schema_name, search_path, state_key)
           SELECT $1, x.target, $2, $3 + x.o - 1, x.url, x.db_name, x.schema_name,
                  CASE WHEN x.search_path IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(x.search_path)) END, x.state_key
             FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::text[]) WITH ORDINALITY AS x(target, url, db_name, schema_name, search_path, state_key, o)`,
          [
            r.runId,
            i,
            ordinal,
            t.map((x) => x.name),
            t.map((x) => x.url),
            t.map((x) => x.dbName),
            t.map((x) => x.schema),
            t.map((x) => (x.searchPath ? JSON.stringify(x.searchPath) : null)),
            t.map((x) => x.stateKey),
          ],
        );
        ordinal += t.length;
      }
      return true;
    });
  }

  async loadRun(runId: string): Promise<RunRecord | null> {
    if (!(await this.schemaExists())) return null;
    return this.run(async (c) => {
      const r = await c.query(`SELECT * FROM ${CONTROL_SCHEMA}.fleet_run WHERE run_id = $1`, [runId]);
      return r.rows[0] ? runRow(r.rows[0] as Record<string, unknown>) : null;
    });
  }

  /** Runs, newest first. */
  async listRuns(): Promise<RunRecord[]> {
    if (!(await this.schemaExists())) return [];
    return this.run(async (c) => (await c.query(`SELECT * FROM ${CONTROL_SCHEMA}.fleet_run ORDER BY created_at DESC, run_id`)).rows.map((r) => runRow(r as Record<string, unknown>)));
  }

  async loadWaves(runId: string): Promise<WaveRecord[]> {
    return this.run(async (c) => (await c.query(`SELECT * FROM ${CONTROL_SCHEMA}.fleet_wave WHERE run_id = $1 ORDER BY wave`, [runId])).rows.map((r) => waveRow(r as Record<string, unknown>)));
  }

  async loadTargets(runId: string, wave?: number): Promise<TargetRecord[]> {
    return this.run(async (c) =>
      (await c.query(`SELECT * FROM ${CONTROL_SCHEMA}.fleet_target WHERE run_id = $1 AND ($2::int IS NULL OR wave = $2) ORDER BY wave, ordinal`, [runId, wave ?? null])).rows.map((r) =>
        targetRow(r as Record<string, unknown>),
      ),
    );
  }

  /**
   * Claims up to `n` targets of the open waves (the current one, and earlier ones whose
   * failed targets `continue` re-queued): pending ones, and running ones whose lease
   * expired or whose worker's control session is gone. `reclaimOnly`: only the latter (a
   * wave over its failure limit starts nothing new, but what was started must end).
   */
  async claim(runId: string, worker: string, n: number, leaseMs: number, reclaimOnly = false): Promise<Claim[]> {
    if (n <= 0) return [];
    return this.run(async (c) => {
      const r = await c.query(
        `WITH run AS (
           SELECT current_wave FROM ${CONTROL_SCHEMA}.fleet_run WHERE run_id = $1 AND status = 'running' AND NOT abort_requested
         ), pick AS (
           SELECT t.target FROM ${CONTROL_SCHEMA}.fleet_target t, run
            WHERE t.run_id = $1 AND t.wave <= run.current_wave
              AND ((t.status = 'pending' AND NOT $5)
                   OR (t.status = 'running' AND (t.lease_until < now()
                        OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.pid = t.worker_pid AND a.backend_start = t.worker_backend_start))))
            ORDER BY t.wave, t.ordinal
            LIMIT $2
            FOR UPDATE OF t SKIP LOCKED
         )
         UPDATE ${CONTROL_SCHEMA}.fleet_target t
            SET status = 'running', claims = t.claims + 1, worker = $3, worker_pid = pg_backend_pid(),
                worker_backend_start = (SELECT a.backend_start FROM pg_catalog.pg_stat_activity a WHERE a.pid = pg_backend_pid()),
                lease_until = now() + make_interval(secs => $4 / 1000.0), claimed_at = now(), started_at = coalesce(t.started_at, now()),
                current_step = NULL, failed_step = NULL, error = NULL, sqlstate = NULL, check_error = NULL
           FROM pick WHERE t.run_id = $1 AND t.target = pick.target
         RETURNING t.*`,
        [runId, n, worker, leaseMs, reclaimOnly],
      );
      return r.rows.map((x) => targetRow(x as Record<string, unknown>)).sort((a, b) => a.wave - b.wave || a.ordinal - b.ordinal);
    });
  }

  /** Extends the leases of this worker's claims (and ties them to this session, after a reconnect); returns the targets whose claim it lost. */
  async renew(runId: string, worker: string, claims: ReadonlyArray<{ target: string; claims: number }>, leaseMs: number): Promise<string[]> {
    if (claims.length === 0) return [];
    return this.run(async (c) => {
      const r = await c.query(
        `UPDATE ${CONTROL_SCHEMA}.fleet_target t SET lease_until = now() + make_interval(secs => $3 / 1000.0),
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

  async setCurrentStep(runId: string, claim: Claim, step: string | null): Promise<void> {
    await this.run((c) =>
      c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_target SET current_step = $4 WHERE run_id = $1 AND target = $2 AND claims = $3 AND status = 'running'`, [runId, claim.target, claim.claims, step]),
    );
  }

  /** Records a target's end. False when the claim was lost (another worker took the target). */
  async finish(runId: string, worker: string, claim: Claim, o: TargetOutcome): Promise<boolean> {
    return this.run(async (c) => {
      const r = await c.query(
        `UPDATE ${CONTROL_SCHEMA}.fleet_target
            SET status = $5, ran = (SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM unnest(ran || $6::text[]) x), steps_done = $7,
                failed_step = $8, error = $9, sqlstate = $10, current_step = NULL, lease_until = NULL,
                finished_at = now(), elapsed_ms = elapsed_ms + $11
          WHERE run_id = $1 AND target = $2 AND claims = $3 AND worker = $4 AND status = 'running'`,
        [runId, claim.target, claim.claims, worker, o.status, o.ran, o.stepsDone, o.failedStep, o.error, o.sqlstate, Math.round(o.elapsedMs)],
      );
      return (r.rowCount ?? 0) > 0;
    });
  }

  /** Gives a target back (stopped before it ended): pending again, the time spent kept. */
  async release(runId: string, worker: string, claim: Claim, o: Pick<TargetOutcome, 'ran' | 'stepsDone' | 'elapsedMs'>): Promise<boolean> {
    return this.run(async (c) => {
      const r = await c.query(
        `UPDATE ${CONTROL_SCHEMA}.fleet_target
            SET status = 'pending', worker = NULL, worker_pid = NULL, worker_backend_start = NULL, lease_until = NULL, current_step = NULL,
                ran = (SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM unnest(ran || $5::text[]) x), steps_done = $6, elapsed_ms = elapsed_ms + $7
          WHERE run_id = $1 AND target = $2 AND claims = $3 AND worker = $4 AND status = 'running'`,
        [runId, claim.target, claim.claims, worker, o.ran, o.stepsDone, Math.round(o.elapsedMs)],
      );
      return (r.rowCount ?? 0) > 0;
    });
  }

  /** The current wave's targets by status. */
  async waveCounts(runId: string, wave: number): Promise<{ total: number; pending: number; running: number; failed: number }> {
    return this.run(async (c) => {
      const r = await c.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'running')::int AS running,
                count(*) FILTER (WHERE status = 'failed')::int AS failed
           FROM ${CONTROL_SCHEMA}.fleet_target WHERE run_id = $1 AND wave = $2`,
        [runId, wave],
      );
      const x = r.rows[0] as { total: number; pending: number; running: number; failed: number };
      return { total: x.total, pending: x.pending, running: x.running, failed: x.failed };
    });
  }

  /**
   * Takes the gate of the current wave once no target of it (or of an earlier wave) is
   * pending or running, or takes over a gate whose evaluator's lease expired. `early`: the
   * wave already has more failures than its gate allows, so only running targets are waited
   * for (the pending ones stay pending: the gate halts the run before they start).
   */
  async takeGate(runId: string, worker: string, leaseMs: number, early = false): Promise<WaveRecord | null> {
    return this.run(async (c) => {
      const r = await c.query(
        `UPDATE ${CONTROL_SCHEMA}.fleet_wave w
            SET status = 'gating', gate_worker = $2, gate_lease_until = now() + make_interval(secs => $3 / 1000.0)
           FROM ${CONTROL_SCHEMA}.fleet_run r
          WHERE w.run_id = $1 AND r.run_id = w.run_id AND r.status = 'running' AND NOT r.abort_requested AND w.wave = r.current_wave
            AND (w.status = 'running' OR (w.status = 'gating' AND w.gate_lease_until < now()))
            AND NOT EXISTS (SELECT 1 FROM ${CONTROL_SCHEMA}.fleet_target t WHERE t.run_id = w.run_id AND t.wave <= w.wave
                              AND (t.status = 'running' OR (t.status = 'pending' AND NOT $4)))
          RETURNING w.*`,
        [runId, worker, leaseMs, early],
      );
      return r.rows[0] ? waveRow(r.rows[0] as Record<string, unknown>) : null;
    });
  }

  /** Extends the gate lease (and sets when the soak ends, once). False when the gate was lost. */
  async renewGate(runId: string, wave: number, worker: string, leaseMs: number, soakMs?: number): Promise<{ held: boolean; soakUntil: string | null }> {
    return this.run(async (c) => {
      const r = await c.query(
        `UPDATE ${CONTROL_SCHEMA}.fleet_wave SET gate_lease_until = now() + make_interval(secs => $4 / 1000.0),
                soak_until = CASE WHEN $5::float8 IS NULL THEN soak_until ELSE coalesce(soak_until, now() + make_interval(secs => $5 / 1000.0)) END
          WHERE run_id = $1 AND wave = $2 AND gate_worker = $3 AND status = 'gating' RETURNING soak_until`,
        [runId, wave, worker, leaseMs, soakMs ?? null],
      );
      const row = r.rows[0] as { soak_until: string | null } | undefined;
      return { held: row !== undefined, soakUntil: iso(row?.soak_until) };
    });
  }

  /** Marks check failures on targets (cleared when the gate passes). */
  async setCheckErrors(runId: string, errors: ReadonlyMap<string, string | null>): Promise<void> {
    if (errors.size === 0) return;
    await this.run((c) =>
      c.query(
        `UPDATE ${CONTROL_SCHEMA}.fleet_target t SET check_error = x.err FROM unnest($2::text[], $3::text[]) AS x(target, err) WHERE t.run_id = $1 AND t.target = x.target`,
        [runId, [...errors.keys()], [...errors.values()]],
      ),
    );
  }

  /**
   * Records a gate's verdict and moves the run on: passed -> the next wave (or paused after a
   * wave with `pause`, or done after the last); failed -> the run halts. 'lost' when this
   * worker no longer held the gate.
   */
  async finishGate(runId: string, wave: number, worker: string, result: GateResult): Promise<'advanced' | 'paused' | 'done' | 'halted' | 'lost'> {
    return this.tx(async (c) => {
      const w = await c.query(`SELECT * FROM ${CONTROL_SCHEMA}.fleet_wave WHERE run_id = $1 AND wave = $2 AND gate_worker = $3 AND status = 'gating' FOR UPDATE`, [runId, wave, worker]);
      const row = w.rows[0] as Record<string, unknown> | undefined;
      if (!row) return 'lost';
      const gates = row.gates as Gates;
      const last = Number((await c.query(`SELECT max(wave) AS m FROM ${CONTROL_SCHEMA}.fleet_wave WHERE run_id = $1`, [runId])).rows[0].m);
      await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_wave SET status = $3, gate_result = $4, finished_at = now(), gate_lease_until = NULL WHERE run_id = $1 AND wave = $2`, [
        runId,
        wave,
        result.passed ? 'passed' : 'failed',
        JSON.stringify(result),
      ]);
      const name = String(row.name);
      if (!result.passed) {
        await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_run SET status = 'halted', reason = $2, updated_at = now() WHERE run_id = $1 AND status = 'running'`, [runId, result.reason]);
        return 'halted';
      }
      await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_target SET check_error = NULL WHERE run_id = $1 AND wave = $2 AND check_error IS NOT NULL`, [runId, wave]);
      return this.advance(c, runId, wave, name, last, gates.pause);
    });
  }

  private async advance(c: pg.Client, runId: string, wave: number, name: string, last: number, pause: boolean): Promise<'advanced' | 'paused' | 'done'> {
    if (wave >= last) {
      await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_run SET status = 'done', reason = NULL, finished_at = now(), updated_at = now() WHERE run_id = $1 AND status = 'running'`, [runId]);
      return 'done';
    }
    if (pause) {
      await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_run SET status = 'paused', reason = $2, updated_at = now() WHERE run_id = $1 AND status = 'running'`, [
        runId,
        `paused after wave ${name} (its gates say pause): \`ddlguard fleet continue\` starts the next wave`,
      ]);
      return 'paused';
    }
    await this.openWave(c, runId, wave + 1);
    return 'advanced';
  }

  private async openWave(c: pg.Client, runId: string, wave: number): Promise<void> {
    await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_run SET current_wave = $2, status = 'running', reason = NULL, updated_at = now() WHERE run_id = $1`, [runId, wave]);
    await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_wave SET status = 'running', started_at = coalesce(started_at, now()), soak_until = NULL WHERE run_id = $1 AND wave = $2`, [runId, wave]);
  }

  /**
   * `ddlguard fleet continue`: a paused run starts its next wave; a halted one re-queues its
   * failed targets and evaluates the gate again (or, with skipGate, passes it as is); a done
   * run with failed targets re-queues them; an aborted one resumes. Returns what it did.
   */
  async continueRun(runId: string, by: string, skipGate: boolean): Promise<{ did: string; requeued: string[] }> {
    return this.tx(async (c) => {
      const r = await c.query(`SELECT * FROM ${CONTROL_SCHEMA}.fleet_run WHERE run_id = $1 FOR UPDATE`, [runId]);
      if (!r.rows[0]) throw new FleetError(`no fleet run ${JSON.stringify(runId)} in the control database`);
      const run = runRow(r.rows[0] as Record<string, unknown>);
      const rolledBack = await rollbackStatusOf(c, runId);
      if (rolledBack !== null) throw new FleetError(rolledBackMessage(runId, rolledBack));
      const waves = (await c.query(`SELECT * FROM ${CONTROL_SCHEMA}.fleet_wave WHERE run_id = $1 ORDER BY wave FOR UPDATE`, [runId])).rows.map((x) => waveRow(x as Record<string, unknown>));
      const cur = waves[run.currentWave]!;
      const last = waves.length - 1;
      const requeue = async (): Promise<string[]> =>
        (
          await c.query(
            `UPDATE ${CONTROL_SCHEMA}.fleet_target SET status = 'pending', worker = NULL, lease_until = NULL WHERE run_id = $1 AND wave <= $2 AND status = 'failed' RETURNING target`,
            [runId, run.currentWave],
          )
        ).rows.map((x: { target: string }) => x.target);
      const unabort = `UPDATE ${CONTROL_SCHEMA}.fleet_run SET abort_requested = false, stop_running = false, status = 'running', reason = NULL, finished_at = NULL, updated_at = now() WHERE run_id = $1`;
      if (run.status === 'running' && !run.abortRequested) return { did: `run ${runId} is already running (wave ${cur.name})`, requeued: [] };
      if (run.status === 'paused') {
        await c.query(unabort, [runId]);
        await this.openWave(c, runId, run.currentWave + 1);
        return { did: `passed the pause after wave ${cur.name}: wave ${waves[run.currentWave + 1]!.name} starts`, requeued: [] };
      }
      if (run.status === 'halted' && skipGate) {
        await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_wave SET status = 'passed', overridden_by = $3, finished_at = now() WHERE run_id = $1 AND wave = $2`, [runId, run.currentWave, `${by} at ${new Date().toISOString()}`]);
        await c.query(unabort, [runId]);
        const next = await this.advance(c, runId, run.currentWave, cur.name, last, false);
        return { did: `passed the failed gate of wave ${cur.name} as it is (--skip-gate)${next === 'done' ? '; it was the last wave: run done' : `: wave ${waves[run.currentWave + 1]!.name} starts`}`, requeued: [] };
      }
      // halted, aborted, or done with failures: re-queue the failed targets, evaluate the gate again.
      await c.query(unabort, [runId]);
      const requeued = await requeue();
      if (run.status === 'done' && requeued.length === 0) {
        await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_run SET status = 'done', finished_at = coalesce($2::timestamptz, now()) WHERE run_id = $1`, [runId, run.finishedAt]);
        return { did: `run ${runId} is done; nothing failed, nothing to continue`, requeued };
      }
      if (cur.status === 'failed' || cur.status === 'passed' || cur.status === 'gating') {
        await c.query(`UPDATE ${CONTROL_SCHEMA}.fleet_wave SET status = 'running', soak_until = NULL, gate_worker = NULL, gate_lease_until = NULL, finished_at = NULL WHERE run_id = $1 AND wave = $2`, [
          runId,
          run.currentWave,
        ]);
      }
      const what = run.status === 'aborted' ? 'resumed the aborted run' : run.status === 'done' ? 'reopened the run' : `reopened wave ${cur.name}`;
      return { did: `${what}: ${requeued.length} failed target${requeued.length === 1 ? '' : 's'} re-queued${requeued.length ? ` (${requeued.slice(0, 5).join(', ')}${requeued.length > 5 ? ', ...' : ''})` : ''}; the gate is evaluated again`, requeued };
    });
  }

  /** Per wave: targets by status, and the slowest target (running the longest, else the longest done). */
  async progress(runId: string): Promise<WaveProgress[]> {
    return this.run(async (c) => {
      const r = await c.query(
        `SELECT w.wave, w.name, w.status,
                count(t.target)::int AS total,
                count(t.target) FILTER (WHERE t.status = 'pending')::int AS pending,
                count(t.target) FILTER (WHERE t.status = 'running')::int AS running,
                count(t.target) FILTER (WHERE t.status = 'done')::int AS done,
                count(t.target) FILTER (WHERE t.status = 'failed')::int AS failed,
                (SELECT json_build_object('target', s.target, 'ms', (extract(epoch FROM now() - s.claimed_at) * 1000)::bigint + s.elapsed_ms, 'step', s.current_step, 'running', true)
                   FROM ${CONTROL_SCHEMA}.fleet_target s WHERE s.run_id = w.run_id AND s.wave = w.wave AND s.status = 'running' ORDER BY s.claimed_at LIMIT 1) AS slowest_running,
                (SELECT json_build_object('target', s.target, 'ms', s.elapsed_ms, 'step', NULL, 'running', false)
                   FROM ${CONTROL_SCHEMA}.fleet_target s WHERE s.run_id = w.run_id AND s.wave = w.wave AND s.status IN ('done', 'failed') ORDER BY s.elapsed_ms DESC LIMIT 1) AS slowest_done
           FROM ${CONTROL_SCHEMA}.fleet_wave w LEFT JOIN ${CONTROL_SCHEMA}.fleet_target t ON t.run_id = w.run_id AND t.wave = w.wave
          WHERE w.run_id = $1 GROUP BY w.run_id, w.wave, w.name, w.status ORDER BY w.wave`,
        [runId],
      );
      return r.rows.map((x: Record<string, unknown>) => ({
        wave: Number(x.wave),
        name: String(x.name),
        status: String(x.status) as WaveStatus,
        total: Number(x.total),
        pending: Number(x.pending),
        running: Number(x.running),
        done: Number(x.done),
        failed: Number(x.failed),
        slowest: ((x.slowest_running ?? x.slowest_done) as WaveProgress['slowest']) ?? null,
      }));
    });
  }

  /** Stops claiming new targets; with stopRunning, running targets stop after their current batch or step. */
  async abortRun(runId: string, by: string, stopRunning: boolean): Promise<RunStatus | null> {
    return this.run(async (c) => {
      const r = await c.query(
        `UPDATE ${CONTROL_SCHEMA}.fleet_run SET abort_requested = true, stop_running = stop_running OR $3, status = 'aborted', reason = $2, updated_at = now()
          WHERE run_id = $1 AND status IN ('running', 'paused', 'halted') RETURNING status`,
        [runId, `aborted by ${by} at ${new Date().toISOString()}${stopRunning ? ' (running targets asked to stop)' : ''}`, stopRunning],
      );
      return r.rows[0] ? (String(r.rows[0].status) as RunStatus) : null;
    });
  }
}
