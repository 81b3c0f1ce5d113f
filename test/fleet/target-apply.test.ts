/**
 * applyPlan's per-target options (schema per tenant): `searchPath` scopes the plan's
 * unqualified SQL, done checks and to_regclass calls to the tenant's schema; `stateKey`
 * keeps each schema's progress apart and lets two schemas of one database run at once,
 * while a plain apply of the database still excludes them.
 */
import { describe, expect, it } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';
import { applyPlan } from '../../src/apply/runner.js';
import { memoryLogger } from '../../src/apply/log.js';
import { client, plan, sleep, step } from '../apply/helpers.js';

const PLAN = plan('tenant-plan', [
  step('add-total', 'ALTER TABLE items ADD COLUMN total bigint', {
    doneCheck: `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = to_regclass('items') AND a.attname = 'total' AND NOT a.attisdropped)`,
  }),
  step('fill-total', 'UPDATE items SET total = price * 2', {
    phase: 'migrate',
    batch: { table: 'items', keyColumns: ['id'], updateSql: 'UPDATE items SET total = price * 2 WHERE id BETWEEN $1 AND $2 AND total IS NULL', predicate: 'total IS NULL', batchSize: 500 },
  }),
  step('index-total', 'CREATE INDEX CONCURRENTLY items_total_idx ON items (total)', { transaction: 'none', guard: { kind: 'none', reason: 'CONCURRENTLY' } }),
  step('slow', 'SELECT pg_sleep(0.4)'),
]);

const BF = { targetBatchMs: 20, minBatchSize: 100, maxBatchSize: 500, sleepBetweenMs: 0, maxReplicationLagMs: null };

