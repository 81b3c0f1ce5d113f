/**
 * Predicts production's duration of each step from two rehearsals at different
 * scales.
 *
 * A batched backfill is predicted the way the applier runs it (src/apply/backfill.ts):
 * the rehearsals record every batch (rows, transaction time, commit time); a robust
 * line through both rehearsals' batches (Theil–Sen: the median of the pairwise slopes;
 * the warm-up's batches of 1,000, 2,000, 4,000 ... rows give it its lever) gives the
 * per-batch fixed cost and the per-row cost, the commit times the pause
 * between batches (the applier's sleep and load sample) and the step's own time
 * outside its batches. The applier's own batch controller (`nextBatchSize`) is
 * then run, on paper, over production's row count with those costs: its warm-up
 * from the first batch size, its steady batch size (where a batch takes the target
 * time) and the number of batches, each with its fixed cost and pause. A fit on a
 * small rehearsal's total time cannot separate these: there the warm-up and the
 * per-batch costs are a large share of the time.
 *
 * The per-row cost grows with size where the data outgrows the cache: see
 * `cacheTerm`. Other kinds, time = a fixed overhead plus a slope times the work's size:
 *   scan             rows (plus the cache term)
 *   rewrite          table bytes (heap + TOAST)
 *   index build      n log2 n (n = rows; plus the cache term of its heap passes)
 *   catalog          constant (the rehearsed time)
 * (and a backfill without a batch log, e.g. a table of one batch: n log2 n).
 * The overhead is the step's own time left at zero size (at most the smaller
 * rehearsal's time, taken from the intercept of the two points when it is
 * sane, else 0); the slope is the least-squares fit of both rehearsals through
 * that overhead. The range spans the slopes each rehearsal alone gives,
 * widened by 15 % either way. Every prediction states its inputs.
 */
import { nextBatchSize, type BackfillOptions } from '../apply/backfill.js';
import type { BatchRecord, RelationSnapshot, StepMeasure, WorkKind } from './measure.js';

export interface ProductionSize {
  rows: number;
  bytes: number;
}

/**
 * Buffer caching, for `cacheTerm`: production's and the scratch's shared_buffers, the cost
 * of one miss measured on the scratch (cache.ts), and production's pg_stats correlation of
 * the step's table's columns with its physical order.
 */
export interface CacheContext {
  prodSharedBuffers: number | null;
  scratchSharedBuffers: number | null;
  msPerMiss: number | null;
  /** pg_stats.correlation of a column of the step's table in production (null: unknown). */
  correlation: (column: string) => number | null;
}

/** How the applier will run a backfill in production: its controller's options and the plan's first batch size. */
export interface BackfillContext {
  options: Pick<BackfillOptions, 'targetBatchMs' | 'minBatchSize' | 'maxBatchSize'>;
  initialBatchSize: number;
  keyColumns: string[];
}

export interface CacheInputs {
  prodSharedBuffers: number;
  scratchSharedBuffers: number | null;
  msPerMiss: number;
  /** The step's table (heap + indexes) when it began, in the rehearsal and scaled to production. */
  rehearsalWorkingSetBytes: number;
  prodWorkingSetBytes: number;
  /** Misses per access, weighted by the accesses per row. */
  rehearsalMissRatio: number;
  prodMissRatio: number;
  /** Page accesses per row that can miss, per structure (a random-order index: about 1), and the share of them that misses in production. */
  accessesPerRow: Array<{ of: string; perRow: number; prodMissRatio: number }>;
  /** The cost added to each row in production (negative: production caches better). */
  msPerRow: number;
}

export interface BackfillInputs {
  /** The Theil–Sen line through both rehearsals' batches: ms = perBatchMs + perRowMs x rows. */
  perBatchMs: number;
  perRowMs: number;
  /** 25th and 75th percentile of both rehearsals' steady batches' per-row cost (the range). */
  perRowLowMs: number;
  perRowHighMs: number;
  batchesFitted: number;
  /** Median pause between one batch's commit and the next batch's start. */
  gapMs: number;
  /** The step's time outside its batches and pauses (median of the rehearsals). */
  stepOverheadMs: number;
  /** Production's per-row cost: perRowMs plus the cache term. */
  prodPerRowMs: number;
  /** The applier's controller run over production's rows. */
  simulated: { rows: number; batches: number; steadyBatchSize: number; targetBatchMs: number; initialBatchSize: number };
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
    /** A batched backfill: the batch model's inputs. */
    backfill?: BackfillInputs;
    /** The cost of misses that production's cache has and the rehearsal's has not. */
    cache?: CacheInputs;
    /** Added for a predicted wait behind autovacuum (autovacuumWaits), with why. */
    autovacuumWaitMs?: number;
    autovacuumReason?: string;
  };
}

