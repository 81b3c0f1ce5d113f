/**
 * Predicts production's duration of each step from two rehearsals at different
 * scales. Per kind of work, time is a fixed overhead plus a slope times the
 * work's size:
 *   scan             rows
 *   rewrite          table bytes (heap + TOAST)
 *   index build      n log2 n (n = rows)
 *   backfill         n log2 n (each updated row is inserted into the indexes again)
 *   catalog          constant (the rehearsed time)
 * The overhead is the step's own time left at zero size (at most the smaller
 * rehearsal's time, taken from the intercept of the two points when it is
 * sane, else 0); the slope is the least-squares fit of both rehearsals through
 * that overhead. The range spans the slopes each rehearsal alone gives,
 * widened by 15 % either way. Every prediction states its inputs.
 */
import type { StepMeasure, WorkKind } from './measure.js';

export interface ProductionSize {
  rows: number;
  bytes: number;
}

export interface Prediction {
  ms: number;
  lowMs: number;
  highMs: number;
  model: string;
  inputs: {
    kind: WorkKind;
    /** The work's size at each rehearsal and at production, in the model's unit. */
    unit: string;
    rehearsals: Array<{ size: number; ms: number }>;
    production: number | null;
    overheadMs: number;
    slopeMsPerUnit: number;
    /** Added for a predicted wait behind autovacuum (autovacuumWaits), with why. */
    autovacuumWaitMs?: number;
    autovacuumReason?: string;
  };
}

const WIDEN = 0.15;

function size(kind: WorkKind, rows: number, bytes: number): number {
  if (kind === 'rewrite') return bytes;
  // An index build sorts; a backfill's updates are not HOT on a freshly filled table (no free
  // space on its pages), so every row's new version is inserted into each index: a B-tree
  // descent per row, log n deep.
  if (kind === 'index' || kind === 'backfill') return rows > 1 ? rows * Math.log2(rows) : rows;
  return rows;
}

function unitOf(kind: WorkKind): string {
  return kind === 'rewrite' ? 'bytes' : kind === 'index' || kind === 'backfill' ? 'n log2 n rows' : kind === 'catalog' ? 'none' : 'rows';
}

/** The prediction for one step from its two rehearsals (`small`, `large`) and production's size of its table. */
export function predictStep(small: StepMeasure | undefined, large: StepMeasure, prod: ProductionSize | null): Prediction {
  const kind = large.kind;
  const points = [small, large].filter((m): m is StepMeasure => m !== undefined && m.status !== 'failed').map((m) => ({ size: size(kind, m.tableRows, m.tableBytes), ms: m.ms }));
  const unit = unitOf(kind);
  const F = prod ? size(kind, prod.rows, prod.bytes) : null;
  if (kind === 'catalog' || F === null || points.every((p) => p.size <= 0)) {
    const ms = Math.max(...points.map((p) => p.ms), large.ms);
    return {
      ms,
      lowMs: Math.min(...points.map((p) => p.ms), large.ms),
      highMs: Math.max(ms * 2, ms + 50),
      model: kind === 'catalog' ? 'catalog only: the rehearsed time, independent of size' : 'no production size known: the rehearsed time',
      inputs: { kind, unit, rehearsals: points, production: F, overheadMs: ms, slopeMsPerUnit: 0 },
    };
  }
  const usable = points.filter((p) => p.size > 0);
  // Overhead from the two points' intercept, kept within [0, smaller time].
  let overhead = 0;
  if (usable.length === 2 && usable[1]!.size !== usable[0]!.size) {
    const [a, b] = usable[0]!.size < usable[1]!.size ? [usable[0]!, usable[1]!] : [usable[1]!, usable[0]!];
    const slope = (b.ms - a.ms) / (b.size - a.size);
    const intercept = a.ms - slope * a.size;
    if (slope > 0) overhead = Math.min(Math.max(0, intercept), a.ms * 0.5);
  }
  // Least squares through (0, overhead): slope = sum(x (y - o)) / sum(x^2).
  const num = usable.reduce((s, p) => s + p.size * (p.ms - overhead), 0);
  const den = usable.reduce((s, p) => s + p.size * p.size, 0);
  const slope = Math.max(0, num / den);
  const single = usable.map((p) => Math.max(0, (p.ms - overhead) / p.size));
  const ms = overhead + slope * F;
  const low = overhead + Math.min(...single) * F;
  const high = overhead + Math.max(...single) * F;
  return {
    ms: Math.round(ms),
    lowMs: Math.round(low * (1 - WIDEN)),
    highMs: Math.round(high * (1 + WIDEN)),
    model: `${kind}: ${overhead.toFixed(0)} ms + ${slope.toExponential(3)} ms per ${unit === 'bytes' ? 'byte' : unit === 'rows' ? 'row' : unit}`,
    inputs: { kind, unit, rehearsals: usable, production: F, overheadMs: Math.round(overhead), slopeMsPerUnit: slope },
  };
}

