/**
 * Backfills over keys of several columns, planned by the planner and run by apply: the
 * cursor of a composite key is recorded per batch as a JSON array, a stop (abort signal or
 * `ddlguard abort`) leaves exactly the rows up to the committed cursor done, and resuming
 * from it ends where an uninterrupted run would (a non-idempotent UPDATE proves no batch
 * ran twice and none was skipped).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/apply/backfill.js';
import { memoryLogger, type ApplyLogger } from '../../src/apply/log.js';
import { applyPlan } from '../../src/apply/runner.js';
import { requestAbort } from '../../src/apply/state.js';
import { planMigration } from '../../src/plan/planner.js';
import { loadParser } from '../../src/sql/parser.js';
import { pgUrl, withDatabase, type PgMajor } from '../support/db.js';
import { client } from './helpers.js';

beforeAll(async () => {
  await loadParser();
});

describe('composite cursors', () => {
  it('keeps a one-column cursor as its text and records several columns as a JSON array', () => {
    expect(encodeCursor(['42'])).toBe('42');
    expect(encodeCursor(['7', 'a"b\\c é'])).toBe('["7","a\\"b\\\\c é"]');
    expect(decodeCursor('42', 1, 's')).toEqual(['42']);
    expect(decodeCursor('["42"]', 1, 's')).toEqual(['["42"]']);
    expect(decodeCursor(encodeCursor(['7', 'a"b\\c é']), 2, 's')).toEqual(['7', 'a"b\\c é']);
  });

  it('refuses a recorded cursor that does not fit the key', () => {
    expect(() => decodeCursor('42', 2, 'fill')).toThrow(/fill: the recorded backfill cursor "42" is not a key of 2 columns/);
    expect(() => decodeCursor('["1","2","3"]', 2, 'fill')).toThrow(/not a key of 2 columns/);
    expect(() => decodeCursor('[1,"2"]', 2, 'fill')).toThrow(/not a key of 2 columns/);
  });
});

/** Stops the run (via `stop`) once `after` batches have been reported. */
function stopAfter(after: number, stop: () => void): ApplyLogger & { events: ReturnType<typeof memoryLogger>['events']; batches: number } {
  const inner = memoryLogger();
  const out = {
    events: inner.events,
    batches: 0,
    emit: (e: Parameters<ApplyLogger['emit']>[0]) => inner.emit(e),
    progress: (p: Parameters<ApplyLogger['progress']>[0], done?: boolean) => {
      inner.progress(p, done);
      if (!done && ++out.batches === after) stop();
    },
  };
  return out;
}

const ROWS = 12_000;
const BATCH = 500;
const FIXED = { targetBatchMs: 20, minBatchSize: BATCH, maxBatchSize: BATCH, sleepBetweenMs: 0, maxReplicationLagMs: null };

// (tenant, code): 4 rows per tenant, text codes with a quote, a backslash and a non-ASCII letter.
const ITEMS = `
CREATE TABLE items (
  tenant integer NOT NULL,
  code text NOT NULL,
  base integer NOT NULL,
  hits integer NOT NULL,
  PRIMARY KEY (tenant, code)
);`;
const ITEMS_DATA = `INSERT INTO items SELECT g / 4, 'c' || (g % 4) || CASE g % 3 WHEN 0 THEN '"\\' WHEN 1 THEN 'é' ELSE '' END, g, g * 10 FROM generate_series(1, ${ROWS}) g; ANALYZE items;`;

