/**
 * How long the heavy work of a statement takes on a table of a given size: a
 * throughput model per kind of work (full scan, rewrite, index build, ...)
 * whose rates bench/estimates.ts calibrates and config can override
 * (`estimates`). Pure: no I/O. See docs/estimates.md for the formulas, the
 * default rates and the accuracy the bench measured.
 */
import type { RelationSize } from '../schema/model.js';
import { LOCK_FACTS, lockFact } from './table.js';

// ---------------------------------------------------------------- work kinds

/**
 * The kinds of whole-table work a statement can do while it holds its lock.
 * Each names the bytes or rows it grows with (H heap, T TOAST, I indexes, n rows):
 * - `scan`: reads the heap once to validate (CHECK, NOT NULL, VALIDATE, ATTACH PARTITION): H.
 * - `fk-validation`: a scan, and each row looked up in the referenced table (one anti-join query): H and n (+ the referenced heap).
 * - `index-build`: one new index: a heap scan and a sort of n keys: H and n·log n.
 * - `index-build-concurrent`: CREATE INDEX / REINDEX CONCURRENTLY: an index build plus the validation pass.
 * - `rewrite`: the heap (and TOAST) is written anew and every index rebuilt: H + T, and I·log n.
 * - `copy`: the table's files are copied block by block (SET TABLESPACE): H + T.
 * - `index-copy`: an index's files are copied (ALTER INDEX ... SET TABLESPACE): I (all the table's indexes: an upper bound).
 * - `dml`: a whole-table UPDATE: a new row version and new index entries for each row: H + I.
 * - `delete`: a whole-table DELETE: each row version is marked deleted, indexes are untouched: H.
 */
export type WorkKind =
  | 'scan'
  | 'fk-validation'
  | 'index-build'
  | 'index-build-concurrent'
  | 'rewrite'
  | 'copy'
  | 'index-copy'
  | 'dml'
  | 'delete';

export const WORK_KINDS: readonly WorkKind[] = [
  'scan',
  'fk-validation',
  'index-build',
  'index-build-concurrent',
  'rewrite',
  'copy',
  'index-copy',
  'dml',
  'delete',
];

/**
 * The work each lock fact does when its variant rewrites or scans (see
 * src/locks/table.ts), in the order it happens; several kinds add up. Keyed by
 * fact id. Every fact with `rewrite` or `scan` in some variant is either here
 * or in NOT_ESTIMATED (a test checks it).
 */
export const FACT_WORK: Readonly<Record<string, readonly WorkKind[]>> = {
  // indexes
  'create-index': ['index-build'],
  'create-index-concurrently': ['index-build-concurrent'],
  // REINDEX INDEX rebuilds one index (the fact's sample); REINDEX TABLE rebuilds each of them in turn.
  reindex: ['index-build'],
  'reindex-concurrently': ['index-build-concurrent'],
  'alter-index-set-tablespace': ['index-copy'],
  // ADD COLUMN forms that fill every existing row
  'add-column-default': ['rewrite'], // PostgreSQL 10 and older only
  'add-column-default-volatile': ['rewrite'],
  'add-column-domain-constraints': ['rewrite'],
  'add-column-serial': ['rewrite'],
  'add-column-identity': ['rewrite'],
  'add-column-generated-stored': ['rewrite'],
  'add-column-check': ['scan'],
  'add-column-references-default': ['fk-validation'],
  // column changes
  'alter-column-type': ['rewrite'],
  'alter-column-type-verify': ['rewrite'],
  // the expression index over the column is built again (the table is not rewritten)
  'alter-column-type-expression-index': ['index-build'],
  // a CHECK constraint on the column is checked again against every row
  'alter-column-type-check': ['scan'],
  // the other table of the foreign key: the key is validated again (the size to pass is that table's)
  'alter-column-type-foreign-key': ['fk-validation'],
  'set-not-null': ['scan'],
  'set-not-null-proven': ['scan'], // PostgreSQL 11 and older only
  'set-expression': ['rewrite'],
  // constraints
  'add-check': ['scan'],
  'add-not-null-constraint': ['scan'],
  'add-foreign-key': ['fk-validation'],
  'validate-constraint': ['scan'],
  'validate-foreign-key': ['fk-validation'],
  'add-unique': ['index-build'],
  'add-primary-key-nullable': ['scan', 'index-build'],
  'add-exclusion': ['index-build'],
  // storage
  'set-logged': ['rewrite'],
  'set-tablespace': ['copy'],
  'set-access-method': ['rewrite'],
  'alter-constraint-enforced': ['fk-validation'], // PostgreSQL 18+
  // domains: one effect per table with a column of the domain, each scanned
  'alter-domain-add-constraint': ['scan'],
  'alter-domain-validate-constraint': ['scan'],
  'alter-domain-set-not-null': ['scan'],
  // partitions: the size to pass is the partition's (attach) or the default partition's
  'attach-partition': ['scan'],
  'attach-partition-default': ['scan'],
  'create-partition-of-default': ['scan'],
  // maintenance
  'vacuum-full': ['rewrite'],
  cluster: ['rewrite'], // plus a sort of the heap in index order, not modelled: a lower bound
  // data changes (the whole-table form)
  update: ['dml'],
  delete: ['delete'],
};

