/**
 * The cost model (pure: the timings they stand for are observed by bench/rehearse.ts): the
 * batch model of a backfill (the applier's own controller run over production's rows, the
 * costs fitted from the rehearsed batches), the cache term, the autovacuum waits; and the
 * miss-cost probe on a real server.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKFILL, nextBatchSize } from '../../src/apply/backfill.js';
import { DEFAULT_GUARD } from '../../src/apply/guard.js';
import { measureMissCost } from '../../src/rehearse/cache.js';
import type { BatchRecord, RelationSnapshot, StepMeasure } from '../../src/rehearse/measure.js';
import { autovacuumWaits, cacheTerm, fitBatches, guardedWaitMs, missRatio, predictStep, simulateBackfill, streamMissRatio, type CacheContext, type TimelineStep } from '../../src/rehearse/predict.js';
import { pgUrl, withDatabase } from '../support/db.js';

const ctl = { options: DEFAULT_BACKFILL, initialBatchSize: 1000, keyColumns: ['id'] };

/** The batches the applier commits over `rows` rows when a batch takes perBatchMs + perRowMs x rows (and `noise(i)` on top), gapMs apart. */
function batchLog(rows: number, perBatchMs: number, perRowMs: number, gapMs: number, noise: (i: number) => number = () => 0): BatchRecord[] {
  const out: BatchRecord[] = [];
  let size = 1000;
  let left = rows;
  let at = 5;
  for (let i = 0; left > 0; i++) {
    const n = Math.min(size, left);
    const ms = Math.round(perBatchMs + perRowMs * n + noise(i));
    at += ms;
    out.push({ size, rows: n, ms, atMs: at });
    at += gapMs;
    left -= n;
    if (n < size) break;
    size = nextBatchSize(size, ms, DEFAULT_BACKFILL);
  }
  return out;
}

function measure(kind: StepMeasure['kind'], rows: number, log: BatchRecord[], relation: RelationSnapshot | null = null, ms?: number): StepMeasure {
  const total = ms ?? (log.length ? log[log.length - 1]!.atMs + 1 : 10);
  return {
    id: 'step', kind, table: 'public.orders', tableRows: rows, tableBytes: rows * 100, start: 0, end: total, ms: total, status: 'done',
    rowsUpdated: rows, batches: log.length, batchSizes: log.map((b) => b.size), batchLog: log, relation,
    rowsPerSec: null, lockWaitMaxMs: 0, workload: { p50Ms: 0, p99Ms: 0, maxMs: 0, failed: 0, n: 0 }, walBytes: 0, extraDiskBytes: 0, sql: '',
  };
}

