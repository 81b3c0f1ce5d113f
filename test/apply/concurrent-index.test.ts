/** CREATE INDEX CONCURRENTLY failures and INVALID index cleanup on a real server. */
import { describe, expect, it } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';
import { applyPlan } from '../../src/apply/runner.js';
import { memoryLogger } from '../../src/apply/log.js';
import { client, plan, step } from './helpers.js';

const cic = step('uniq-email', 'CREATE UNIQUE INDEX CONCURRENTLY u_email_key ON u (email)', {
  transaction: 'none',
  guard: { kind: 'none', reason: 'CONCURRENTLY cannot run in a transaction' },
  doneCheck: `SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'u_email_key' AND i.indisvalid)`,
});

describe.skipIf(!pgUrl())('concurrent index steps', () => {
  it('a failed unique build over duplicates leaves no INVALID index and succeeds after the data is fixed', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query(`CREATE TABLE u (id int PRIMARY KEY, email text); INSERT INTO u SELECT g, 'user' || (g % 500) FROM generate_series(1, 1000) g`);
        const log = memoryLogger();
        const r1 = await applyPlan(plan('cic', [cic]), { db: url, logger: log });
        expect(r1.status).toBe('failed');
        const failed = log.events.find((e) => e.event === 'step.failed');
        expect(failed?.sqlstate).toBe('23505');
        const idx = await c.query(`SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'u_email_key'`);
        expect(idx.rows).toEqual([]);
        expect(log.events.some((e) => e.event === 'index.invalid-dropped')).toBe(true);

        await c.query(`DELETE FROM u WHERE id > 500`);
        const r2 = await applyPlan(plan('cic', [cic]), { db: url, logger: memoryLogger() });
        expect(r2.status).toBe('done');
        expect(r2.ran).toEqual(['uniq-email']);
        const idx2 = await c.query(`SELECT i.indisvalid, i.indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'u_email_key'`);
        expect(idx2.rows).toEqual([{ indisvalid: true, indisunique: true }]);
      } finally {
        await c.end();
      }
    });
  });

  it('drops an INVALID leftover before building, and counts a valid existing index as done', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      try {
        await c.query(`CREATE TABLE u (id int PRIMARY KEY, email text); INSERT INTO u SELECT g, 'a' FROM generate_series(1, 10) g`);
        await expect(c.query('CREATE UNIQUE INDEX CONCURRENTLY u_email_key ON u (email)')).rejects.toThrow();
        const inv = await c.query(`SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'u_email_key'`);
        expect(inv.rows).toEqual([{ indisvalid: false }]);
        await c.query(`UPDATE u SET email = 'e' || id`);
        const log = memoryLogger();
        const r = await applyPlan(plan('cic2', [cic]), { db: url, logger: log });
        expect(r.status).toBe('done');
        expect(log.events.some((e) => e.event === 'index.invalid-dropped')).toBe(true);

        // a fresh plan id with the index already valid: done check says done, nothing runs
        const r3 = await applyPlan(plan('cic3', [cic]), { db: url, logger: memoryLogger() });
        expect(r3.ran).toEqual([]);
        expect(r3.alreadyDone).toEqual(['uniq-email']);
      } finally {
        await c.end();
      }
    });
  });
});