/** Facts that scan or rewrite, but whose duration is not a function of the locked relation's size. */
export const NOT_ESTIMATED: Readonly<Record<string, string>> = {
  'refresh-materialized-view': "runs the view's query, whose cost depends on the tables it reads",
  'refresh-materialized-view-concurrently': "runs the view's query and diffs it against the current contents",
  'refresh-materialized-view-with-no-data': 'the view gets new, empty storage: nothing is read or written',
  'create-materialized-view': "runs the view's query, whose cost depends on the tables it reads",
  'insert-select': 'the cost is that of its SELECT, not of the target table',
  'add-column-not-null': 'fails at the first row of a non-empty table; on an empty one the check reads nothing',
  vacuum: 'its work is the dead rows and the pages not yet all-visible, not the table size (nothing on a clean table, several passes over heap and indexes after a mass UPDATE)',
};

/**
 * The work a fact does on a given PostgreSQL major version: [] when that
 * version's variant neither rewrites nor scans (e.g. ADD COLUMN ... DEFAULT 0 on
 * 11+), or the fact is in NOT_ESTIMATED. Unknown fact ids throw.
 */
export function factWork(factId: string, pgVersion: number): readonly WorkKind[] {
  const f = lockFact(factId, pgVersion);
  if (f.unsupported || (!f.rewrite && !f.scan)) return [];
  return FACT_WORK[factId] ?? [];
}

/** Lock fact ids that rewrite or scan in some variant. */
export function heavyFactIds(): string[] {
  return LOCK_FACTS.filter((f) => f.variants.some((v) => v.rewrite || v.scan)).map((f) => f.id);
}

// ---------------------------------------------------------------- rates

/**
 * The throughput model's rates. Units are in the names: BytesPerSec and
 * RowsPerSec are per second of wall time; `At1M` rates are the rate at one
 * million rows and slow down as log2(rows) / log2(1,000,000) (n·log n sorts).
 */
export interface Throughput {
  /** Full heap read to validate a constraint (CHECK, NOT NULL, the scan part of FK validation and index builds). */
  scanBytesPerSec: number;
  /** Writing the new heap and TOAST of a rewrite (ALTER COLUMN TYPE, VACUUM FULL, ...), WAL included. */
  rewriteBytesPerSec: number;
  /** Rebuilding existing indexes after a rewrite, per byte of the indexes, at 1M rows (n·log n). */
  indexRebuildBytesPerSecAt1M: number;
  /** Sorting and writing the entries of a new index on fixed-width keys (int, bigint, timestamptz, uuid ...), per row, at 1M rows (n·log n); the heap scan is counted at scanBytesPerSec. */
  indexBuildRowsPerSecAt1M: number;
  /** The same for text keys (text, varchar) under a linguistic collation; also used when the key type is unknown. */
  textIndexBuildRowsPerSecAt1M: number;
  /** CREATE INDEX CONCURRENTLY takes this many times a plain build (second heap pass, validation sort); waits for older transactions are not included. */
  concurrentIndexBuildFactor: number;
  /** Foreign key validation: the referencing rows checked against the referenced table, per row, on top of the scans. */
  fkCheckRowsPerSec: number;
  /** Whole-table UPDATE: heap plus index bytes per second (new row versions and index entries, WAL included). */
  dmlBytesPerSec: number;
  /** Whole-table DELETE: heap bytes per second. */
  deleteBytesPerSec: number;
  /** Block-by-block file copy (SET TABLESPACE), WAL included. */
  copyBytesPerSec: number;
  /** When rows are unknown (never analyzed), rows are taken as heap bytes / this. */
  assumedBytesPerRow: number;
  /** Where these rates come from, quoted in every estimate's basis. */
  source: string;
}

