/**
 * `ddlguard rehearse` accuracy: predicted against actual, per step.
 *
 * Seeds a "production" database with `orders` (default 2,000,000 rows), plans
 * a migration with a backfilled volatile-default column, a concurrent index and
 * a rewriting type change from it, rehearses the plan at 5 % (and 2.5 %, the
 * second scale of the cost model) on scratch databases of the same server
 * under the replayed workload, then applies the plan to the full-size database
 * under the same workload, measured the same way. Prints, per step, the
 * rehearsed time, the predicted range and the actual time, and whether every
 * step over 1 s at full size is within ±35 % of its prediction (exit 1 when not).
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/rehearse.js [rows=2000000] [scale=0.05]`.
 * Uses DATABASE_URL when set (the role needs CREATEDB), else an embedded PostgreSQL 18.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planFromPaths } from '../src/cli/commands/plan.js';
import { validatePlan } from '../src/apply/runner.js';
import { readStats } from '../src/rehearse/data.js';
import { measurePlan, stepTable } from '../src/rehearse/measure.js';
import { rehearse } from '../src/rehearse/run.js';
import { fmtMs as fmtReport } from '../src/rehearse/report/index.js';
import { buildWorkload, summarise, Workload } from '../src/rehearse/workload.js';
import { BenchDatabases, machineLine, openServer, serverLine } from './support/server.js';
import { fmtInt, withClient } from './support/util.js';

const rows = Number(process.argv[2] ?? 2_000_000);
const scale = Number(process.argv[3] ?? 0.05);
const TOLERANCE = 0.35;

const MIGRATION = `ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();
CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
ALTER TABLE orders ALTER COLUMN amount TYPE bigint;
`;

async function main(): Promise<number> {
  const server = await openServer();
  process.on('exit', () => server.removeDataSync());
  const dbs = new BenchDatabases(server.baseUrl, `rehearse_bench_${process.pid}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-rehearse-bench-'));
  try {
    console.log(machineLine());
    console.log(serverLine(server));
    const prod = await dbs.create('prod');
    let t = Date.now();
    await withClient(prod, async (c) => {
      await c.query(`CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, amount int NOT NULL, status text NOT NULL, note text, created_at timestamptz NOT NULL)`);
      await c.query(`INSERT INTO orders SELECT g, ((g::bigint * 7919) % 50000)::int, ((g::bigint * 31) % 100000)::int, (ARRAY['new','paid','shipped','done'])[1 + g % 4], CASE WHEN g % 5 = 0 THEN NULL ELSE 'order note ' || md5(g::text) END, timestamptz '2024-01-01' + g * interval '1 second' FROM generate_series(1, ${rows}) g`);
      await c.query('VACUUM ANALYZE orders');
    });
    console.log(`seeded orders with ${fmtInt(rows)} rows in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const file = path.join(dir, '0001_orders.sql');
    writeFileSync(file, MIGRATION);
    const { plan: planned } = await planFromPaths({ paths: [file], db: prod });
    const plan = validatePlan(planned);
    console.log(`plan ${plan.id}: ${plan.steps.map((s) => s.id).join(', ')}`);

    t = Date.now();
    const rehearsals: Array<{ scale: number; steps: unknown[] }> = [];
    const report = await rehearse({ prodUrl: prod, plan, scratchUrl: server.baseUrl, scale, log: (m) => console.log(`  rehearse: ${m}`), onRehearsal: (s, m) => rehearsals.push({ scale: s, steps: m.steps }) });
    console.log(`rehearsal (scales ${report.inputs.scales.join(', ')}) took ${((Date.now() - t) / 1000).toFixed(1)} s, status ${report.status}`);

    // Full size, under the same workload (production's measured rates, unscaled: the floor on this idle server, as in the rehearsal).
    const touched = [...new Set(plan.steps.map(stepTable).filter((x): x is string => x !== null))];
    const stats = await readStats(prod, touched, 1000);
    const workload = new Workload(prod, await buildWorkload(prod, stats, touched, 1));
    await workload.start();
    await new Promise((r) => setTimeout(r, 1000));
    // What else ran on the server during the full-size apply (autovacuum, checkpoints), every 500 ms.
    const background: Array<{ t: number; vacuum: string[]; checkpoints: number }> = [];
    let polling = true;
    const poller = withClient(prod, async (c) => {
      while (polling) {
        const r = await c.query(`SELECT (SELECT coalesce(array_agg(v.relid::regclass::text || ':' || v.phase || ':' || v.heap_blks_scanned || '/' || v.heap_blks_total), '{}') FROM pg_stat_progress_vacuum v) AS vacuum, (SELECT num_done FROM pg_stat_checkpointer) AS checkpoints`);
        background.push({ t: Date.now(), vacuum: r.rows[0].vacuum as string[], checkpoints: Number(r.rows[0].checkpoints) });
        await new Promise((res) => setTimeout(res, 500));
      }
    });
    const actual = await measurePlan(plan, prod, () => workload.records);
    polling = false;
    await poller;
    await workload.stop();
    for (const a of actual.steps) {
      const inside = background.filter((b) => b.t >= a.start && b.t <= a.end);
      if (inside.length === 0) continue;
      const vac = inside.filter((b) => b.vacuum.length > 0).length;
      console.log(`  during ${a.id}: autovacuum running in ${vac} of ${inside.length} samples${vac ? ` (${inside.find((b) => b.vacuum.length)!.vacuum.join(', ')} ... ${[...inside].reverse().find((b) => b.vacuum.length)!.vacuum.join(', ')})` : ''}; checkpoints done ${inside[inside.length - 1]!.checkpoints - inside[0]!.checkpoints}`);
    }
    console.log(`full-size apply: ${actual.status}${actual.error ? ` (${actual.error})` : ''}`);
    // Every measure (per-batch logs included) for analysis, when asked: REHEARSE_BENCH_DUMP=file.json.
    const after = await withClient(prod, async (c) => ({
      table: (await c.query(`SELECT n_live_tup, n_dead_tup, autovacuum_count, last_autovacuum::text, autoanalyze_count, pg_table_size('orders') AS heap, pg_indexes_size('orders') AS indexes FROM pg_stat_user_tables WHERE relname = 'orders'`)).rows[0],
      checkpointer: (await c.query(`SELECT * FROM pg_stat_checkpointer`).catch(() => ({ rows: [null] }))).rows[0],
    }));
    console.log(`after the full-size apply: ${JSON.stringify(after)}`);
    if (process.env.REHEARSE_BENCH_DUMP) writeFileSync(process.env.REHEARSE_BENCH_DUMP, JSON.stringify({ server: server.info, after, background, rehearsals, actual: actual.steps, report }, (_k, v) => (typeof v === 'bigint' ? String(v) : v), 1));

    const lines: string[] = [];
    lines.push('| step | kind | rehearsed 5 % | predicted (range) | actual | error | > 1 s: within ±35 % | workload max (rehearsed / actual) |');
    lines.push('|---|---|---|---|---|---|---|---|');
    let ok = true;
    for (const a of actual.steps) {
      const p = report.steps.find((s) => s.id === a.id);
      if (!p) continue;
      const err = (p.predicted.ms - a.ms) / Math.max(1, a.ms);
      const judged = a.ms > 1000;
      const within = Math.abs(err) <= TOLERANCE;
      if (judged && !within) ok = false;
      const w = summarise(workload.records, a.start, a.end);
      lines.push(
        `| ${a.id} | ${a.kind} | ${fmtReport(p.rehearsed.ms)} | ${fmtReport(p.predicted.ms)} (${fmtReport(p.predicted.lowMs)}–${fmtReport(p.predicted.highMs)}) | ${fmtReport(a.ms)} | ${(err * 100).toFixed(0)} % | ${judged ? (within ? 'yes' : 'NO') : '-'} | ${fmtReport(p.rehearsed.workload.maxMs)} / ${fmtReport(w.maxMs)} |`,
      );
    }
    console.log(lines.join('\n'));
    for (const s of report.steps) console.log(`  ${s.id}: ${s.prediction.model}; rehearsals ${s.prediction.inputs.rehearsals.map((x) => `${Math.round(x.size)} in ${x.ms} ms`).join(', ')}; production ${s.prediction.inputs.production === null ? '?' : Math.round(s.prediction.inputs.production)} ${s.prediction.inputs.unit}`);
    console.log(`  cache: production shared_buffers ${report.inputs.cache.prodSharedBuffers} B, scratch ${report.inputs.cache.scratchSharedBuffers} B; ${report.inputs.cache.basis}`);
    console.log(ok ? 'accuracy: every step over 1 s is within ±35 %' : 'accuracy: MISSED (a step over 1 s is outside ±35 %)');
    return ok && actual.status === 'done' ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dbs.dropAll().catch(() => {});
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
