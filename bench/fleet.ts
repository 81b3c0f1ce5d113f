/**
 * Fleet throughput: applies a reference plan to many tenant databases (default 200, each
 * a copy of one seeded with 20,000 rows) through a fleet run (waves canary 1 / rest, one
 * gate check) at several worker concurrencies (default 1, 4 and 8), each round on fresh
 * copies, and prints targets per minute for each. One in-process worker (the one of
 * `ddlguard apply --fleet`), the control database on the same server. Checks that every
 * target ends done with the schema and data of the first one. Asserts nothing else.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/fleet.js [targets=200] [rows=20000] [concurrencies=1,4,8]`.
 * Uses DATABASE_URL when set (the role needs CREATEDB: the bench creates and drops its own
 * databases), otherwise starts an embedded PostgreSQL 18.
 */
import { loadParser } from '../src/sql/parser.js';
import { planMigration } from '../src/plan/planner.js';
import type { Plan } from '../src/apply/types.js';
import { ControlDb } from '../src/fleet/control.js';
import { createFleetOutput } from '../src/fleet/progress.js';
import { createOrResume } from '../src/fleet/run.js';
import { Redactor } from '../src/fleet/secrets.js';
import { DEFAULT_GATES, type AssignedWave, type FleetTarget } from '../src/fleet/types.js';
import { runWorker } from '../src/fleet/worker.js';
import { BenchDatabases, machineLine, openServer, serverLine } from './support/server.js';
import { describeTable } from './support/schema.js';
import { fmtInt, fmtMs, now, percentile, rowHash, tableChecksum, withClient } from './support/util.js';

const TARGETS = Number(process.argv[2] ?? 200);
const ROWS = Number(process.argv[3] ?? 20_000);
const CONCURRENCIES = (process.argv[4] ?? '1,4,8').split(',').map(Number);

const SCHEMA_SQL = 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, balance int NOT NULL DEFAULT 0);';
/** The reference plan: a column and its batched backfill, SET NOT NULL, a unique index built concurrently, a CHECK validated. */
const MIGRATION = `ALTER TABLE accounts ADD COLUMN public_id uuid;
UPDATE accounts SET public_id = md5(id::text)::uuid WHERE public_id IS NULL;
ALTER TABLE accounts ALTER COLUMN public_id SET NOT NULL;
CREATE UNIQUE INDEX accounts_public_id_key ON accounts (public_id);
ALTER TABLE accounts ADD CONSTRAINT accounts_balance_nonneg CHECK (balance >= 0);
`;
const CHECK = 'SELECT count(*) = 0 FROM accounts WHERE public_id IS NULL';

interface Round {
  concurrency: number;
  copyMs: number;
  wallMs: number;
  perTarget: number[];
  done: number;
  sameAsFirst: boolean;
}

async function seedTemplate(dbs: BenchDatabases): Promise<void> {
  const tpl = await dbs.create('tpl');
  await withClient(tpl, async (c) => {
    await c.query(`${SCHEMA_SQL} INSERT INTO accounts SELECT g, 'user' || g || '@example.com', g % 1000 FROM generate_series(1, ${ROWS}) g`);
    await c.query('VACUUM ANALYZE accounts');
  });
}

