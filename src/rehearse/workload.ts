/**
 * The rehearsal's workload: the touched tables' traffic replayed on the scratch
 * database while the plan runs. Point reads and writes by key at production's
 * measured rates (ProductionStats.activity) scaled to the scratch's size, the
 * pg_stat_statements queries whose parameters can be drawn from the generated
 * data, or a user's own SQL mix (`--workload FILE`). Every query's start time and
 * latency is recorded, so latency can be cut by step afterwards.
 */
import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { closeQuietly, connect, redactError } from '../db/connection.js';
import { loadParser, parseRaw } from '../sql/parser.js';
import { quoteIdentAlways as qi } from '../sql/quote.js';
import type { ProductionStats } from './contract.js';

export interface WorkloadQuery {
  name: string;
  sql: string;
  kind: 'read' | 'write';
  ratePerSec: number;
  /** Parameters for one call. */
  params: () => unknown[];
}

export interface LatencyRecord {
  /** Wall-clock start (ms since the epoch). */
  t: number;
  ms: number;
  name: string;
  ok: boolean;
}

export interface WorkloadSpec {
  queries: WorkloadQuery[];
  /** How each rate was chosen, for the report's inputs. */
  basis: string[];
}

/** Lowest rates replayed per table, so a quiet production still gets a probe (per second). */
export const FLOOR = { reads: 20, writes: 5 };
/** Highest total rate the rehearsal drives (per second): the scratch shares the machine. */
export const CEILING = 400;

function pick<T>(xs: T[]): T {
  return xs[Math.floor(Math.random() * xs.length)]!;
}

/** The single-column primary key of a table on the scratch, and up to 1,000 of its values. */
async function sampleKeys(c: pg.Client, table: string): Promise<{ column: string; values: string[] } | null> {
  const dot = table.indexOf('.');
  const rel = `${qi(table.slice(0, dot))}.${qi(table.slice(dot + 1))}`;
  const pk = await c.query(
    `SELECT a.attname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
     WHERE i.indrelid = $1::regclass AND i.indisprimary AND i.indnkeyatts = 1`,
    [rel],
  );
  if (pk.rowCount === 0) return null;
  const column = String(pk.rows[0].attname);
  const v = await c.query(`SELECT ${qi(column)}::text AS k FROM ${rel} TABLESAMPLE SYSTEM (10) LIMIT 1000`);
  let values = v.rows.map((r) => String(r.k));
  if (values.length === 0) values = (await c.query(`SELECT ${qi(column)}::text AS k FROM ${rel} LIMIT 1000`)).rows.map((r) => String(r.k));
  return values.length ? { column, values } : null;
}