const WIDEN = 0.15;
const PAGE = 8192;

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

function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
}

/** Theil–Sen line through (rows, ms): the median of the pairwise slopes, then the median intercept. */
export function fitBatches(batches: readonly Pick<BatchRecord, 'rows' | 'ms'>[]): { perBatchMs: number; perRowMs: number } | null {
  const slopes: number[] = [];
  for (let i = 0; i < batches.length; i++) {
    for (let j = i + 1; j < batches.length; j++) {
      const dx = batches[j]!.rows - batches[i]!.rows;
      if (dx !== 0) slopes.push((batches[j]!.ms - batches[i]!.ms) / dx);
    }
  }
  if (slopes.length === 0) return null;
  const perRowMs = median(slopes);
  const perBatchMs = median(batches.map((b) => b.ms - perRowMs * b.rows));
  return { perBatchMs, perRowMs };
}

/**
 * The applier's batch controller over `rows` rows with a batch costing perBatchMs + perRowMs x
 * its rows, and gapMs between batches: the same `nextBatchSize` the applier calls, from the
 * plan's first batch size, the last batch partial.
 */
export function simulateBackfill(
  rows: number,
  cost: { perBatchMs: number; perRowMs: number; gapMs: number },
  ctl: Pick<BackfillContext, 'options' | 'initialBatchSize'>,
): { ms: number; batches: number; steadyBatchSize: number } {
  const o = ctl.options;
  let size = Math.max(o.minBatchSize, Math.min(o.maxBatchSize, ctl.initialBatchSize || 1000));
  let left = Math.max(0, Math.round(rows));
  let ms = 0;
  let batches = 0;
  let steady = size;
  // A batch of the whole table at most every iteration: at least min-size rows per batch, so this ends.
  while (left > 0) {
    const n = Math.min(size, left);
    const elapsed = cost.perBatchMs + cost.perRowMs * n;
    ms += elapsed;
    left -= n;
    batches++;
    if (n < size) break;
    steady = size;
    // The applier measures whole milliseconds.
    size = nextBatchSize(size, Math.round(elapsed), o);
    if (left > 0) ms += cost.gapMs;
  }
  return { ms, batches, steadyBatchSize: steady };
}

/** The fraction of accesses that miss a cache of `cache` bytes over a working set of `ws` bytes (0 when it fits). */
export function missRatio(ws: number, cache: number | null): number {
  if (cache === null || cache <= 0 || ws <= cache) return 0;
  return 1 - cache / ws;
}

/**
 * The fraction of a key-order walk's page accesses that miss, for a backfill whose working set
 * is `ws` bytes: a walk over more than the cache evicts, by its own new pages, the pages ahead
 * of it before it gets there (sequential flooding), so each page it reaches misses; a working
 * set that fits stays cached. Observed by bench/cache-residency.ts: with the table 1.6 times
 * shared_buffers, every heap page missed once (not the 1 - shared_buffers / working set that a
 * uniform model gives) and the key's index leaf pages missed once each.
 */
export function streamMissRatio(ws: number, cache: number | null): number {
  return cache !== null && cache > 0 && ws > cache ? 1 : 0;
}