export type RateName = Exclude<keyof Throughput, 'source'>;

export const RATE_NAMES: readonly RateName[] = [
  'scanBytesPerSec',
  'rewriteBytesPerSec',
  'indexRebuildBytesPerSecAt1M',
  'indexBuildRowsPerSecAt1M',
  'textIndexBuildRowsPerSecAt1M',
  'concurrentIndexBuildFactor',
  'fkCheckRowsPerSec',
  'dmlBytesPerSec',
  'deleteBytesPerSec',
  'copyBytesPerSec',
  'assumedBytesPerRow',
];

const MiB = 1024 * 1024;

/**
 * Calibrated by bench/estimates.ts (`npx tsc -p tsconfig.json && node
 * dist/bench/estimates.js`, defaults: 250,000 / 1,000,000 / 2,000,000 rows, 3
 * repetitions) on 2026-12-02: a 2-core AMD EPYC VM with 24 GiB RAM, shared with
 * other work (load average about 3 during the run); embedded PostgreSQL 18.4,
 * fsync, synchronous_commit and full_page_writes on, wal_level replica, data on
 * the VM's virtio disk; shared_buffers 128MB, work_mem 4MB,
 * maintenance_work_mem 64MB, max_parallel_maintenance_workers 2, max_wal_size
 * 1GB; databases with an ICU en-US collation. The tables (up to 208 MB of heap)
 * fit in the OS page cache, so reads ran at memory speed: real servers whose
 * tables do not fit in memory, or that are under load, are slower (see
 * docs/estimates.md, which also has the run's measured-vs-predicted table).
 * Rounded to two significant figures.
 */
export const DEFAULT_THROUGHPUT: Readonly<Throughput> = Object.freeze({
  scanBytesPerSec: 1750 * MiB, // fitted 1.7 GB/s (ADD CHECK, SET NOT NULL)
  rewriteBytesPerSec: 190 * MiB, // fitted 188 MB/s (ALTER COLUMN int -> bigint, after the index part)
  indexRebuildBytesPerSecAt1M: 75 * MiB, // fitted 75 MB/s (REINDEX TABLE: bigint pkey + timestamptz index)
  indexBuildRowsPerSecAt1M: 2_900_000, // fitted 2.9M rows/s (CREATE INDEX on int and bigint)
  textIndexBuildRowsPerSecAt1M: 1_250_000, // fitted 1.2M rows/s (CREATE INDEX on text, ICU en-US)
  concurrentIndexBuildFactor: 1.4, // fitted 1.40 (CONCURRENTLY vs plain, same bigint column, idle server)
  fkCheckRowsPerSec: 4_900_000, // fitted 4.9M rows/s (ADD FOREIGN KEY to a 100,000-row table)
  dmlBytesPerSec: 32 * MiB, // fitted 32 MB/s (UPDATE of every row, two indexes, no HOT)
  deleteBytesPerSec: 280 * MiB, // fitted 279 MB/s (DELETE of every row)
  copyBytesPerSec: 350 * MiB, // fitted 350 MB/s (SET TABLESPACE to a tablespace on the same disk)
  assumedBytesPerRow: 100, // an assumption (the bench table has 109 heap bytes per row)
  source: 'calibrated by bench/estimates.ts on PostgreSQL 18.4 (2-core VM, fsync on, warm cache)',
});

/**
 * DEFAULT_THROUGHPUT with some rates replaced (the `estimates` config key).
 * Throws on a rate that is not a positive finite number or an unknown key.
 */
export function throughput(overrides: Partial<Throughput> = {}): Throughput {
  const out: Throughput = { ...DEFAULT_THROUGHPUT };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (key === 'source') {
      if (typeof value !== 'string' || value.trim() === '') throw new Error('estimates.source must be a non-empty string');
      out.source = value;
      continue;
    }
    if (!(RATE_NAMES as readonly string[]).includes(key)) {
      throw new Error(`unknown estimates rate "${key}" (known: ${RATE_NAMES.join(', ')})`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new Error(`estimates.${key} must be a positive number (got ${String(value)})`);
    }
    out[key as RateName] = value;
  }
  return out;
}

