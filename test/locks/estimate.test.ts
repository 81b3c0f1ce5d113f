import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THROUGHPUT,
  FACT_WORK,
  NOT_ESTIMATED,
  RANGE,
  RATE_NAMES,
  WORK_KINDS,
  estimateFact,
  estimateWork,
  factWork,
  formatBytes,
  formatDuration,
  formatRate,
  formatRows,
  formatSize,
  heavyFactIds,
  nLogNFactor,
  throughput,
  type Throughput,
} from '../../src/locks/estimate.js';
import { LOCK_FACTS, hasLockFact, lockFact } from '../../src/locks/table.js';
import type { RelationSize } from '../../src/schema/model.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function size(rows: number | null, heapBytes: number, indexBytes = 0, toastBytes = 0): RelationSize {
  return { rows, heapBytes, indexBytes, toastBytes, totalBytes: heapBytes + indexBytes + toastBytes };
}

/** Round numbers that make the formulas easy to check by hand. */
const TP: Throughput = throughput({
  scanBytesPerSec: 100 * MiB,
  rewriteBytesPerSec: 10 * MiB,
  indexRebuildBytesPerSecAt1M: 5 * MiB,
  indexBuildRowsPerSecAt1M: 2_000_000,
  textIndexBuildRowsPerSecAt1M: 1_000_000,
  concurrentIndexBuildFactor: 2,
  fkCheckRowsPerSec: 500_000,
  dmlBytesPerSec: 4 * MiB,
  deleteBytesPerSec: 50 * MiB,
  copyBytesPerSec: 20 * MiB,
  assumedBytesPerRow: 100,
  source: 'test rates',
});

describe('work kinds of lock facts', () => {
  it('every fact that rewrites or scans in some variant has a kind or a reason it is not estimated', () => {
    const heavy = heavyFactIds();
    expect(heavy.length).toBeGreaterThan(30);
    const missing = heavy.filter((id) => !(id in FACT_WORK) && !(id in NOT_ESTIMATED));
    expect(missing).toEqual([]);
  });

  it('names only real facts, each once, with known kinds', () => {
    for (const id of [...Object.keys(FACT_WORK), ...Object.keys(NOT_ESTIMATED)]) expect(hasLockFact(id), id).toBe(true);
    for (const id of Object.keys(FACT_WORK)) expect(id in NOT_ESTIMATED, id).toBe(false);
    for (const kinds of Object.values(FACT_WORK)) {
      expect(kinds.length).toBeGreaterThan(0);
      for (const k of kinds) expect(WORK_KINDS).toContain(k);
    }
  });

  it('does not give a kind to a fact that never rewrites or scans', () => {
    const heavy = new Set(heavyFactIds());
    for (const id of Object.keys(FACT_WORK)) expect(heavy.has(id), id).toBe(true);
  });

  it('a fact whose variants rewrite gets rewrite-like work', () => {
    // ... except the ones that only copy files or rebuild indexes (their "rewrite" is of an index or of files).
    const nonRewrite = new Set(['reindex', 'reindex-concurrently', 'alter-index-set-tablespace', 'set-tablespace']);
    for (const f of LOCK_FACTS) {
      if (!f.variants.some((v) => v.rewrite) || nonRewrite.has(f.id) || f.id in NOT_ESTIMATED) continue;
      expect(FACT_WORK[f.id], f.id).toContain('rewrite');
    }
  });

  it('is version-aware through the lock table', () => {
    expect(factWork('add-column-default', 10)).toEqual(['rewrite']);
    expect(factWork('add-column-default', 11)).toEqual([]);
    expect(factWork('set-not-null-proven', 11)).toEqual(['scan']);
    expect(factWork('set-not-null-proven', 12)).toEqual([]);
    expect(factWork('set-expression', 16)).toEqual([]); // unsupported there
    expect(factWork('set-expression', 17)).toEqual(['rewrite']);
    expect(factWork('drop-column', 18)).toEqual([]);
    expect(factWork('refresh-materialized-view', 18)).toEqual([]);
    expect(factWork('add-primary-key-nullable', 18)).toEqual(['scan', 'index-build']);
    expect(() => factWork('no-such-fact', 18)).toThrow(/no lock fact/);
  });

  it('maps the statements the brief names', () => {
    const kindOf = (id: string) => factWork(id, 18);
    expect(kindOf('alter-column-type')).toEqual(['rewrite']);
    expect(kindOf('add-column-default-volatile')).toEqual(['rewrite']);
    expect(kindOf('set-logged')).toEqual(['rewrite']);
    expect(kindOf('vacuum-full')).toEqual(['rewrite']);
    expect(kindOf('cluster')).toEqual(['rewrite']);
    expect(kindOf('add-check')).toEqual(['scan']);
    expect(kindOf('set-not-null')).toEqual(['scan']);
    expect(kindOf('add-not-null-constraint')).toEqual(['scan']);
    expect(kindOf('validate-constraint')).toEqual(['scan']);
    expect(kindOf('attach-partition')).toEqual(['scan']);
    expect(kindOf('add-foreign-key')).toEqual(['fk-validation']);
    expect(kindOf('validate-foreign-key')).toEqual(['fk-validation']);
    expect(kindOf('create-index')).toEqual(['index-build']);
    expect(kindOf('reindex')).toEqual(['index-build']);
    expect(kindOf('add-unique')).toEqual(['index-build']);
    expect(kindOf('create-index-concurrently')).toEqual(['index-build-concurrent']);
    expect(kindOf('set-tablespace')).toEqual(['copy']);
    expect(kindOf('update')).toEqual(['dml']);
    expect(kindOf('delete')).toEqual(['delete']);
    // the mapping agrees with the lock table on the version it is read for
    for (const id of Object.keys(FACT_WORK)) {
      const f = lockFact(id, 18);
      if (factWork(id, 18).length > 0) expect(f.rewrite || f.scan, id).toBe(true);
    }
  });
});

