/**
 * Measures a plan on the scratch database: it runs with the existing applier
 * (src/apply, the same step ids `apply --format json` prints in `step.done`)
 * while a sampler on its own connection records, every `everyMs`, the WAL
 * position, the database's size and the longest lock wait of any session. Per
 * step: duration, lock waits, the workload's latency and failures, backfill
 * rows/s and batch sizes, WAL bytes and peak extra disk.
 * `measureStatements` does the same for the migration as written (`--naive`).
 */
import type pg from 'pg';
import { applyPlan } from '../apply/runner.js';
import type { ApplyEvent, ApplyLogger, ProgressInfo } from '../apply/log.js';
import type { Plan, PlanStep } from '../apply/types.js';
import { closeQuietly, connect, redactError } from '../db/connection.js';
import { summarise, type LatencyRecord, type LatencySummary } from './workload.js';

export type WorkKind = 'backfill' | 'index' | 'rewrite' | 'scan' | 'catalog';

export interface Sample {
  /** When the sample was asked for, and when its values were read (at the latest). */
  t: number;
  done: number;
  lsn: bigint;
  dbBytes: number;
  lockWaitMs: number;
}

export interface BatchRecord {
  size: number;
  rows: number;
  ms: number;
  atMs: number;
}

/** The step's table as the step began: its heap and each index, with the index's leading column (null: an expression). */
export interface RelationSnapshot {
  heapBytes: number;
  rows: number;
  indexes: Array<{ name: string; bytes: number; leading: string | null }>;
}

export interface StepMeasure {
  id: string;
  kind: WorkKind;
  /** The table the step works on (`schema.table`) and its rows on the scratch. */
  table: string | null;
  tableRows: number;
  tableBytes: number;
  start: number;
  end: number;
  ms: number;
  status: 'done' | 'skipped' | 'failed';
  rowsUpdated: number | null;
  batches: number | null;
  batchSizes: number[];
  /**
   * Every committed batch of a backfill, in order: the size asked for, the rows it covered, its
   * transaction's duration and when it was committed (ms from the step's start). The cost model
   * reads the per-row cost and the time between batches from it.
   */
  batchLog: BatchRecord[];
  /** The table's heap and indexes when the step began (null when it has no table or could not be read). */
  relation: RelationSnapshot | null;
  rowsPerSec: number | null;
  lockWaitMaxMs: number;
  workload: LatencySummary;
  walBytes: number;
  extraDiskBytes: number;
  sql: string;
}

/** The kind of work a step does, for the cost model. */
export function stepKind(step: Pick<PlanStep, 'batch' | 'sql' | 'risk'>): WorkKind {
  if (step.batch) return 'backfill';
  if (/^\s*create\s+(unique\s+)?index\b/i.test(step.sql)) return 'index';
  if (/\badd\s+constraint\b[\s\S]*\b(primary\s+key|unique)\b/i.test(step.sql) && !/\busing\s+index\b/i.test(step.sql)) return 'index';
  if (step.risk === 'blocking-rewrite') return 'rewrite';
  if (step.risk === 'scan' || step.risk === 'blocking-scan') return 'scan';
  return 'catalog';
}

// The insert position, not pg_current_wal_lsn's write position: with synchronous_commit off a
// step's WAL may not be written yet when the sample after it is read (seen as 0 WAL bytes).
const SAMPLE_SQL = `SELECT pg_catalog.pg_current_wal_insert_lsn()::text AS lsn, pg_catalog.pg_database_size(current_database()) AS size,
  COALESCE((SELECT max(extract(epoch FROM clock_timestamp() - query_start) * 1000) FROM pg_catalog.pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()), 0) AS lockwait`;

const RELATION_SQL = `SELECT pg_catalog.pg_relation_size(c.oid) AS heap, GREATEST(c.reltuples, 0)::bigint AS rows,
  (SELECT json_agg(json_build_object('name', i.relname, 'bytes', pg_catalog.pg_relation_size(i.oid), 'leading', CASE WHEN x.indkey[0] = 0 THEN NULL ELSE a.attname END))
     FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
     LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
    WHERE x.indrelid = c.oid) AS indexes
  FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass(pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident($2))`;