describe('the batch model of a backfill', () => {
  it("runs the applier's controller: doubling from the first batch, then steady at the target, the last batch partial", () => {
    // 10 µs a row, no fixed cost: 1000, 2000, 4000, 8000, 16000 (160 ms: x1.25), then 20000-row batches of 200 ms.
    const r = simulateBackfill(100_000, { perBatchMs: 0, perRowMs: 0.01, gapMs: 20 }, ctl);
    expect(r.batches).toBe(9); // 31,000 rows warming up, 3 x 20,000, then 9,000
    expect(r.steadyBatchSize).toBe(20_000);
    expect(r.ms).toBeCloseTo(1000 + 8 * 20, 6);
    // A per-batch fixed cost shrinks the steady batch (the controller aims the whole batch at 200 ms) and adds per batch.
    const withFixed = simulateBackfill(100_000, { perBatchMs: 50, perRowMs: 0.01, gapMs: 20 }, ctl);
    expect(withFixed.steadyBatchSize).toBeLessThan(16_000);
    expect(withFixed.ms).toBeGreaterThan(1000 + withFixed.batches * 50);
  });

  it('fits the per-batch and per-row cost through the batches, robust to an outlier', () => {
    const log = batchLog(100_000, 20, 0.008, 25, (i) => (i === 6 ? 400 : 0));
    const fit = fitBatches(log)!;
    expect(fit.perRowMs).toBeGreaterThan(0.0078);
    expect(fit.perRowMs).toBeLessThan(0.0082);
    expect(fit.perBatchMs).toBeGreaterThan(18);
    expect(fit.perBatchMs).toBeLessThan(22);
  });

  it('predicts production from small rehearsals where a fit on their total time goes wrong', () => {
    // The truth: 25 ms a batch, 8 µs a row, 25 ms between batches; at 2.5 % and 5 % of 2,000,000 rows
    // the warm-up and the per-batch costs are a large share of the time.
    const truth = (rows: number) => 5 + simulateBackfill(rows, { perBatchMs: 25, perRowMs: 0.008, gapMs: 25 }, ctl).ms;
    const small = measure('backfill', 50_000, batchLog(50_000, 25, 0.008, 25));
    const large = measure('backfill', 100_000, batchLog(100_000, 25, 0.008, 25));
    const p = predictStep(small, large, { rows: 2_000_000, bytes: 2e8 }, { backfill: ctl });
    const want = truth(2_000_000);
    expect(Math.abs(p.ms - want) / want).toBeLessThan(0.03);
    // The inputs it used are stated.
    expect(p.inputs.backfill).toMatchObject({ gapMs: 25, simulated: { rows: 2_000_000, targetBatchMs: 200, initialBatchSize: 1000 } });
    expect(p.inputs.backfill!.perRowMs).toBeCloseTo(0.008, 3);
    expect(p.inputs.backfill!.simulated.batches).toBeGreaterThan(80);
    expect(p.lowMs).toBeLessThanOrEqual(p.ms);
    expect(p.highMs).toBeGreaterThanOrEqual(p.ms);
    // The old model (no batch context: n log2 n through the total times) is far off on the same rehearsals.
    const old = predictStep(small, large, { rows: 2_000_000, bytes: 2e8 });
    expect(Math.abs(old.ms - want) / want).toBeGreaterThan(0.15);
  });

  it('falls back to the size model when the rehearsals ran too few batches', () => {
    const small = measure('backfill', 500, batchLog(500, 5, 0.01, 20));
    const large = measure('backfill', 1000, batchLog(1000, 5, 0.01, 20));
    const p = predictStep(small, large, { rows: 20_000, bytes: 2e6 }, { backfill: ctl });
    expect(p.inputs.backfill).toBeUndefined();
    expect(p.inputs.unit).toBe('n log2 n rows');
  });
});