describe('estimateWork', () => {
  it('scan: heap bytes at the scan rate', () => {
    const e = estimateWork('scan', size(1_000_000, 200 * MiB, 50 * MiB, 30 * MiB), { throughput: TP });
    expect(e.ms).toBeCloseTo(2000, 6);
    expect(e.kind).toBe('scan');
    expect(e.lowMs).toBeCloseTo(2000 * RANGE.low, 6);
    expect(e.highMs).toBeCloseTo(2000 * RANGE.high, 6);
    expect(e.basis).toBe('scan: 200 MB heap read at 100 MB/s; test rates');
  });

  it('rewrite: heap and TOAST at the rewrite rate plus the indexes rebuilt (n·log n)', () => {
    const e = estimateWork('rewrite', size(1_000_000, 80 * MiB, 50 * MiB, 20 * MiB), { throughput: TP });
    // 100 MB / 10 MB/s + 50 MB / 5 MB/s at 1M rows
    expect(e.ms).toBeCloseTo(10_000 + 10_000, 6);
    expect(e.basis).toContain('100 MB heap and TOAST rewritten at 10 MB/s');
    expect(e.basis).toContain('50 MB of indexes rebuilt at 5 MB/s');
    // more rows, same index bytes: the rebuild part grows by log2(n) / log2(1M)
    const big = estimateWork('rewrite', size(16_000_000, 80 * MiB, 50 * MiB, 20 * MiB), { throughput: TP });
    expect(big.ms).toBeCloseTo(10_000 + 10_000 * (Math.log2(16e6) / Math.log2(1e6)), 6);
  });

  it('rewrite without indexes has no index term', () => {
    const e = estimateWork('rewrite', size(1000, 10 * MiB), { throughput: TP });
    expect(e.ms).toBeCloseTo(1000, 6);
    expect(e.basis).not.toContain('indexes');
  });

  it('index-build grows as n·log n, plus the heap scan', () => {
    const at = (rows: number) => estimateWork('index-build', size(rows, rows * 100), { throughput: TP }).ms;
    expect(at(1_000_000)).toBeCloseTo(1000 + (100e6 / (100 * MiB)) * 1000, 6);
    const sortPart = (rows: number) => at(rows) - ((rows * 100) / (100 * MiB)) * 1000;
    expect(sortPart(1_000_000)).toBeCloseTo(1000, 6);
    expect(sortPart(4_000_000) / sortPart(1_000_000)).toBeCloseTo((4 * Math.log2(4e6)) / Math.log2(1e6), 6);
    expect(sortPart(4_000_000) / sortPart(1_000_000)).toBeGreaterThan(4);
    expect(nLogNFactor(1_000_000)).toBeCloseTo(1, 12);
    expect(nLogNFactor(0)).toBeGreaterThan(0);
  });

  it('index-build: fixed-width keys sort faster than text keys; unknown keys take the text rate', () => {
    const s = size(1_000_000, 100 * MiB);
    const fixed = estimateWork('index-build', s, { throughput: TP, indexKey: 'fixed-width' });
    const text = estimateWork('index-build', s, { throughput: TP, indexKey: 'text' });
    const unknown = estimateWork('index-build', s, { throughput: TP });
    expect(fixed.ms).toBeCloseTo(500 + 1000, 6);
    expect(text.ms).toBeCloseTo(1000 + 1000, 6);
    expect(unknown.ms).toBe(text.ms);
    expect(fixed.basis).toContain('1M rows sorted at 2M rows/s (fixed-width key, n·log n)');
    expect(text.basis).toContain('(text key, n·log n)');
    expect(unknown.basis).toContain('(key type unknown: text rate, n·log n)');
  });

  it('index-build-concurrent is a multiple of the plain build', () => {
    const s = size(2_000_000, 300 * MiB, 40 * MiB);
    const plain = estimateWork('index-build', s, { throughput: TP }).ms;
    const cic = estimateWork('index-build-concurrent', s, { throughput: TP });
    expect(cic.ms).toBeCloseTo(2 * plain, 6);
    expect(cic.basis).toContain('2 × a plain build');
  });

  it('fk-validation: per-row check plus the heap scans of both tables', () => {
    const e = estimateWork('fk-validation', size(1_000_000, 100 * MiB), { throughput: TP, referenced: size(1000, 10 * MiB) });
    expect(e.ms).toBeCloseTo(2000 + 1000 + 100, 6);
    expect(e.basis).toContain('1M rows checked at 500,000 rows/s');
    expect(e.basis).toContain('10 MB referenced heap read');
    expect(estimateWork('fk-validation', size(1_000_000, 100 * MiB), { throughput: TP }).ms).toBeCloseTo(3000, 6);
  });

  it('copy, index-copy, dml and delete use their own bytes', () => {
    const s = size(1_000_000, 80 * MiB, 40 * MiB, 20 * MiB);
    expect(estimateWork('copy', s, { throughput: TP }).ms).toBeCloseTo(5000, 6); // heap + toast
    expect(estimateWork('index-copy', s, { throughput: TP }).ms).toBeCloseTo(2000, 6); // indexes
    expect(estimateWork('dml', s, { throughput: TP }).ms).toBeCloseTo(30_000, 6); // heap + indexes
    expect(estimateWork('delete', s, { throughput: TP }).ms).toBeCloseTo(1600, 6); // heap
  });

  it('unknown rows: falls back on heap bytes / assumedBytesPerRow and widens the range', () => {
    const known = estimateWork('index-build', size(1_000_000, 100e6), { throughput: TP });
    const guessed = estimateWork('index-build', size(null, 100e6), { throughput: TP });
    expect(guessed.ms).toBeCloseTo(known.ms, 6); // 100e6 bytes / 100 B/row = 1M rows
    expect(guessed.basis).toContain('rows unknown');
    expect(guessed.lowMs).toBeCloseTo(guessed.ms * RANGE.lowRowsGuessed, 6);
    expect(guessed.highMs).toBeCloseTo(guessed.ms * RANGE.highRowsGuessed, 6);
    expect(known.highMs).toBeCloseTo(known.ms * RANGE.high, 6);
    // kinds that do not depend on rows are not widened
    const scan = estimateWork('scan', size(null, 100e6), { throughput: TP });
    expect(scan.highMs).toBeCloseTo(scan.ms * RANGE.high, 6);
    expect(scan.basis).not.toContain('rows unknown');
  });

  it('empty tables take no time', () => {
    for (const k of WORK_KINDS) expect(estimateWork(k, size(0, 0), { throughput: TP }).ms, k).toBe(0);
  });

  it('uses DEFAULT_THROUGHPUT and names its source', () => {
    const e = estimateWork('scan', size(1e6, 100 * MiB));
    expect(e.ms).toBeCloseTo((100 * MiB * 1000) / DEFAULT_THROUGHPUT.scanBytesPerSec, 6);
    expect(e.basis.endsWith(DEFAULT_THROUGHPUT.source)).toBe(true);
    expect(DEFAULT_THROUGHPUT.source).toMatch(/bench\/estimates\.ts.*PostgreSQL 18/);
  });

  it('the example of the brief: users, 48M rows, 31 GB, rewritten in minutes', () => {
    const users = size(48e6, 24 * GiB, 7 * GiB);
    const e = estimateWork('rewrite', users);
    expect(`users: ${formatSize(users)}: rewrite under ACCESS EXCLUSIVE, ${formatDuration(e.ms)}`).toMatch(
      /^users: 48M rows, 31 GB: rewrite under ACCESS EXCLUSIVE, about \d+(\.\d)? (min|h)$/,
    );
    expect(e.lowMs).toBeLessThan(e.ms);
    expect(e.highMs).toBeGreaterThan(e.ms);
  });
});