// ---------------------------------------------------------------- estimates

export interface Estimate {
  kind: WorkKind;
  /** Best guess. */
  ms: number;
  /** Plausible range: the model's spread on the bench, widened for disks, caches and load the bench did not see. */
  lowMs: number;
  highMs: number;
  /** The inputs, the rates and where they come from, e.g. "180 MB heap read at 450 MB/s (scan), calibrated by ...". */
  basis: string;
}

export interface EstimateOptions {
  /** Rates (default DEFAULT_THROUGHPUT). */
  throughput?: Throughput;
  /** fk-validation: the referenced table, whose heap is read too. */
  referenced?: RelationSize | null;
  /**
   * index-build(-concurrent): the key of the new index. 'fixed-width' for
   * integer, timestamp, uuid ... columns; 'text' for text / varchar (and, as the
   * slower rate, when unknown: the default).
   */
  indexKey?: 'fixed-width' | 'text';
}

/** Range factors around the best guess; wider when rows had to be guessed from bytes. */
export const RANGE = Object.freeze({ low: 0.5, high: 3, lowRowsGuessed: 0.25, highRowsGuessed: 5 });

const LOG2_1M = Math.log2(1_000_000);

/** The n·log n factor relative to one million rows (1 at 1M rows). */
export function nLogNFactor(rows: number): number {
  return Math.log2(Math.max(rows, 2)) / LOG2_1M;
}

interface Term {
  ms: number;
  text: string;
}

/** Estimated duration of one kind of work on a relation of the given size. */
export function estimateWork(kind: WorkKind, size: RelationSize, opts: EstimateOptions = {}): Estimate {
  const tp = opts.throughput ?? DEFAULT_THROUGHPUT;
  const heap = Math.max(0, size.heapBytes);
  const toast = Math.max(0, size.toastBytes);
  const index = Math.max(0, size.indexBytes);
  const rowsKnown = size.rows !== null && Number.isFinite(size.rows) && size.rows >= 0;
  const rows = rowsKnown ? (size.rows as number) : heap / tp.assumedBytesPerRow;
  let rowsGuessed = false;
  /** `linear`: the estimate grows with rows (not just with log rows), so a guess widens the range. */
  const rowsText = (linear = true): string => {
    if (rowsKnown) return formatRows(rows);
    if (linear) rowsGuessed = true;
    return `~${formatRows(Math.round(rows))} (rows unknown: heap at ${rate(tp, 'assumedBytesPerRow')})`;
  };

  const scanTerm = (bytes: number, what = 'heap'): Term => ({
    ms: (bytes / tp.scanBytesPerSec) * 1000,
    text: `${formatBytes(bytes)} ${what} read at ${rate(tp, 'scanBytesPerSec')}`,
  });
  const indexBuildTerms = (): Term[] => {
    const f = nLogNFactor(rows);
    const key: RateName = opts.indexKey === 'fixed-width' ? 'indexBuildRowsPerSecAt1M' : 'textIndexBuildRowsPerSecAt1M';
    const keyText = opts.indexKey === undefined ? 'key type unknown: text rate' : `${opts.indexKey} key`;
    return [
      {
        ms: ((rows * f) / tp[key]) * 1000,
        text: `${rowsText()} sorted at ${formatRate(tp[key] / f, 'rows')} (${keyText}, n·log n)${fromConfigNote(tp, key)}`,
      },
      scanTerm(heap),
    ];
  };

  let terms: Term[];
  switch (kind) {
    case 'scan':
      terms = [scanTerm(heap)];
      break;
    case 'fk-validation': {
      terms = [
        { ms: (rows / tp.fkCheckRowsPerSec) * 1000, text: `${rowsText()} checked at ${rate(tp, 'fkCheckRowsPerSec')}` },
        scanTerm(heap),
      ];
      if (opts.referenced) terms.push(scanTerm(Math.max(0, opts.referenced.heapBytes), 'referenced heap'));
      break;
    }
    case 'index-build':
      terms = indexBuildTerms();
      break;
    case 'index-build-concurrent': {
      const build = indexBuildTerms();
      const plain = build.reduce((s, t) => s + t.ms, 0);
      terms = [
        {
          ms: plain * tp.concurrentIndexBuildFactor,
          text: `${trimNumber(tp.concurrentIndexBuildFactor)} × a plain build (${build.map((t) => t.text).join(' + ')})${fromConfigNote(tp, 'concurrentIndexBuildFactor')}`,
        },
      ];
      break;
    }
    case 'rewrite': {
      const f = nLogNFactor(rows);
      terms = [
        { ms: ((heap + toast) / tp.rewriteBytesPerSec) * 1000, text: `${formatBytes(heap + toast)} heap${toast > 0 ? ' and TOAST' : ''} rewritten at ${rate(tp, 'rewriteBytesPerSec')}` },
      ];
      if (index > 0) {
        terms.push({
          ms: ((index * f) / tp.indexRebuildBytesPerSecAt1M) * 1000,
          text: `${formatBytes(index)} of indexes rebuilt at ${formatRate(tp.indexRebuildBytesPerSecAt1M / f, 'bytes')} (n·log n${rowsKnown ? '' : ` of ${rowsText(false)}`})${fromConfigNote(tp, 'indexRebuildBytesPerSecAt1M')}`,
        });
      }
      break;
    }
    case 'copy':
      terms = [{ ms: ((heap + toast) / tp.copyBytesPerSec) * 1000, text: `${formatBytes(heap + toast)} copied at ${rate(tp, 'copyBytesPerSec')}` }];
      break;
    case 'index-copy':
      terms = [{ ms: (index / tp.copyBytesPerSec) * 1000, text: `${formatBytes(index)} of indexes (all of the table's: an upper bound) copied at ${rate(tp, 'copyBytesPerSec')}` }];
      break;
    case 'dml':
      terms = [{ ms: ((heap + index) / tp.dmlBytesPerSec) * 1000, text: `${formatBytes(heap + index)} of heap and indexes updated at ${rate(tp, 'dmlBytesPerSec')}` }];
      break;
    case 'delete':
      terms = [{ ms: (heap / tp.deleteBytesPerSec) * 1000, text: `${formatBytes(heap)} heap deleted at ${rate(tp, 'deleteBytesPerSec')}` }];
      break;
  }

  const ms = terms.reduce((s, t) => s + t.ms, 0);
  const [lo, hi] = rowsGuessed ? [RANGE.lowRowsGuessed, RANGE.highRowsGuessed] : [RANGE.low, RANGE.high];
  return {
    kind,
    ms,
    lowMs: ms * lo,
    highMs: ms * hi,
    basis: `${kind}: ${terms.map((t) => t.text).join(' + ')}; ${sourceNote(tp)}`,
  };
}