describe('the cache term', () => {
  const MB = 2 ** 20;
  // At 5 %: a 20 MB heap, the key's index (2 MB) and an index on an uncorrelated column (1.5 MB).
  const rel: RelationSnapshot = { heapBytes: 20 * MB, rows: 100_000, indexes: [{ name: 'orders_pkey', bytes: 2 * MB, leading: 'id' }, { name: 'orders_customer_idx', bytes: 1.5 * MB, leading: 'customer_id' }] };
  const cache = (over: Partial<CacheContext> = {}): CacheContext => ({ prodSharedBuffers: 128 * MB, scratchSharedBuffers: 128 * MB, msPerMiss: 0.01, correlation: (c) => (c === 'id' ? 1 : c === 'customer_id' ? 0.02 : null), ...over });

  it('is the misses production has beyond shared_buffers that the rehearsal had not', () => {
    expect(missRatio(100 * MB, 128 * MB)).toBe(0);
    expect(missRatio(512 * MB, 128 * MB)).toBeCloseTo(0.75, 6);
    expect(streamMissRatio(100 * MB, 128 * MB)).toBe(0);
    expect(streamMissRatio(130 * MB, 128 * MB)).toBe(1);
    const t = cacheTerm('backfill', measure('backfill', 100_000, [], rel), 2_000_000, cache(), ['id'])!;
    expect(t.rehearsalMissRatio).toBe(0);
    expect(t.prodWorkingSetBytes).toBe(Math.round(23.5 * MB * 20));
    // The walk in key order (heap, new versions, the key's index) over 470 MB: every page it reaches misses.
    const by = new Map(t.accessesPerRow.map((a) => [a.of, a]));
    expect(by.get('heap (in key order)')).toEqual({ of: 'heap (in key order)', perRow: Number(((20 * MB) / 8192 / 100_000).toPrecision(3)), prodMissRatio: 1 });
    expect(by.get('new row versions')!.prodMissRatio).toBe(1);
    expect(by.get('index orders_pkey (in key order)')!.perRow).toBeCloseTo((2 * MB) / 8192 / 100_000, 4);
    expect(by.get('index orders_pkey (in key order)')!.prodMissRatio).toBe(1);
    // The random-order index: about one access a row, but its 30 MB in production stay in the 128 MB cache.
    expect(by.get('index orders_customer_idx (at random)')!.perRow).toBeGreaterThan(0.97);
    expect(by.get('index orders_customer_idx (at random)')!.prodMissRatio).toBe(0);
    const streamed = t.accessesPerRow.filter((a) => a.prodMissRatio === 1).reduce((sum, a) => sum + a.perRow, 0);
    expect(t.msPerRow).toBeCloseTo(streamed * 0.01, 5);
    // With 16 MB of shared_buffers the random-order index does not fit: 1 - 16 / (0.98 x 1.5 MB x 20) of its accesses miss.
    const small = cacheTerm('backfill', measure('backfill', 100_000, [], rel), 2_000_000, cache({ prodSharedBuffers: 16 * MB }), ['id'])!;
    const rnd = small.accessesPerRow.find((a) => a.of === 'index orders_customer_idx (at random)')!;
    expect(rnd.prodMissRatio).toBeCloseTo(1 - 16 / (0.98 * 1.5 * 20), 3);
  });

  it('is nothing when production caches the working set, the miss cost is unknown, or the step reads no table', () => {
    expect(cacheTerm('backfill', measure('backfill', 100_000, [], rel), 2_000_000, cache({ prodSharedBuffers: 8 * 1024 * MB }), ['id'])!.msPerRow).toBe(0);
    expect(cacheTerm('backfill', measure('backfill', 100_000, [], rel), 2_000_000, cache({ msPerMiss: null }), ['id'])).toBeNull();
    expect(cacheTerm('catalog', measure('catalog', 100_000, [], rel), 2_000_000, cache(), ['id'])).toBeNull();
  });

  it('makes a backfill that maintains a random-order index slower in production once the index outgrows shared_buffers, and one in key order hardly', () => {
    const log = batchLog(100_000, 20, 0.008, 25);
    const onlyKey: RelationSnapshot = { ...rel, indexes: [rel.indexes[0]!] };
    const prod = { rows: 2_000_000, bytes: 2e8 };
    const none = predictStep(undefined, measure('backfill', 100_000, log, rel), prod, { backfill: ctl });
    // 128 MB holds the random-order index (30 MB in production): the streamed pages' misses only.
    const plain = predictStep(undefined, measure('backfill', 100_000, log, onlyKey), prod, { backfill: ctl, cache: cache() });
    const resident = predictStep(undefined, measure('backfill', 100_000, log, rel), prod, { backfill: ctl, cache: cache() });
    expect(plain.ms / none.ms).toBeLessThan(1.1);
    expect(resident.ms / plain.ms).toBeLessThan(1.01);
    // 16 MB does not: ~1 access a row x 1 - 16 / 29.4 (0.456) x 10 µs, on top of 8 µs a row.
    const evicted = predictStep(undefined, measure('backfill', 100_000, log, rel), prod, { backfill: ctl, cache: cache({ prodSharedBuffers: 16 * MB }) });
    expect(evicted.ms / none.ms).toBeGreaterThan(1.5);
    expect(evicted.inputs.cache?.msPerRow).toBeGreaterThan(0.0048);
    expect(evicted.inputs.cache?.msPerRow).toBeLessThan(0.0052);
    // An index whose leading column follows the physical order is walked in order, like the key's.
    const correlated = predictStep(undefined, measure('backfill', 100_000, log, rel), prod, { backfill: ctl, cache: cache({ prodSharedBuffers: 16 * MB, correlation: () => 1 }) });
    expect(correlated.ms / none.ms).toBeLessThan(1.1);
  });

  it('counts two heap passes for a concurrent index build, one for a plain one', () => {
    const plain = cacheTerm('index', { ...measure('index', 100_000, [], rel), sql: 'CREATE INDEX i ON orders (customer_id)' }, 2_000_000, cache())!;
    const cic = cacheTerm('index', { ...measure('index', 100_000, [], rel), sql: 'CREATE INDEX CONCURRENTLY i ON orders (customer_id)' }, 2_000_000, cache())!;
    expect(plain.msPerRow).toBeGreaterThan(0);
    expect(cic.msPerRow / plain.msPerRow).toBeCloseTo(2, 6);
  });

  it("adds a scan's page misses to its fitted time", () => {
    const small = measure('scan', 50_000, [], { ...rel, rows: 50_000, heapBytes: 10 * MB }, 12);
    const large = measure('scan', 100_000, [], rel, 22);
    const without = predictStep(small, large, { rows: 2_000_000, bytes: 4e8 });
    const withCache = predictStep(small, large, { rows: 2_000_000, bytes: 4e8 }, { cache: cache() });
    const pages = (20 * MB * 20) / 8192;
    expect(withCache.ms - without.ms).toBeCloseTo(pages * (1 - 128 / (23.5 * 20)) * 0.01, -1);
  });
});