/**
 * The cost per row of the buffer misses production will have and the rehearsal had not.
 * A step's working set is its table's heap and indexes as the step began (measured on the
 * rehearsal, scaled to production's rows).
 * - A scan and an index build read the heap once a pass (two for CONCURRENTLY: the build and
 *   validate_index's) through a small ring of buffers; a page is a hit when it happens to be
 *   in shared_buffers: 1 - shared_buffers / working set of the accesses miss when the working set
 *   is larger.
 * - A backfill walks its key. Its streamed accesses (the heap's pages in key order, the new
 *   versions' pages, and the leaf pages of an index in that order) miss by streamMissRatio.
 *   An index in another order takes one random leaf per row (every update that is not HOT
 *   inserts into each index); those pages are touched again long before the clock sweep
 *   evicts them, so the random-order indexes stay resident while they fit in shared_buffers
 *   and miss 1 - shared_buffers / their size when they do not (observed by
 *   bench/cache-residency.ts: a random-order index in the cache missed 0.03 % of its accesses
 *   during a backfill that missed every heap page). An index's order is interpolated by the
 *   |correlation| of its leading column with the table's physical order (production's
 *   pg_stats; the backfill key's own index counts as in order; an expression or an unknown
 *   column as random).
 * Each miss costs the measured read-and-write-back of a page (cache.ts). Assumed: production's
 * pages beyond shared_buffers are in the operating system's cache, like the scratch's (from
 * disk a miss costs more: the top of the range is 1.5 times the term).
 */
export function cacheTerm(kind: WorkKind, m: StepMeasure, prodRows: number, cache: CacheContext | undefined, keyColumns: string[] = []): CacheInputs | null {
  const rel: RelationSnapshot | null = m.relation;
  if (!cache || cache.msPerMiss === null || cache.prodSharedBuffers === null || !rel) return null;
  if (kind !== 'backfill' && kind !== 'scan' && kind !== 'index') return null;
  const rows = Math.max(1, m.tableRows || rel.rows);
  const f = prodRows / rows;
  const ws = rel.heapBytes + rel.indexes.reduce((s, i) => s + i.bytes, 0);
  const heapPagesPerRow = rel.heapBytes / PAGE / rows;
  const key = keyColumns[0] ?? null;
  const uniform = { rehearsal: missRatio(ws, cache.scratchSharedBuffers), prod: missRatio(ws * f, cache.prodSharedBuffers) };
  const accesses: Array<{ of: string; perRow: number; rehearsal: number; prod: number }> = [];
  if (kind !== 'backfill') {
    // An index build reads the heap once; CONCURRENTLY twice (the build, then validate_index's pass).
    const heapPasses = kind === 'index' && /\bconcurrently\b/i.test(m.sql) ? 2 : 1;
    accesses.push({ of: heapPasses > 1 ? `heap (${heapPasses} passes)` : 'heap', perRow: heapPasses * heapPagesPerRow, ...uniform });
  } else {
    const stream = { rehearsal: streamMissRatio(ws, cache.scratchSharedBuffers), prod: streamMissRatio(ws * f, cache.prodSharedBuffers) };
    // The walk: the heap in order when the key follows the physical order (an unknown key's
    // correlation counts as in order: keys are mostly serial), a random page per row when not.
    const keyOrder = key !== null ? Math.min(1, Math.abs(cache.correlation(key) ?? 1)) : 1;
    const order = rel.indexes.map((ix) => (ix.leading !== null && ix.leading === key ? 1 : ix.leading !== null ? Math.min(1, Math.abs(cache.correlation(ix.leading) ?? 0)) : 0));
    // The pages touched at random: those of the indexes (and of the heap) in another order than the key's.
    const randomBytes = rel.indexes.reduce((s, ix, i) => s + (1 - order[i]!) * ix.bytes, 0) + (1 - keyOrder) * rel.heapBytes;
    const random = { rehearsal: missRatio(randomBytes, cache.scratchSharedBuffers), prod: missRatio(randomBytes * f, cache.prodSharedBuffers) };
    accesses.push({ of: 'heap (in key order)', perRow: keyOrder * heapPagesPerRow, ...stream });
    if (keyOrder < 1) accesses.push({ of: 'heap (at random)', perRow: 1 - keyOrder, ...random });
    // New versions go to pages at the end of the heap, filled in turn: a table's worth at most.
    accesses.push({ of: 'new row versions', perRow: Math.min(heapPagesPerRow, (m.tableBytes || rel.heapBytes) / PAGE / rows), ...stream });
    rel.indexes.forEach((ix, i) => {
      const c = order[i]!;
      const leafPerRow = ix.bytes / PAGE / rows;
      if (c > 0) accesses.push({ of: `index ${ix.name} (in key order)`, perRow: c * leafPerRow, ...stream });
      if (c < 1) accesses.push({ of: `index ${ix.name} (at random)`, perRow: 1 - c, ...random });
    });
  }
  const perRow = accesses.reduce((s, a) => s + a.perRow, 0);
  const weighted = (pick: (a: { rehearsal: number; prod: number }) => number) => (perRow > 0 ? accesses.reduce((s, a) => s + a.perRow * pick(a), 0) / perRow : 0);
  return {
    prodSharedBuffers: cache.prodSharedBuffers,
    scratchSharedBuffers: cache.scratchSharedBuffers,
    msPerMiss: cache.msPerMiss,
    rehearsalWorkingSetBytes: ws,
    prodWorkingSetBytes: Math.round(ws * f),
    rehearsalMissRatio: Number(weighted((a) => a.rehearsal).toFixed(3)),
    prodMissRatio: Number(weighted((a) => a.prod).toFixed(3)),
    accessesPerRow: accesses.map((a) => ({ of: a.of, perRow: Number(a.perRow.toPrecision(3)), prodMissRatio: Number(a.prod.toFixed(3)) })),
    msPerRow: accesses.reduce((s, a) => s + a.perRow * (a.prod - a.rehearsal), 0) * cache.msPerMiss,
  };
}