/**
 * The estimate for a lock fact on a version (the sum of its kinds of work;
 * `kind` is the last of them), or null when that variant does no
 * size-dependent work or the fact is not estimated.
 */
export function estimateFact(factId: string, pgVersion: number, size: RelationSize, opts: EstimateOptions = {}): Estimate | null {
  const kinds = factWork(factId, pgVersion);
  if (kinds.length === 0) return null;
  const parts = kinds.map((k) => estimateWork(k, size, opts));
  if (parts.length === 1) return parts[0]!;
  const tp = opts.throughput ?? DEFAULT_THROUGHPUT;
  const strip = (b: string) => b.slice(0, b.lastIndexOf('; '));
  return {
    kind: parts[parts.length - 1]!.kind,
    ms: parts.reduce((s, p) => s + p.ms, 0),
    lowMs: parts.reduce((s, p) => s + p.lowMs, 0),
    highMs: parts.reduce((s, p) => s + p.highMs, 0),
    basis: `${parts.map((p) => strip(p.basis)).join(', then ')}; ${sourceNote(tp)}`,
  };
}

// ---------------------------------------------------------------- sources

function isDefault(tp: Throughput, key: RateName): boolean {
  return tp[key] === DEFAULT_THROUGHPUT[key];
}

/** A rate as text, marked "(from config)" when it differs from the calibrated default and no other source was given. */
function rate(tp: Throughput, key: RateName): string {
  const v = tp[key];
  const text =
    key === 'assumedBytesPerRow'
      ? `${formatBytes(v)}/row`
      : key === 'concurrentIndexBuildFactor'
        ? `×${trimNumber(v)}`
        : formatRate(v, key.includes('Rows') ? 'rows' : 'bytes');
  return `${text}${fromConfigNote(tp, key)}`;
}