const base = pgUrl(18) ?? pgUrl();
describe.skipIf(!base)('the miss-cost probe', () => {
  it('measures a buffer miss on a real server: more than nothing, less than a millisecond', async () => {
    await withDatabase(undefined, async (url) => {
      const r = await measureMissCost(url);
      expect(r.msPerMiss, r.basis).not.toBeNull();
      expect(r.msPerMiss!).toBeGreaterThan(0.0002);
      expect(r.msPerMiss!).toBeLessThan(1);
      expect(r.basis).toMatch(/µs per miss/);
    });
  });
});

const settings = { enabled: true, threshold: 50, scaleFactor: 0.2, naptimeMs: 60_000, deadlockTimeoutMs: 1000, costLimit: 200, costDelayMs: 2 };
const size = () => ({ rows: 2_000_000, bytes: 300 * 2 ** 20 });
const step = (id: string, over: Partial<TimelineStep>): TimelineStep => ({ id, kind: 'catalog', table: 'public.orders', lockMode: 'ACCESS EXCLUSIVE', guard: { kind: 'lock-timeout' }, predictedMs: 5, dirtiesRows: 0, ...over });

describe('autovacuum waits', () => {
  it('a guarded step waits through the lock_timeout schedule until deadlock_timeout', () => {
    // 100+100, 200+200, 400+400, 800+800, then 1600 > 1000: waits 1000 and gets the lock.
    expect(guardedWaitMs(DEFAULT_GUARD, 1000)).toBe(4000);
  });

  it('follows a long backfill, once: autovacuum is cancelled by the first conflicting step', () => {
    const w = autovacuumWaits(
      [step('backfill', { kind: 'backfill', lockMode: 'ROW EXCLUSIVE', predictedMs: 80_000, dirtiesRows: 2_000_000 }), step('add-not-valid', {}), step('validate', { kind: 'scan', lockMode: 'SHARE UPDATE EXCLUSIVE' })],
      settings,
      DEFAULT_GUARD,
      size,
    );
    expect(w.get('add-not-valid')).toMatchObject({ waitMs: 4000, probability: 1 });
    expect(w.has('validate')).toBe(false);
  });

  it('is unlikely right after a short backfill, and absent without one or with autovacuum off', () => {
    const steps = [step('backfill', { kind: 'backfill', lockMode: 'ROW EXCLUSIVE', predictedMs: 10_000, dirtiesRows: 2_000_000 }), step('cic', { kind: 'index', lockMode: 'SHARE UPDATE EXCLUSIVE', guard: { kind: 'none' } })];
    const w = autovacuumWaits(steps, settings, DEFAULT_GUARD, size);
    expect(w.get('cic')!.waitMs).toBe(1000);
    expect(w.get('cic')!.probability).toBeLessThan(0.2);
    expect(autovacuumWaits(steps.slice(1), settings, DEFAULT_GUARD, size).size).toBe(0);
    expect(autovacuumWaits(steps, { ...settings, enabled: false }, DEFAULT_GUARD, size).size).toBe(0);
  });
});