async function seed(url: string, schemas: string[]) {
  const c = await client(url);
  try {
    for (const s of schemas) {
      await c.query(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.items (id int PRIMARY KEY, price int NOT NULL); INSERT INTO ${s}.items SELECT g, g FROM generate_series(1, 3000) g`);
    }
  } finally {
    await c.end();
  }
}

describe.skipIf(!pgUrl())('applyPlan with a search_path and a state key', () => {
  it('applies the same plan to two schemas of one database side by side, each with its own state; done checks resolve per schema', async () => {
    await withDatabase(undefined, async (url) => {
      await seed(url, ['tenant_a', 'tenant_b']);
      const c = await client(url);
      try {
        // tenant_b already has the column: its done check (to_regclass('items')) must see b's table, not a's.
        await c.query('ALTER TABLE tenant_b.items ADD COLUMN total bigint');
        const la = memoryLogger();
        const lb = memoryLogger();
        const [a, b] = await Promise.all([
          applyPlan(PLAN, { db: url, searchPath: ['tenant_a', 'public'], stateKey: 'tenant-plan@tenant_a', logger: la, backfill: BF }),
          applyPlan(PLAN, { db: url, searchPath: ['tenant_b', 'public'], stateKey: 'tenant-plan@tenant_b', logger: lb, backfill: BF }),
        ]);
        expect(a.status, a.error).toBe('done');
        expect(b.status, b.error).toBe('done');
        expect(a.ran).toEqual(['add-total', 'fill-total', 'index-total', 'slow']);
        expect(b.ran).toEqual(['fill-total', 'index-total', 'slow']);
        expect(b.alreadyDone).toEqual(['add-total']);
        for (const s of ['tenant_a', 'tenant_b']) {
          expect((await c.query(`SELECT count(*)::int AS n FROM ${s}.items WHERE total IS DISTINCT FROM price * 2`)).rows[0].n).toBe(0);
          expect((await c.query(`SELECT to_regclass('${s}.items_total_idx') IS NOT NULL AS ok`)).rows[0].ok).toBe(true);
        }
        expect((await c.query(`SELECT to_regclass('public.items') AS t`)).rows[0].t).toBeNull();
        const state = await c.query(`SELECT plan_id, status FROM ddlguard.apply_plan ORDER BY plan_id`);
        expect(state.rows).toEqual([
          { plan_id: 'tenant-plan@tenant_a', status: 'done' },
          { plan_id: 'tenant-plan@tenant_b', status: 'done' },
        ]);
        const steps = await c.query(`SELECT plan_id, step_id, status, rows_done::int FROM ddlguard.apply_step WHERE step_id = 'fill-total' ORDER BY plan_id`);
        expect(steps.rows.map((r) => [r.plan_id, r.status, r.rows_done])).toEqual([
          ['tenant-plan@tenant_a', 'done', 3000],
          ['tenant-plan@tenant_b', 'done', 3000],
        ]);
        expect(la.events.find((e) => e.event === 'apply.start')?.stateKey).toBe('tenant-plan@tenant_a');
      } finally {
        await c.end();
      }
    });
  });

  it('runs the two schemas at the same time, excludes a second applier of the same key, and a plain apply excludes them all', async () => {
    await withDatabase(undefined, async (url) => {
      await seed(url, ['tenant_a', 'tenant_b']);
      const slow = plan('slow-plan', [step('sleep', 'SELECT pg_sleep(1)')]);
      const opts = (s: string) => ({ db: url, searchPath: [s], stateKey: `slow-plan@${s}`, logger: memoryLogger() });
      const t0 = Date.now();
      const a = applyPlan(slow, opts('tenant_a'));
      const b = applyPlan(slow, opts('tenant_b'));
      await sleep(300);
      const sameKey = await applyPlan(slow, opts('tenant_a'));
      expect(sameKey.status).toBe('busy');
      const plain = await applyPlan(slow, { db: url, logger: memoryLogger() });
      expect(plain.status).toBe('busy');
      expect(plain.error).toMatch(/another ddlguard apply is running on this database: pid \d+/);
      const [ra, rb] = await Promise.all([a, b]);
      expect([ra.status, rb.status]).toEqual(['done', 'done']);
      // Both 1 s sleeps overlapped.
      expect(Date.now() - t0).toBeLessThan(1900);

      // A plain apply holding the database excludes a keyed one.
      const p = applyPlan(plan('plain', [step('sleep', 'SELECT pg_sleep(0.8)')]), { db: url, logger: memoryLogger() });
      await sleep(300);
      const keyed = await applyPlan(slow, { ...opts('tenant_b'), stateKey: 'other@tenant_b' });
      expect(keyed.status).toBe('busy');
      expect((await p).status).toBe('done');
    });
  });

  it('refuses a target whose schema does not exist instead of falling through to public', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE public.items (id int PRIMARY KEY, price int NOT NULL)');
        const r = await applyPlan(PLAN, { db: url, searchPath: ['tenant_missing', 'public'], stateKey: 'x@tenant_missing', logger: memoryLogger() });
        expect(r.status).toBe('failed');
        expect(r.error).toMatch(/schema "tenant_missing" \(first on the search_path\) does not exist/);
        expect((await c.query(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'public.items'::regclass AND attname = 'total'`)).rows[0].n).toBe(0);
      } finally {
        await c.end();
      }
    });
  });

  it("sizes a blocking step's table in the tenant's schema, not in the schema the plan was made against", async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query(`CREATE SCHEMA tenant_big; CREATE TABLE tenant_big.items (id int PRIMARY KEY, price int NOT NULL);
          INSERT INTO tenant_big.items SELECT g, g FROM generate_series(1, 20000) g; ANALYZE tenant_big.items;
          CREATE SCHEMA tenant_small; CREATE TABLE tenant_small.items (id int PRIMARY KEY, price int NOT NULL); ANALYZE tenant_small.items`);
        const rewrite = plan('rewrite', [
          step('retype', 'ALTER TABLE items ALTER COLUMN price TYPE bigint', { risk: 'blocking-rewrite', table: { schema: 'public', name: 'items' }, fact: 'alter-column-type' }),
        ]);
        const big = await applyPlan(rewrite, { db: url, searchPath: ['tenant_big'], stateKey: 'rewrite@tenant_big', logger: memoryLogger() });
        expect(big.status).toBe('blocked');
        expect(big.error).toMatch(/tenant_big\.items/);
        const small = await applyPlan(rewrite, { db: url, searchPath: ['tenant_small'], stateKey: 'rewrite@tenant_small', logger: memoryLogger() });
        expect(small.status, small.error).toBe('done');
      } finally {
        await c.end();
      }
    });
  });
});