describe('estimateFact', () => {
  it('is null when the variant does no heavy work or the fact is not estimated', () => {
    const s = size(1e6, 100 * MiB, 20 * MiB);
    expect(estimateFact('add-column-default', 18, s)).toBeNull();
    expect(estimateFact('drop-column', 18, s)).toBeNull();
    expect(estimateFact('insert-select', 18, s)).toBeNull();
    expect(estimateFact('add-column-default', 10, s)?.kind).toBe('rewrite');
  });

  it('adds up several kinds of work', () => {
    const s = size(1_000_000, 100 * MiB);
    const e = estimateFact('add-primary-key-nullable', 18, s, { throughput: TP })!;
    const scan = estimateWork('scan', s, { throughput: TP });
    const build = estimateWork('index-build', s, { throughput: TP });
    expect(e.ms).toBeCloseTo(scan.ms + build.ms, 6);
    expect(e.highMs).toBeCloseTo(scan.highMs + build.highMs, 6);
    expect(e.basis).toMatch(/^scan: .*, then index-build: .*; test rates$/);
  });
});

describe('throughput', () => {
  it('defaults to the calibrated rates, all positive', () => {
    expect(throughput()).toEqual(DEFAULT_THROUGHPUT);
    for (const k of RATE_NAMES) expect(DEFAULT_THROUGHPUT[k], k).toBeGreaterThan(0);
    expect(Object.isFrozen(DEFAULT_THROUGHPUT)).toBe(true);
  });

  it('overrides some rates and says so in the basis', () => {
    const tp = throughput({ rewriteBytesPerSec: 10 * MiB });
    expect(tp.rewriteBytesPerSec).toBe(10 * MiB);
    expect(tp.scanBytesPerSec).toBe(DEFAULT_THROUGHPUT.scanBytesPerSec);
    const e = estimateWork('rewrite', size(1e6, 100 * MiB), { throughput: tp });
    expect(e.basis).toContain('rewritten at 10 MB/s (from config)');
    expect(e.basis).toContain(`other rates ${DEFAULT_THROUGHPUT.source}`);
    // a rate left at its default is not marked
    expect(estimateWork('scan', size(1e6, 100 * MiB), { throughput: tp }).basis).not.toContain('(from config)');
  });

  it('a configured source replaces the marks', () => {
    const tp = throughput({ scanBytesPerSec: 50 * MiB, source: 'bench on staging, 2025-06-01' });
    const e = estimateWork('scan', size(1e6, 100 * MiB), { throughput: tp });
    expect(e.basis).toBe('scan: 100 MB heap read at 50 MB/s; bench on staging, 2025-06-01');
  });

  it('rejects bad values and unknown keys', () => {
    expect(() => throughput({ scanBytesPerSec: 0 })).toThrow(/positive/);
    expect(() => throughput({ scanBytesPerSec: -1 })).toThrow(/positive/);
    expect(() => throughput({ scanBytesPerSec: Number.NaN })).toThrow(/positive/);
    expect(() => throughput({ scanBytesPerSec: '5' as unknown as number })).toThrow(/positive/);
    expect(() => throughput({ scanMBps: 5 } as unknown as Partial<Throughput>)).toThrow(/unknown estimates rate "scanMBps"/);
    expect(() => throughput({ source: '' })).toThrow(/source/);
  });

  it('does not change DEFAULT_THROUGHPUT', () => {
    throughput({ scanBytesPerSec: 1 });
    expect(DEFAULT_THROUGHPUT.scanBytesPerSec).not.toBe(1);
  });
});

