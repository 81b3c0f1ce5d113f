/**
 * Synthetic data for `ddlguard rehearse`: fills a "production" database with the fixture
 * schema (bench/support/rehearse-fixture.ts: composite keys, partial unique index, FK
 * chain, CHECKs, enum, domains, arrays, jsonb, timestamps) and skewed data, reads its
 * statistics, generates `rows` rows on a scratch database and prints the generated rows/s
 * (generation + COPY; schema creation, the constraint builds and ANALYZE are timed apart)
 * and fidelity: constraints built, rows dropped, max null_frac / n_distinct deviation.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/synth.js [rows=500000] [sourceScale=1] [streams=1]`
 * (streams: COPY streams per table, each on its own connection; 1 uses COPY FREEZE).
 * Uses DATABASE_URL when set (needs CREATEDB), otherwise an embedded PostgreSQL 18.
 */
import os from 'node:os';
import { readProductionStats } from '../src/rehearse/stats.js';
import { generateData } from '../src/rehearse/synth.js';
import { BenchDatabases, machineLine, openServer, serverLine } from './support/server.js';
import { compareColumnStats, REHEARSE_SCHEMA, rehearseData } from './support/rehearse-fixture.js';
import { fmtInt, withClient } from './support/util.js';

const ROWS = Number(process.argv[2] ?? 500_000);
const SOURCE_SCALE = Number(process.argv[3] ?? 1);
const STREAMS = Number(process.argv[4] ?? 1);

async function main(): Promise<void> {
  const server = await openServer();
  const dbs = new BenchDatabases(server.baseUrl, `ddlguard_synth_${process.pid}`);
  try {
    console.log(machineLine());
    console.log(serverLine(server));
    console.log(`COPY streams per table: ${STREAMS}`);
    console.log(`load average: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const prod = await dbs.create('prod');
    await withClient(prod, (c) => c.query(REHEARSE_SCHEMA + rehearseData(SOURCE_SCALE)));
    const stats = await readProductionStats(prod, { sampleSeconds: 1 });
    const prodRows = [...stats.definitions!.tables.keys()].reduce((a, k) => a + (stats.model.relations.get(k)?.size?.rows ?? 0), 0);
    const factor = ROWS / prodRows;
    for (const [label, rows] of [
      ['same size', prodRows],
      ['bench size', ROWS],
    ] as const) {
      const scratch = await dbs.create(label === 'same size' ? 'same' : 'big');
      const f = rows / prodRows;
      const res = await generateData(stats, scratch, { seed: 7, streams: STREAMS, rows: (_t, n) => (n ?? 0) * f });
      const generated = [...res.rows.values()].reduce((a, b) => a + b, 0);
      console.log(`\n${label}: ${fmtInt(generated)} rows (x${f.toFixed(2)} production) in ${(res.ms / 1000).toFixed(2)} s total`);
      console.log(`  generation + COPY: ${fmtInt(res.rowsPerSec)} rows/s`);
      console.log(`  constraints and indexes built after the load: ${res.constraintErrors.length === 0 ? 'all, no error' : res.constraintErrors.join('; ')}`);
      console.log(`  rows dropped (a constraint refused them): ${[...res.dropped].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
      if (label === 'same size') {
        const fid = await compareColumnStats(prod, scratch);
        const worstNull = fid.reduce((a, b) => (b.nullFracDiff > a.nullFracDiff ? b : a));
        const worstDistinct = fid.reduce((a, b) => (b.distinctDiff > a.distinctDiff ? b : a));
        console.log(`  max null_frac deviation: ${worstNull.nullFracDiff.toFixed(4)} (${worstNull.column})`);
        console.log(`  max n_distinct deviation: ${(worstDistinct.distinctDiff * 100).toFixed(1)} % (${worstDistinct.column}: ${fmtInt(worstDistinct.source.distinct)} -> ${fmtInt(worstDistinct.generated.distinct)})`);
        const worstWidth = fid.reduce((a, b) => (b.widthDiff > a.widthDiff ? b : a));
        console.log(`  max avg_width deviation: ${(worstWidth.widthDiff * 100).toFixed(1)} % (${worstWidth.column}: ${worstWidth.source.width} -> ${worstWidth.generated.width} bytes)`);
        const bytes = await Promise.all([prod, scratch].map((u) => withClient(u, async (c) => Number((await c.query("SELECT sum(pg_relation_size(oid))::float8 AS b FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")).rows[0].b))));
        console.log(`  heap bytes: production ${fmtInt(bytes[0]!)}, generated ${fmtInt(bytes[1]!)}`);
        if (process.env.SYNTH_VERBOSE) for (const x of fid) console.log(`    ${x.column}: null ${x.source.nullFrac.toFixed(3)}->${x.generated.nullFrac.toFixed(3)} width ${x.source.width}->${x.generated.width} distinct ${fmtInt(x.source.distinct)}->${fmtInt(x.generated.distinct)}`);
      }
      for (const n of res.notes) console.log(`  note: ${n}`);
    }
    void factor;
    console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    await dbs.dropAll();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