async function main(): Promise<void> {
  const server = await openServer();
  const dbs = new BenchDatabases(server.baseUrl, `ddlguard_fleet_${process.pid}`);
  const cleanup = async () => {
    await dbs.dropAll();
    await server.stop();
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.on('exit', () => server.removeDataSync());
  try {
    console.log(machineLine());
    console.log(serverLine(server));
    await loadParser();
    const plan = planMigration([{ path: 'migrations/002_public_id.sql', text: MIGRATION }], {
      pgVersion: server.info.major,
      history: [{ path: 'migrations/001_accounts.sql', text: SCHEMA_SQL }],
      tableSizes: new Map([['public.accounts', { rows: ROWS, bytes: ROWS * 80 }]]),
      // The online form even for a smaller quick run (20,000 rows is above the default 10,000).
      smallTable: { rows: Math.min(10_000, ROWS) },
    }) as unknown as Plan;
    console.log(`plan ${plan.id}: ${plan.steps.map((s) => s.id).join(', ')}`);
    await seedTemplate(dbs);
    console.log(`${TARGETS} tenant databases of ${fmtInt(ROWS)} rows each per round, concurrencies ${CONCURRENCIES.join(', ')}\n`);
    const rounds: Round[] = [];
    for (const concurrency of CONCURRENCIES) {
      const tag = `c${concurrency}`;
      const names = Array.from({ length: TARGETS }, (_, i) => `${tag}_t${String(i + 1).padStart(4, '0')}`);
      const copies = await dbs.copies('tpl', names);
      const controlUrl = await dbs.create(`${tag}_control`);
      const red = new Redactor();
      const control = await ControlDb.open(controlUrl, red);
      try {
        const targets: FleetTarget[] = copies.urls.map((url, i) => ({ name: names[i]!, storedUrl: url, connectUrl: url, schema: null, searchPath: null, source: 'bench' }));
        const gates = { ...DEFAULT_GATES, checks: [CHECK] };
        const waves: AssignedWave[] = [
          { name: 'canary', gates, targets: targets.slice(0, 1) },
          { name: 'rest', gates, targets: targets.slice(1) },
        ];
        await createOrResume(control, { runId: `bench-${tag}`, plan, waves, applyOptions: {}, concurrency, leaseMs: 60_000, fleetFile: null });
        let failures = 0;
        const output = createFleetOutput({
          format: 'json',
          redactor: red,
          write: (line) => {
            if (line.includes('"event":"target.failed"')) {
              failures++;
              process.stdout.write(`    ${line}`);
            }
          },
        });
        const t0 = now();
        const r = await runWorker({ control, runId: `bench-${tag}`, redactor: red, output, pollMs: 200 });
        const wallMs = now() - t0;
        const rows = await control.loadTargets(`bench-${tag}`);
        const perTarget = rows.map((t) => t.elapsedMs).sort((a, b) => a - b);
        // Every target like the first: schema of accounts, and its data.
        const first = await withClient(copies.urls[0]!, async (c) => ({ schema: await describeTable(c, 'accounts'), data: await tableChecksum(c, 'accounts', rowHash('id', 'public_id', 'balance')) }));
        let same = true;
        for (const u of copies.urls.slice(1)) {
          const x = await withClient(u, async (c) => ({ schema: await describeTable(c, 'accounts'), data: await tableChecksum(c, 'accounts', rowHash('id', 'public_id', 'balance')) }));
          if (JSON.stringify(x) !== JSON.stringify(first)) same = false;
        }
        const done = rows.filter((t) => t.status === 'done').length;
        rounds.push({ concurrency, copyMs: copies.ms, wallMs, perTarget, done, sameAsFirst: same });
        console.log(
          `concurrency ${concurrency}: ${done}/${TARGETS} done (run ${r.runStatus}, ${failures} failed) in ${fmtMs(wallMs)}: ${(TARGETS / (wallMs / 60_000)).toFixed(0)} targets/min; ` +
            `per target p50 ${fmtMs(percentile(perTarget, 0.5))}, p95 ${fmtMs(percentile(perTarget, 0.95))}, max ${fmtMs(perTarget.at(-1) ?? NaN)}; ` +
            `every target like the first: ${same ? 'yes' : 'NO'} (copies made in ${fmtMs(copies.ms)}, not counted)`,
        );
      } finally {
        await control.close();
      }
      await dbs.dropAll();
      // The template goes with dropAll: make it again for the next round.
      if (concurrency !== CONCURRENCIES.at(-1)) await seedTemplate(dbs);
    }
    console.log('\n| concurrency | targets | wall | targets/min | per target p50 / p95 / max | all like the first |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rounds) {
      console.log(
        `| ${r.concurrency} | ${r.done}/${TARGETS} | ${fmtMs(r.wallMs)} | ${(TARGETS / (r.wallMs / 60_000)).toFixed(0)} | ${fmtMs(percentile(r.perTarget, 0.5))} / ${fmtMs(percentile(r.perTarget, 0.95))} / ${fmtMs(r.perTarget.at(-1) ?? NaN)} | ${r.sameAsFirst ? 'yes' : 'no'} |`,
      );
    }
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