/** A batched backfill from its rehearsals' batch logs (null: too few batches to fit). */
function predictBackfill(ms: StepMeasure[], prodRows: number, bf: BackfillContext, cache: CacheContext | undefined): Prediction | null {
  const all = ms.flatMap((m) => m.batchLog);
  if (all.length < 3) return null;
  // Both rehearsals' batches: two windows of time on a server whose load varies, and no
  // growth of the per-row cost with size other than the cache term's.
  const fitted = all;
  const fit = fitBatches(fitted);
  if (!fit) return null;
  const target = bf.options.targetBatchMs;
  const perBatchMs = Math.min(Math.max(0, fit.perBatchMs), target / 2);
  const totalRows = fitted.reduce((s, b) => s + b.rows, 0);
  const perRowMs = fit.perRowMs > 0 ? fit.perRowMs : Math.max(1e-6, fitted.reduce((s, b) => s + b.ms, 0) / Math.max(1, totalRows));
  // The steady batches (a quarter of the target or longer): their per-row costs give the range.
  const steady = all.filter((b) => b.ms >= target / 4 && b.rows > 0).map((b) => Math.max(0, (b.ms - perBatchMs) / b.rows));
  const perRowLow = steady.length >= 4 ? Math.min(perRowMs, quantile(steady, 0.25)) : perRowMs * 0.8;
  const perRowHigh = steady.length >= 4 ? Math.max(perRowMs, quantile(steady, 0.75)) : perRowMs * 1.25;
  const gaps: number[] = [];
  const overheads: number[] = [];
  for (const m of ms) {
    let prev = 0;
    let inBatches = 0;
    m.batchLog.forEach((b, i) => {
      const gap = b.atMs - b.ms - prev;
      if (i > 0) gaps.push(Math.max(0, gap));
      inBatches += b.ms + (i > 0 ? Math.max(0, gap) : 0);
      prev = b.atMs;
    });
    if (m.batchLog.length) overheads.push(Math.max(0, m.ms - inBatches));
  }
  const gapMs = gaps.length ? median(gaps) : 0;
  const stepOverheadMs = overheads.length ? median(overheads) : 0;
  const large = ms[ms.length - 1]!;
  const term = cacheTerm('backfill', large, prodRows, cache, bf.keyColumns);
  const extra = term?.msPerRow ?? 0;
  const run = (perRow: number) => stepOverheadMs + simulateBackfill(prodRows, { perBatchMs, perRowMs: Math.max(perRowMs * 0.1, perRow), gapMs }, bf).ms;
  const sim = simulateBackfill(prodRows, { perBatchMs, perRowMs: Math.max(perRowMs * 0.1, perRowMs + extra), gapMs }, bf);
  const total = stepOverheadMs + sim.ms;
  const low = run(perRowLow + (extra > 0 ? extra * 0.5 : extra * 1.5));
  const high = run(perRowHigh + (extra > 0 ? extra * 1.5 : extra * 0.5));
  const prodPerRowMs = perRowMs + extra;
  return {
    ms: Math.round(total),
    lowMs: Math.round(Math.min(low, total) * (1 - WIDEN)),
    highMs: Math.round(Math.max(high, total) * (1 + WIDEN)),
    model:
      `backfill: the applier's controller over ${prodRows} rows, ${sim.batches} batches (steady ~${sim.steadyBatchSize} rows for ${target} ms), ` +
      `${perBatchMs.toFixed(1)} ms per batch + ${(perRowMs * 1000).toFixed(2)} µs per row${term ? ` ${extra >= 0 ? '+' : '-'} ${(Math.abs(extra) * 1000).toFixed(2)} µs per row of cache misses (production miss ratio ${term.prodMissRatio} vs ${term.rehearsalMissRatio} rehearsed)` : ''}, ` +
      `${gapMs.toFixed(0)} ms between batches, ${stepOverheadMs.toFixed(0)} ms outside them`,
    inputs: {
      kind: 'backfill',
      unit: 'rows',
      rehearsals: ms.map((m) => ({ size: m.tableRows, ms: m.ms })),
      production: prodRows,
      overheadMs: Math.round(stepOverheadMs),
      slopeMsPerUnit: prodPerRowMs,
      backfill: {
        perBatchMs: Number(perBatchMs.toFixed(2)),
        perRowMs,
        perRowLowMs: perRowLow,
        perRowHighMs: perRowHigh,
        batchesFitted: fitted.length,
        gapMs: Number(gapMs.toFixed(1)),
        stepOverheadMs: Math.round(stepOverheadMs),
        prodPerRowMs,
        simulated: { rows: prodRows, batches: sim.batches, steadyBatchSize: sim.steadyBatchSize, targetBatchMs: target, initialBatchSize: bf.initialBatchSize },
      },
      ...(term ? { cache: term } : {}),
    },
  };
}