describe('formatting', () => {
  it('formatDuration', () => {
    expect(formatDuration(0)).toBe('under 1 s');
    expect(formatDuration(999)).toBe('under 1 s');
    expect(formatDuration(1000)).toBe('about 1 s');
    expect(formatDuration(8_400)).toBe('about 8 s');
    expect(formatDuration(89_000)).toBe('about 89 s');
    expect(formatDuration(90_000)).toBe('about 2 min');
    expect(formatDuration(6 * 60_000 + 10_000)).toBe('about 6 min');
    expect(formatDuration(89 * 60_000)).toBe('about 89 min');
    expect(formatDuration(2.5 * 3_600_000)).toBe('about 2.5 h');
    expect(formatDuration(2.6 * 3_600_000)).toBe('about 2.5 h');
    expect(formatDuration(3 * 3_600_000)).toBe('about 3 h');
    expect(formatDuration(14.4 * 3_600_000)).toBe('about 14 h');
    expect(formatDuration(72 * 3_600_000)).toBe('about 3 days');
    expect(formatDuration(Number.NaN)).toBe('under 1 s');
  });

  it('formatBytes: 1024-based, PostgreSQL labels', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(1024)).toBe('1 kB');
    expect(formatBytes(8192)).toBe('8 kB');
    expect(formatBytes(1536)).toBe('1.5 kB');
    expect(formatBytes(180 * MiB)).toBe('180 MB');
    expect(formatBytes(2.5 * GiB)).toBe('2.5 GB');
    expect(formatBytes(31 * GiB)).toBe('31 GB');
    expect(formatBytes(1023.7 * 1024)).toBe('1 MB');
    expect(formatBytes(3 * 1024 * GiB)).toBe('3 TB');
  });

  it('formatRows: exact below a million, M / B above', () => {
    expect(formatRows(null)).toBe('unknown rows');
    expect(formatRows(0)).toBe('0 rows');
    expect(formatRows(1)).toBe('1 row');
    expect(formatRows(9_500)).toBe('9,500 rows');
    expect(formatRows(250_000)).toBe('250,000 rows');
    expect(formatRows(999_999)).toBe('999,999 rows');
    expect(formatRows(1_000_000)).toBe('1M rows');
    expect(formatRows(2_500_000)).toBe('2.5M rows');
    expect(formatRows(48_000_000)).toBe('48M rows');
    expect(formatRows(48_400_000)).toBe('48M rows');
    expect(formatRows(999_700_000)).toBe('1B rows');
    expect(formatRows(1_234_000_000)).toBe('1.2B rows');
  });

  it('formatSize and formatRate', () => {
    expect(formatSize(size(48e6, 24 * GiB, 7 * GiB))).toBe('48M rows, 31 GB');
    expect(formatSize(size(null, 10 * MiB))).toBe('unknown rows, 10 MB');
    expect(formatRate(95 * MiB, 'bytes')).toBe('95 MB/s');
    expect(formatRate(1_200_000, 'rows')).toBe('1.2M rows/s');
    expect(formatRate(976_405, 'rows')).toBe('980,000 rows/s');
    expect(formatRate(450_000, 'rows')).toBe('450,000 rows/s');
    expect(formatRate(42, 'rows')).toBe('42 rows/s');
    expect(formatRate(0.5, 'rows')).toBe('1 row/s');
  });
});
