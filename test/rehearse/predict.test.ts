/** The cost model's autovacuum waits (pure: the timings they stand for are observed by bench/rehearse.ts). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_GUARD } from '../../src/apply/guard.js';
import { autovacuumWaits, guardedWaitMs, type TimelineStep } from '../../src/rehearse/predict.js';

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