/**
 * Autovacuum interference. A backfill that updates more rows than the table's autovacuum
 * threshold (threshold + scale_factor x rows) makes autovacuum vacuum the table while, and for
 * a while after, it runs. A later step whose lock conflicts with autovacuum's SHARE UPDATE
 * EXCLUSIVE waits for it until it has waited deadlock_timeout, when the server cancels the
 * autovacuum. Under the applier's guard that wait is the lock_timeout schedule: every attempt
 * whose lock_timeout is below deadlock_timeout times out (plus the wait before the next), and
 * the first longer one waits deadlock_timeout and gets the lock. Unguarded (CONCURRENTLY) steps
 * wait deadlock_timeout once. After a cancellation autovacuum comes back only at its next
 * naptime. A rehearsal at a small scale rarely sees this (vacuuming a small table is over
 * before the next step), so it is predicted from production's settings and the predicted
 * timeline, not fitted.
 */
export interface AutovacuumSettings {
  enabled: boolean;
  threshold: number;
  scaleFactor: number;
  naptimeMs: number;
  deadlockTimeoutMs: number;
  /** autovacuum's cost limit and delay: how fast it can dirty pages (20 cost units a page). */
  costLimit: number;
  costDelayMs: number;
}

export interface TimelineStep {
  id: string;
  kind: WorkKind;
  table: string | null;
  lockMode: string | null;
  guard: { kind: 'lock-timeout' } | { kind: 'none' };
  predictedMs: number;
  /** Rows the step updates in production (a backfill: the table's rows). */
  dirtiesRows: number;
}

export interface GuardSchedule {
  startLockTimeoutMs: number;
  maxLockTimeoutMs: number;
  growth: number;
  retryWaitMs: number;
  maxRetryWaitMs: number;
}

const CONFLICTS_WITH_VACUUM = new Set(['SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE']);

/** The expected wait of a guarded step behind an autovacuum that is cancelled after deadlock_timeout. */
export function guardedWaitMs(g: GuardSchedule, deadlockTimeoutMs: number): number {
  let total = 0;
  for (let i = 0; i < 50; i++) {
    const lt = Math.min(g.maxLockTimeoutMs, g.startLockTimeoutMs * g.growth ** i);
    if (lt > deadlockTimeoutMs) return total + deadlockTimeoutMs;
    if (lt >= g.maxLockTimeoutMs) return Number.POSITIVE_INFINITY;
    total += lt + Math.min(g.maxRetryWaitMs, g.retryWaitMs * g.growth ** i);
  }
  return total;
}

export function autovacuumWaits(
  steps: readonly TimelineStep[],
  s: AutovacuumSettings,
  guard: GuardSchedule,
  sizes: (table: string) => { rows: number; bytes: number } | null,
): Map<string, { waitMs: number; probability: number; reason: string }> {
  const out = new Map<string, { waitMs: number; probability: number; reason: string }>();
  if (!s.enabled) return out;
  // Per table: when autovacuum may start on it (the threshold crossed), and until when it is expected at work.
  const busy = new Map<string, { crossed: number; until: number; by: string }>();
  let clock = 0;
  for (const st of steps) {
    const t = st.table;
    if (t && st.lockMode && CONFLICTS_WITH_VACUUM.has(st.lockMode)) {
      const b = busy.get(t);
      if (b && clock >= b.crossed && clock <= b.until) {
        const wait = st.guard.kind === 'lock-timeout' ? guardedWaitMs(guard, s.deadlockTimeoutMs) : s.deadlockTimeoutMs;
        // The launcher visits the database once per naptime: the worker has started with a
        // probability growing linearly over the naptime after the threshold was crossed.
        const p = Math.min(1, (clock - b.crossed) / Math.max(1, s.naptimeMs));
        if (Number.isFinite(wait) && p >= 0.01) {
          out.set(st.id, {
            waitMs: Math.round(wait),
            probability: Number(p.toFixed(2)),
            reason: `autovacuum of ${t} (after ${b.by}; running with probability ${p.toFixed(2)}) holds SHARE UPDATE EXCLUSIVE; ${st.lockMode} waits until deadlock_timeout (${s.deadlockTimeoutMs} ms) cancels it${st.guard.kind === 'lock-timeout' ? ", through the guard's lock_timeout schedule" : ''}`,
          });
          clock += p * wait;
          // Cancelled (when it ran): back at the next naptime at the earliest.
          busy.delete(t);
        }
      }
    }
    const start = clock;
    clock += st.predictedMs;
    if (t && st.dirtiesRows > 0) {
      const size = sizes(t);
      const rows = size?.rows ?? st.dirtiesRows;
      const threshold = s.threshold + s.scaleFactor * rows;
      if (st.dirtiesRows > threshold) {
        const pages = (size?.bytes ?? 0) / 8192;
        const vacuumMs = (pages * 20 * s.costDelayMs) / Math.max(1, s.costLimit);
        const crossed = start + (st.predictedMs * threshold) / st.dirtiesRows;
        const prev = busy.get(t);
        busy.set(t, { crossed: prev && prev.until >= crossed ? prev.crossed : crossed, until: clock + s.naptimeMs + vacuumMs, by: st.id });
      }
    }
  }
  return out;
}