function lsnToBig(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/** Samples WAL position, database size and lock waits on its own connection. */
export class Sampler {
  readonly samples: Sample[] = [];
  private c: pg.Client | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly everyMs = 100,
  ) {}

  async start(): Promise<void> {
    this.c = await connect(this.url, { applicationName: 'ddlguard-rehearse-sampler' });
    await this.sample();
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await new Promise((r) => setTimeout(r, this.everyMs));
        await this.sample().catch(() => {});
      }
    })();
  }

  /** A sample now (at a step's start or end): its time is when it was asked for. */
  mark(): void {
    if (this.c) void this.sample(Date.now()).catch(() => {});
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** One sample; samples run one after another on the sampler's connection. */
  sample(at?: number): Promise<Sample> {
    const next = this.queue.then(() => this.take(at));
    this.queue = next.catch(() => {});
    return next;
  }

  /** The heap and indexes of `schema.table` now, read in turn with the samples. */
  relation(table: string): Promise<RelationSnapshot | null> {
    const dot = table.indexOf('.');
    const next = this.queue.then(async () => {
      if (!this.c) return null;
      const r = await this.c.query(RELATION_SQL, [table.slice(0, dot), table.slice(dot + 1)]);
      const row = r.rows[0] as { heap: string; rows: string; indexes: Array<{ name: string; bytes: number; leading: string | null }> | null } | undefined;
      return row ? { heapBytes: Number(row.heap), rows: Number(row.rows), indexes: (row.indexes ?? []).map((i) => ({ name: i.name, bytes: Number(i.bytes), leading: i.leading })) } : null;
    });
    this.queue = next.catch(() => {});
    return next.catch(() => null);
  }

  private async take(at?: number): Promise<Sample> {
    const r = await this.c!.query(SAMPLE_SQL);
    const s = { t: at ?? Date.now(), done: Date.now(), lsn: lsnToBig(String(r.rows[0].lsn)), dbBytes: Number(r.rows[0].size), lockWaitMs: Number(r.rows[0].lockwait) };
    this.samples.push(s);
    this.samples.sort((a, b) => a.t - b.t);
    return s;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.sample().catch(() => {});
    await closeQuietly(this.c);
  }

  /** WAL bytes, peak extra disk and the longest lock wait seen between two times. */
  window(from: number, to: number): { walBytes: number; extraDiskBytes: number; lockWaitMaxMs: number } {
    // Before: read before the window began; after: asked for once it had ended. A sample queued
    // behind another reads its values later than it was asked for.
    const before = [...this.samples].sort((a, b) => a.done - b.done).reverse().find((s) => s.done <= from) ?? this.samples[0];
    const after = this.samples.find((s) => s.t >= to) ?? this.samples[this.samples.length - 1];
    const inside = this.samples.filter((s) => s.t >= from && s.t <= (after?.t ?? to));
    if (!before || !after) return { walBytes: 0, extraDiskBytes: 0, lockWaitMaxMs: 0 };
    const peak = Math.max(before.dbBytes, ...inside.map((s) => s.dbBytes));
    return {
      walBytes: Number(after.lsn - before.lsn),
      extraDiskBytes: Math.max(0, peak - before.dbBytes),
      lockWaitMaxMs: Math.round(Math.max(0, ...inside.map((s) => s.lockWaitMs))),
    };
  }
}

async function tableSizes(url: string): Promise<Map<string, { rows: number; bytes: number }>> {
  const c = await connect(url);
  try {
    const r = await c.query(`SELECT n.nspname || '.' || c.relname AS key, GREATEST(c.reltuples, 0)::bigint AS rows, pg_catalog.pg_table_size(c.oid) AS bytes
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')`);
    return new Map(r.rows.map((x) => [String(x.key), { rows: Number(x.rows), bytes: Number(x.bytes) }]));
  } finally {
    await closeQuietly(c);
  }
}

/** `schema.table` of the table a step works on. */
export function stepTable(step: PlanStep): string | null {
  if (step.table) return `${step.table.schema}.${step.table.name}`;
  const rel = step.batch?.table ?? step.lock?.relation;
  if (!rel) return null;
  const parts = rel.split('.').map((p) => p.replace(/^"|"$/g, '').replace(/""/g, '"'));
  return parts.length === 2 ? `${parts[0]}.${parts[1]}` : `public.${parts[0]}`;
}

export interface PlanMeasure {
  steps: StepMeasure[];
  status: string;
  error: string | null;
  start: number;
  end: number;
}