describe.each([18, 15] as PgMajor[])('composite-key backfill on PostgreSQL %i', (major) => {
  it.skipIf(!pgUrl(major))('stops after committed batches (abort signal, then ddlguard abort) and resumes to the uninterrupted result', async () => {
    const plan = planMigration([{ path: 'm.sql', text: 'UPDATE items SET hits = hits + 1;' }], { pgVersion: major, history: [{ path: 'seed.sql', text: ITEMS }], batchSize: BATCH });
    expect(plan.steps).toHaveLength(1);
    const step = plan.steps[0]!;
    expect(step.batch?.keyColumns).toEqual(['tenant', 'code']);
    await withDatabase(major, async (url) => {
      const c = await client(url);
      try {
        await c.query(ITEMS + ITEMS_DATA);
        const state = async () => (await c.query(`SELECT last_key, rows_done::int AS rows_done, rows_updated::int AS rows_updated FROM ddlguard.apply_step WHERE step_id = $1`, [step.id])).rows[0];
        /** The rows updated once (hits = base * 10 + 1) must be exactly those up to the cursor, in key order. */
        const checkCursor = async (cursor: string[], rows: number) => {
          const nth = await c.query(`SELECT i.tenant::text AS tenant, i.code FROM items i ORDER BY i.tenant, i.code OFFSET $1 LIMIT 1`, [rows - 1]);
          expect([nth.rows[0].tenant, nth.rows[0].code]).toEqual(cursor);
          const split = await c.query(
            `SELECT count(*) FILTER (WHERE (tenant, code) <= ($1, $2) AND hits = base * 10 + 1)::int AS done,
                    count(*) FILTER (WHERE (tenant, code) > ($1, $2) AND hits = base * 10)::int AS todo
               FROM items`,
            cursor,
          );
          expect(split.rows[0]).toEqual({ done: rows, todo: ROWS - rows });
        };

        // 1. Abort signal after 3 batches: exactly 3 batches committed, the cursor their last key.
        const ac = new AbortController();
        const log1 = stopAfter(3, () => ac.abort());
        const r1 = await applyPlan(plan, { db: url, logger: log1, backfill: FIXED, signal: ac.signal });
        expect(r1.status).toBe('interrupted');
        const s1 = await state();
        expect(s1.rows_done).toBe(3 * BATCH);
        const cursor1 = JSON.parse(s1.last_key) as string[];
        expect(cursor1).toHaveLength(2);
        expect(s1.last_key).toBe(encodeCursor(cursor1));
        await checkCursor(cursor1, 3 * BATCH);

        // 2. Resume from that cursor; stop again with `ddlguard abort` (the state table's flag).
        const stopper = await client(url);
        let flagged: Promise<string[]> | undefined;
        const log2 = stopAfter(2, () => (flagged = requestAbort(stopper, plan.id)));
        const r2 = await applyPlan(plan, { db: url, logger: log2, backfill: { ...FIXED, sleepBetweenMs: 60 } });
        expect(await flagged).toEqual([plan.id]);
        await stopper.end();
        expect(r2.status).toBe('interrupted');
        expect(log2.events.find((e) => e.event === 'backfill.start')?.resumeAfter).toBe(s1.last_key);
        const s2 = await state();
        expect(s2.rows_done).toBeGreaterThanOrEqual(5 * BATCH);
        expect(s2.rows_done).toBeLessThan(ROWS);
        expect(s2.rows_done % BATCH).toBe(0);
        await checkCursor(JSON.parse(s2.last_key), s2.rows_done);

        // 3. Resume to the end: every row updated exactly once.
        const log3 = memoryLogger();
        const r3 = await applyPlan(plan, { db: url, logger: log3, backfill: FIXED });
        expect(r3.status).toBe('done');
        expect(log3.events.find((e) => e.event === 'backfill.start')?.resumeAfter).toBe(s2.last_key);
        const s3 = await state();
        expect(s3.rows_done).toBe(ROWS);
        expect(s3.rows_updated).toBe(ROWS);
        const wrong = await c.query('SELECT count(*)::int AS n FROM items WHERE hits <> base * 10 + 1');
        expect(wrong.rows[0].n).toBe(0);
      } finally {
        await c.end();
      }
    });
  });

  it.skipIf(!pgUrl(major))('ALTER COLUMN TYPE by a three-column NOT NULL unique key (no primary key), interrupted and resumed', async () => {
    const seed = `
CREATE TABLE readings (
  site integer NOT NULL,
  day date NOT NULL,
  probe text NOT NULL,
  tag integer,
  reading integer NOT NULL,
  orig integer NOT NULL,
  CONSTRAINT readings_key UNIQUE (site, day, probe)
);
CREATE UNIQUE INDEX readings_tag_key ON readings (tag);`;
    const data = `INSERT INTO readings SELECT g % 5, date '2024-01-01' + (g / 50), 'p' || (g % 50), CASE WHEN g % 2 = 0 THEN g END, g * 3, g * 3 FROM generate_series(1, 6000) g; ANALYZE readings;`;
    const plan = planMigration([{ path: 'm.sql', text: 'ALTER TABLE readings ALTER COLUMN reading TYPE bigint;' }], { pgVersion: major, history: [{ path: 'seed.sql', text: seed }], batchSize: BATCH });
    const backfill = plan.steps.find((s) => s.batch)!;
    expect(backfill.batch!.keyColumns).toEqual(['site', 'day', 'probe']);
    expect(backfill.batch!.updateSql).toMatch(/WHERE \(site, day, probe\) >= \(\$1, \$2, \$3\) AND \(site, day, probe\) <= \(\$4, \$5, \$6\)/);
    await withDatabase(major, async (url) => {
      const c = await client(url);
      try {
        await c.query(seed + data);
        const ac = new AbortController();
        const r1 = await applyPlan(plan, { db: url, logger: stopAfter(4, () => ac.abort()), backfill: FIXED, signal: ac.signal });
        expect(r1.status).toBe('interrupted');
        const mid = (await c.query(`SELECT last_key, rows_done::int AS n FROM ddlguard.apply_step WHERE step_id = $1`, [backfill.id])).rows[0];
        expect(mid.n).toBe(4 * BATCH);
        const cursor = JSON.parse(mid.last_key) as string[];
        expect(cursor).toHaveLength(3);
        const filled = await c.query(
          `SELECT count(*) FILTER (WHERE (site, day, probe) <= ($1, $2, $3) AND reading__ddlg_new = reading)::int AS done,
                  count(*) FILTER (WHERE (site, day, probe) > ($1, $2, $3) AND reading__ddlg_new IS NULL)::int AS todo FROM readings`,
          cursor,
        );
        expect(filled.rows[0]).toEqual({ done: 4 * BATCH, todo: 6000 - 4 * BATCH });
        expect((await applyPlan(plan, { db: url, logger: memoryLogger(), backfill: FIXED })).status).toBe('done');
        expect((await applyPlan(plan, { db: url, logger: memoryLogger(), backfill: FIXED, phase: 'contract' })).status).toBe('done');
        const after = await c.query(
          `SELECT format_type(atttypid, atttypmod) AS type, attnotnull AS not_null FROM pg_attribute WHERE attrelid = 'readings'::regclass AND attname = 'reading'`,
        );
        expect(after.rows[0]).toEqual({ type: 'bigint', not_null: true });
        const wrong = await c.query('SELECT count(*)::int AS n FROM readings WHERE reading <> orig');
        expect(wrong.rows[0].n).toBe(0);
        expect((await c.query('SELECT count(*)::int AS n FROM readings')).rows[0].n).toBe(6000);
      } finally {
        await c.end();
      }
    });
  });
});