/**
 * The prediction for one step from its two rehearsals (`small`, `large`) and production's size of its table.
 * `ctx.backfill` (how the applier will batch it) selects the batch model for a backfill; `ctx.cache` adds the cache term.
 */
export function predictStep(
  small: StepMeasure | undefined,
  large: StepMeasure,
  prod: ProductionSize | null,
  ctx: { backfill?: BackfillContext; cache?: CacheContext } = {},
): Prediction {
  const kind = large.kind;
  const measured = [small, large].filter((m): m is StepMeasure => m !== undefined && m.status !== 'failed');
  if (kind === 'backfill' && ctx.backfill && prod && prod.rows > 0) {
    const p = predictBackfill(measured, prod.rows, ctx.backfill, ctx.cache);
    if (p) return p;
  }
  const points = measured.map((m) => ({ size: size(kind, m.tableRows, m.tableBytes), ms: m.ms }));
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
  // The cache term (a scan, an index build's heap passes): per row of production, on top of the fitted slope.
  const term = prod ? cacheTerm(kind, large, prod.rows, ctx.cache) : null;
  const extra = term ? term.msPerRow * prod!.rows : 0;
  const ms = Math.max(overhead, overhead + slope * F + extra);
  const low = Math.max(overhead, overhead + Math.min(...single) * F + (extra > 0 ? extra * 0.5 : extra * 1.5));
  const high = Math.max(overhead, overhead + Math.max(...single) * F + (extra > 0 ? extra * 1.5 : extra * 0.5));
  return {
    ms: Math.round(ms),
    lowMs: Math.round(Math.min(low, ms) * (1 - WIDEN)),
    highMs: Math.round(Math.max(high, ms) * (1 + WIDEN)),
    model: `${kind}: ${overhead.toFixed(0)} ms + ${slope.toExponential(3)} ms per ${unit === 'bytes' ? 'byte' : unit === 'rows' ? 'row' : unit}${term ? ` + ${Math.round(extra)} ms of cache misses (production miss ratio ${term.prodMissRatio} vs ${term.rehearsalMissRatio} rehearsed)` : ''}`,
    inputs: { kind, unit, rehearsals: usable, production: F, overheadMs: Math.round(overhead), slopeMsPerUnit: slope, ...(term ? { cache: term } : {}) },
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