/** Applies the whole plan (every phase) on the scratch and measures each step. */
export async function measurePlan(plan: Plan, url: string, records: () => readonly LatencyRecord[], opts: { sampleEveryMs?: number; backfill?: Record<string, number> } = {}): Promise<PlanMeasure> {
  const sizes = await tableSizes(url).catch((e) => {
    throw redactError(e, url);
  });
  const sampler = new Sampler(url, opts.sampleEveryMs);
  await sampler.start();
  const marks = new Map<string, { start: number; end?: number; ms?: number; status?: StepMeasure['status']; rowsUpdated?: number; batches?: number; batchSizes: number[]; batchLog: BatchRecord[]; relation?: Promise<RelationSnapshot | null> }>();
  const tableOf = new Map(plan.steps.map((s) => [s.id, stepTable(s)]));
  const logger: ApplyLogger = {
    emit(e: ApplyEvent) {
      const id = typeof e.step === 'string' ? e.step : undefined;
      if (!id) return;
      if (e.event === 'step.start') {
        const t = tableOf.get(id);
        marks.set(id, { start: Date.now(), batchSizes: [], batchLog: [], ...(t ? { relation: sampler.relation(t) } : {}) });
        sampler.mark();
      } else if (e.event === 'step.done' || e.event === 'step.skip' || e.event === 'step.failed') {
        sampler.mark();
        const m = marks.get(id) ?? { start: Date.now(), batchSizes: [], batchLog: [] };
        m.end = Date.now();
        m.ms = typeof e.ms === 'number' ? e.ms : m.end - m.start;
        m.status = e.event === 'step.done' ? 'done' : e.event === 'step.skip' ? 'skipped' : 'failed';
        if (typeof e.rowsUpdated === 'number') m.rowsUpdated = e.rowsUpdated;
        if (typeof e.batches === 'number') m.batches = e.batches;
        marks.set(id, m);
      }
    },
    progress(p: ProgressInfo) {
      const m = marks.get(p.step);
      if (m && p.batchSize && m.batchSizes[m.batchSizes.length - 1] !== p.batchSize) m.batchSizes.push(p.batchSize);
      if (m && p.batch) m.batchLog.push({ ...p.batch, atMs: Date.now() - m.start });
    },
  };
  const start = Date.now();
  const r = await applyPlan(plan, { db: url, phase: 'all', yes: true, allowBlocking: ['all'], logger, ...(opts.backfill ? { backfill: opts.backfill } : {}) });
  const end = Date.now();
  await sampler.stop();
  const steps: StepMeasure[] = [];
  for (const step of plan.steps) {
    const m = marks.get(step.id);
    if (!m || m.end === undefined) continue;
    const table = stepTable(step);
    const size = table ? sizes.get(table) : undefined;
    const w = sampler.window(m.start, m.end);
    const ms = m.ms ?? m.end - m.start;
    steps.push({
      id: step.id,
      kind: stepKind(step),
      table,
      tableRows: size?.rows ?? 0,
      tableBytes: size?.bytes ?? 0,
      start: m.start,
      end: m.end,
      ms,
      status: m.status ?? 'done',
      rowsUpdated: m.rowsUpdated ?? null,
      batches: m.batches ?? null,
      batchSizes: m.batchSizes,
      batchLog: m.batchLog,
      relation: m.relation ? await m.relation : null,
      rowsPerSec: m.rowsUpdated !== undefined && ms > 0 ? Math.round((m.rowsUpdated * 1000) / ms) : null,
      lockWaitMaxMs: w.lockWaitMaxMs,
      workload: summarise(records(), m.start, m.end),
      walBytes: w.walBytes,
      extraDiskBytes: w.extraDiskBytes,
      sql: step.sql,
    });
  }
  return { steps, status: r.status, error: r.error ?? null, start, end };
}

export interface StatementMeasure {
  statement: string;
  ms: number;
  ok: boolean;
  error: string | null;
  lockWaitMaxMs: number;
  workload: LatencySummary;
  walBytes: number;
  extraDiskBytes: number;
  start: number;
  end: number;
}

/** Runs the migration as written, statement by statement, and measures each one (`--naive`). */
export async function measureStatements(statements: string[], url: string, records: () => readonly LatencyRecord[]): Promise<StatementMeasure[]> {
  const sampler = new Sampler(url);
  await sampler.start();
  const c = await connect(url);
  const out: Array<Omit<StatementMeasure, 'workload' | 'walBytes' | 'extraDiskBytes' | 'lockWaitMaxMs'>> = [];
  try {
    for (const s of statements) {
      const t0 = Date.now();
      sampler.mark();
      let error: string | null = null;
      try {
        await c.query(s);
      } catch (e) {
        error = redactError(e, url).message;
      }
      const t1 = Date.now();
      sampler.mark();
      out.push({ statement: s, ms: t1 - t0, ok: error === null, error, start: t0, end: t1 });
    }
  } finally {
    await closeQuietly(c);
    await sampler.stop();
  }
  return out.map((m) => ({ ...m, ...sampler.window(m.start, m.end), workload: summarise(records(), m.start, m.end) }));
}