/** `$n` -> the column it is compared with (`col = $n`, `$n < col`), or null when some parameter is not such a comparison. */
export function paramColumns(sql: string): Map<number, string> | null {
  let tree: unknown;
  try {
    tree = parseRaw(sql);
  } catch {
    return null;
  }
  const out = new Map<number, string>();
  const all = new Set<number>();
  const colName = (n: any): string | null => {
    const f = n?.ColumnRef?.fields;
    const last = Array.isArray(f) ? f[f.length - 1]?.String?.sval : undefined;
    return typeof last === 'string' ? last : null;
  };
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, any>;
    if (o.ParamRef) all.add(Number(o.ParamRef.number));
    if (o.A_Expr) {
      const { lexpr, rexpr } = o.A_Expr;
      if (rexpr?.ParamRef && colName(lexpr)) out.set(Number(rexpr.ParamRef.number), colName(lexpr)!);
      if (lexpr?.ParamRef && colName(rexpr)) out.set(Number(lexpr.ParamRef.number), colName(rexpr)!);
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(tree);
  for (const p of all) if (!out.has(p)) return null;
  return out;
}

/** Builds the replayed traffic from production's statistics, or from a user file. */
export async function buildWorkload(
  scratchUrl: string,
  stats: ProductionStats,
  tables: string[],
  scale: number,
  opts: { file?: string; rate?: number } = {},
): Promise<WorkloadSpec> {
  const basis: string[] = [];
  const queries: WorkloadQuery[] = [];
  if (opts.file) {
    let text: string;
    try {
      text = await readFile(opts.file, 'utf8');
    } catch (e) {
      throw new Error(`--workload: cannot read ${opts.file}: ${(e as Error).message}`);
    }
    await loadParser();
    let stmts: string[];
    try {
      const tree = parseRaw(text) as unknown as { stmts: Array<{ stmt_location?: number; stmt_len?: number }> };
      stmts = tree.stmts.map((s) => text.slice(s.stmt_location ?? 0, s.stmt_len ? (s.stmt_location ?? 0) + s.stmt_len : undefined).trim()).filter(Boolean);
    } catch (e) {
      throw new Error(`--workload ${opts.file}: ${(e as Error).message}`);
    }
    const rate = opts.rate ?? 20;
    stmts.forEach((sql, i) => queries.push({ name: `workload#${i + 1}`, sql, kind: /^\s*select\b/i.test(sql) ? 'read' : 'write', ratePerSec: rate / stmts.length, params: () => [] }));
    basis.push(`${stmts.length} statement(s) from ${opts.file}, ${rate}/s in all`);
    return { queries, basis };
  }
  const c = await connect(scratchUrl);
  try {
    await loadParser();
    for (const t of tables) {
      const keys = await sampleKeys(c, t);
      if (!keys) {
        basis.push(`${t}: no single-column primary key or no rows, no point reads/writes`);
        continue;
      }
      const dot = t.indexOf('.');
      const rel = `${qi(t.slice(0, dot))}.${qi(t.slice(dot + 1))}`;
      const a = stats.activity.get(t);
      const prodReads = a ? a.idxScansPerSec + a.seqScansPerSec : 0;
      const prodWrites = a ? a.updatesPerSec + a.insertsPerSec + a.deletesPerSec : 0;
      const reads = Math.max(FLOOR.reads, prodReads * scale);
      const writes = Math.max(FLOOR.writes, prodWrites * scale);
      basis.push(`${t}: production ${prodReads.toFixed(1)} reads/s, ${prodWrites.toFixed(1)} writes/s; x${scale} -> ${reads.toFixed(1)} reads/s, ${writes.toFixed(1)} writes/s (floor ${FLOOR.reads}/${FLOOR.writes})`);
      const key = qi(keys.column);
      queries.push({ name: `read ${t}`, kind: 'read', sql: `SELECT * FROM ${rel} WHERE ${key}::text = $1`, ratePerSec: reads, params: () => [pick(keys.values)] });
      queries.push({ name: `write ${t}`, kind: 'write', sql: `UPDATE ${rel} SET ${key} = ${key} WHERE ${key}::text = $1`, ratePerSec: writes, params: () => [pick(keys.values)] });
      // Key lookups by text would not use the index: compare with the key's own type.
      const type = await c.query(`SELECT pg_catalog.format_type(atttypid, atttypmod) AS t FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attname = $2`, [rel, keys.column]);
      const ty = String(type.rows[0]?.t ?? 'text');
      for (const q of queries.slice(-2)) q.sql = q.sql.replace(`${key}::text = $1`, `${key} = $1::${ty}`);
    }
    for (const q of stats.topQueries) {
      const map = paramColumns(q.query);
      const table = q.tables.find((x) => tables.includes(x));
      if (!map || !table) {
        basis.push(`top query skipped (parameters not drawn from a column): ${q.query.slice(0, 80)}`);
        continue;
      }
      const dot = table.indexOf('.');
      const rel = `${qi(table.slice(0, dot))}.${qi(table.slice(dot + 1))}`;
      const pools = new Map<number, string[]>();
      let ok = true;
      for (const [n, col] of map) {
        try {
          const v = await c.query(`SELECT ${qi(col)}::text AS v FROM ${rel} TABLESAMPLE SYSTEM (10) WHERE ${qi(col)} IS NOT NULL LIMIT 200`);
          if (v.rowCount === 0) ok = false;
          pools.set(n, v.rows.map((r) => String(r.v)));
        } catch {
          ok = false;
        }
      }
      if (!ok) {
        basis.push(`top query skipped (no values for its parameters): ${q.query.slice(0, 80)}`);
        continue;
      }
      const rate = Math.max(1, q.callsPerSec * scale);
      const count = Math.max(0, ...map.keys());
      queries.push({
        name: `top: ${q.query.slice(0, 60)}`,
        kind: /^\s*select\b/i.test(q.query) ? 'read' : 'write',
        sql: q.query,
        ratePerSec: rate,
        params: () => Array.from({ length: count }, (_, i) => pick(pools.get(i + 1)!)),
      });
      basis.push(`top query at ${rate.toFixed(1)}/s: ${q.query.slice(0, 80)}`);
    }
  } catch (e) {
    throw redactError(e, scratchUrl);
  } finally {
    await closeQuietly(c);
  }
  const total = queries.reduce((s, q) => s + q.ratePerSec, 0);
  if (total > CEILING) {
    for (const q of queries) q.ratePerSec *= CEILING / total;
    basis.push(`total rate capped at ${CEILING}/s (from ${total.toFixed(0)}/s)`);
  }
  return { queries, basis };
}

/**
 * Runs the queries on `clients` connections. Each query kind is scheduled at its rate
 * (open loop per kind: a stalled query delays only the next call of its client).
 */
export class Workload {
  readonly records: LatencyRecord[] = [];
  private stopping = false;
  private loops: Promise<void>[] = [];
  private conns: pg.Client[] = [];

  constructor(
    private readonly url: string,
    private readonly spec: WorkloadSpec,
  ) {}

  async start(): Promise<void> {
    for (const q of this.spec.queries) {
      if (q.ratePerSec <= 0) continue;
      // One connection per ~50 calls/s of a query kind, at least one.
      const n = Math.max(1, Math.min(4, Math.ceil(q.ratePerSec / 50)));
      for (let i = 0; i < n; i++) {
        const c = await connect(this.url, { applicationName: 'ddlguard-rehearse-workload' });
        this.conns.push(c);
        this.loops.push(this.loop(c, q, (1000 * n) / q.ratePerSec));
      }
    }
  }

  private async loop(c: pg.Client, q: WorkloadQuery, everyMs: number): Promise<void> {
    let next = Date.now() + Math.random() * everyMs;
    while (!this.stopping) {
      const wait = next - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.stopping) break;
      const t = Date.now();
      let ok = true;
      try {
        await c.query(q.sql, q.params());
      } catch {
        ok = false;
      }
      this.records.push({ t, ms: Date.now() - t, name: q.name, ok });
      next = Math.max(next + everyMs, Date.now());
    }
  }

  async stop(): Promise<LatencyRecord[]> {
    this.stopping = true;
    await Promise.all(this.loops);
    await Promise.all(this.conns.map((c) => closeQuietly(c)));
    return this.records;
  }
}

export interface LatencySummary {
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  failed: number;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Latency of the queries that were running at some time in [from, to]: a query that
 * started before a step and waited through it counts in the step.
 */
export function summarise(records: readonly LatencyRecord[], from: number, to: number): LatencySummary {
  const inWindow = records.filter((r) => r.t <= to && r.t + r.ms >= from);
  const ms = inWindow.map((r) => r.ms).sort((a, b) => a - b);
  return { n: ms.length, p50Ms: percentile(ms, 0.5), p99Ms: percentile(ms, 0.99), maxMs: ms.length ? ms[ms.length - 1]! : 0, failed: inWindow.filter((r) => !r.ok).length };
}