function fromConfigNote(tp: Throughput, key: RateName): string {
  return !isDefault(tp, key) && tp.source === DEFAULT_THROUGHPUT.source ? ' (from config)' : '';
}

function sourceNote(tp: Throughput): string {
  const configured = RATE_NAMES.filter((k) => !isDefault(tp, k));
  if (configured.length === 0 || tp.source !== DEFAULT_THROUGHPUT.source) return tp.source;
  if (configured.length === RATE_NAMES.length) return 'rates from config';
  return `other rates ${tp.source}`;
}

// ---------------------------------------------------------------- formatting

/** Rounded for messages: "under 1 s", "about 8 s", "about 6 min", "about 2.5 h", "about 3 days". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return 'under 1 s';
  const s = ms / 1000;
  if (s < 90) return `about ${Math.round(s)} s`;
  const min = s / 60;
  if (min < 90) return `about ${Math.round(min)} min`;
  const h = min / 60;
  if (h < 48) return `about ${trimNumber(h < 10 ? Math.round(h * 2) / 2 : Math.round(h))} h`;
  return `about ${Math.round(h / 24)} days`;
}

/** "about 7 s (4 s to 21 s)" from an estimate with a range. */
export function formatDurationRange(e: { ms: number; lowMs?: number; highMs?: number }): string {
  if (e.highMs !== undefined && e.highMs < 1000) return 'under 1 s';
  const bare = (ms: number) => formatDuration(ms).replace(/^about /, '');
  if (e.lowMs === undefined || e.highMs === undefined || bare(e.lowMs) === bare(e.highMs)) return formatDuration(e.ms);
  return `${formatDuration(e.ms)} (${bare(e.lowMs)} to ${bare(e.highMs)})`;
}

const BYTE_UNITS = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

/**
 * Sizes in 1024-based units with PostgreSQL's labels (kB, MB, GB, TB), so the
 * figures match pg_size_pretty and psql's \dt+: "512 bytes", "8 kB", "2.5 GB",
 * "180 MB", "31 GB". Below 10 one decimal (dropped when it is 0), else whole numbers.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(Number.isFinite(bytes) ? bytes : 0))} bytes`;
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  // 1023.6 kB rounds to "1024 kB": say "1.0 MB" instead.
  if (Math.round(v) >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? trimNumber(Math.round(v * 10) / 10) : Math.round(v)} ${BYTE_UNITS[u]}`;
}

/**
 * Row counts: exact with thousands separators below one million ("1 row",
 * "9,500 rows", "250,000 rows"); from one million in M / B with one decimal
 * below 10 ("2.5M rows", "48M rows", "1.2B rows").
 */
export function formatRows(rows: number | null): string {
  if (rows === null || !Number.isFinite(rows)) return 'unknown rows';
  const n = Math.max(0, Math.round(rows));
  if (n < 1_000_000) return `${groupThousands(n)} ${n === 1 ? 'row' : 'rows'}`;
  const [v, unit] = n < 1e9 ? [n / 1e6, 'M'] : [n / 1e9, 'B'];
  const shown = v < 10 ? Math.round(v * 10) / 10 : Math.round(v);
  if (unit === 'M' && shown >= 1000) return formatRows(1e9); // 999.7M rows -> 1B rows
  return `${trimNumber(shown)}${unit} rows`;
}

/** "48M rows, 31 GB" (total bytes: heap, indexes and TOAST). */
export function formatSize(size: RelationSize): string {
  return `${formatRows(size.rows)}, ${formatBytes(size.totalBytes)}`;
}

/** "95 MB/s", "1.2M rows/s", "980,000 rows/s" (rows/s rounded to two significant figures). */
export function formatRate(perSec: number, unit: 'bytes' | 'rows'): string {
  if (unit === 'bytes') return `${formatBytes(perSec)}/s`;
  const digits = perSec >= 1 ? Math.floor(Math.log10(perSec)) - 1 : 0;
  const step = 10 ** Math.max(0, digits);
  return `${formatRows(Math.round(perSec / step) * step)}/s`;
}

function trimNumber(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** 1234567 -> "1,234,567", without Intl (loading ICU costs a short CLI run ~10 ms). */
export function groupThousands(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
