/**
 * The consent check before apply runs anything: a step that rewrites or scans a table
 * under a lock that blocks the application is allowed only on a small table, or when
 * the operator names it (`--allow-blocking <step id>` or `all`). Sizes are read again
 * from the target, since a plan.json may be older than the table's growth.
 */
import type pg from 'pg';
import { estimateFact, type Throughput } from '../locks/estimate.js';
import { estimateRecord } from '../locks/estimate-effect.js';
import { describeBlocking } from '../plan/blocking-text.js';
import { DEFAULT_SMALL_TABLE, type SmallTable, type StepBlocking } from '../plan/model.js';
import type { RelationSize } from '../schema/model.js';
import type { Plan, PlanStep } from './types.js';

export interface BlockingStep {
  step: PlanStep;
  schema: string;
  name: string;
  lock: string;
  work: 'rewrite' | 'scan';
  /** As read from the target now; null when the table is not there (yet) or unnamed. */
  size: { rows: number | null; bytes: number } | null;
  estimate: StepBlocking['estimate'];
  missing: string[];
  allowed: boolean;
}

export interface BlockingVerdict {
  /** Blocking steps on tables that are not small, not allowed: apply must not start. */
  refused: BlockingStep[];
  /** Blocking steps the operator allowed. */
  allowed: BlockingStep[];
}

/** Steps that hold a blocking lock for a time proportional to a pre-existing table. */
function candidate(step: PlanStep): { schema: string; name: string; blocking: StepBlocking | null } | null {
  if (step.blocking) return { schema: step.blocking.schema, name: step.blocking.name, blocking: step.blocking };
  if ((step.risk === 'blocking-rewrite' || step.risk === 'blocking-scan') && step.table) return { ...step.table, blocking: null };
  return null;
}

export async function checkBlocking(client: pg.Client, plan: Plan, steps: readonly PlanStep[], allow: readonly string[] = [], throughput?: Throughput): Promise<BlockingVerdict> {
  const found = steps.map((step) => ({ step, c: candidate(step) })).filter((x): x is { step: PlanStep; c: NonNullable<ReturnType<typeof candidate>> } => x.c !== null);
  const verdict: BlockingVerdict = { refused: [], allowed: [] };
  if (found.length === 0) return verdict;
  const sizes = await readSizes(client, found.map((f) => f.c));
  const small: SmallTable = { ...DEFAULT_SMALL_TABLE, ...plan.smallTable };
  const allowAll = allow.includes('all');
  for (const [i, { step, c }] of found.entries()) {
    const size = sizes[i] ?? null;
    // Not there yet: an earlier step of this plan creates it, so nobody else uses it.
    if (c.schema && size === 'absent') continue;
    const known = size === 'absent' ? null : size;
    if (known && known.rows !== null && known.rows < small.rows && known.totalBytes < small.bytes) continue;
    const b = c.blocking;
    // The estimate from the sizes as they are now, else the plan's.
    const fresh = known && step.fact ? estimateFact(step.fact, plan.pgVersion, known, throughput ? { throughput } : {}) : null;
    const entry: BlockingStep = {
      step,
      schema: c.schema,
      name: c.name,
      lock: b?.lock ?? step.lock?.mode ?? 'a blocking lock',
      work: b?.work ?? (step.risk === 'blocking-rewrite' ? 'rewrite' : 'scan'),
      size: known ? { rows: known.rows, bytes: known.totalBytes } : null,
      estimate: fresh ? estimateRecord(fresh) : (b?.estimate ?? null),
      missing: b?.missing ?? [],
      allowed: allowAll || allow.includes(step.id),
    };
    (entry.allowed ? verdict.allowed : verdict.refused).push(entry);
  }
  return verdict;
}

/** Rows (reltuples, null when never analyzed), heap, index and TOAST bytes per table, summed over partitions; 'absent' when missing. */
async function readSizes(client: pg.Client, tables: ReadonlyArray<{ schema: string; name: string }>): Promise<Array<RelationSize | 'absent' | null>> {
  const named = tables.map((t) => (t.schema ? t : null));
  // A partitioned table's size is its leaf partitions' (pg_partition_tree lists nothing for a plain table).
  const r = await client.query<{ i: number; found: boolean; rows: string | null; heap: string | null; indexes: string | null; toast: string | null }>(
    `SELECT t.i, c.oid IS NOT NULL AS found,
            CASE WHEN bool_or(pc.reltuples < 0 AND pg_catalog.pg_relation_size(pc.oid) > 0) THEN NULL
                 ELSE sum(GREATEST(pc.reltuples, 0)) END::text AS rows,
            sum(pg_catalog.pg_relation_size(pc.oid))::text AS heap,
            sum(pg_catalog.pg_indexes_size(pc.oid))::text AS indexes,
            sum(pg_catalog.pg_table_size(pc.oid) - pg_catalog.pg_relation_size(pc.oid))::text AS toast
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(schema, name, i)
       LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema
       LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
       LEFT JOIN LATERAL (
         SELECT pt.relid AS oid FROM pg_catalog.pg_partition_tree(c.oid) pt WHERE pt.isleaf AND c.relkind = 'p'
         UNION ALL SELECT c.oid WHERE c.relkind <> 'p'
       ) leaf ON true
       LEFT JOIN pg_catalog.pg_class pc ON pc.oid = leaf.oid
      GROUP BY t.i, c.oid
      ORDER BY t.i`,
    [named.map((t) => t?.schema ?? ''), named.map((t) => t?.name ?? '')],
  );
  return r.rows.map((row, i) => {
    if (!named[i]) return null;
    if (!row.found) return 'absent';
    const heapBytes = Number(row.heap ?? 0);
    const indexBytes = Number(row.indexes ?? 0);
    const toastBytes = Number(row.toast ?? 0);
    return { rows: row.rows === null ? null : Math.round(Number(row.rows)), heapBytes, indexBytes, toastBytes, totalBytes: heapBytes + indexBytes + toastBytes };
  });
}

/** The refusal, as lines: each step, its table, lock, size and estimate, why it is not online, and the way out. */
export function describeRefusal(v: BlockingVerdict): string {
  const out = [`refusing to start: ${v.refused.length === 1 ? '1 step blocks' : `${v.refused.length} steps block`} the application on a table that is not known to be small; nothing was run`];
  for (const b of v.refused) {
    out.push(`  ${b.step.id}: ${describeBlockingStep(b)}`);
    if (b.estimate) out.push(`    estimate: ${b.estimate.basis}`);
    for (const m of b.missing) out.push(`    not online: ${m}`);
  }
  const ids = v.refused.map((b) => b.step.id);
  out.push(`  to run ${ids.length === 1 ? 'it' : 'them'} anyway: --allow-blocking ${ids.join(' --allow-blocking ')} (or --allow-blocking all)`);
  return out.join('\n');
}

export function describeBlockingStep(b: BlockingStep): string {
  return describeBlocking(b);
}
