/**
 * The two lock facts that need a tablespace (a directory the server's OS user owns), on the
 * embedded PostgreSQL 15 and 18 servers: ALTER TABLE / ALTER INDEX ... SET TABLESPACE.
 * Skipped against an external DATABASE_URL (its file system is not ours to write).
 */
import { chmodSync, chownSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockFact } from '../../src/locks/table.js';
import { ServerEngine } from '../../src/trace/engine.js';
import { traceMigration } from '../../src/trace/trace.js';
import { pgUrl, withDatabase, type PgMajor } from '../support/db.js';

const SETUP = `CREATE TABLE t (id int PRIMARY KEY, a int, b text); CREATE INDEX t_b_idx ON t (b);`;
const CASES = [
  { id: 'set-tablespace', sql: 'ALTER TABLE t SET TABLESPACE %TS%', relation: 'public.t' },
  { id: 'alter-index-set-tablespace', sql: 'ALTER INDEX t_b_idx SET TABLESPACE %TS%', relation: 'public.t_b_idx' },
];

describe.each([18, 15] as PgMajor[])('tablespace lock facts on PostgreSQL %i', (major) => {
  const external = Boolean(process.env.DATABASE_URL);
  for (const c of CASES) {
    it.skipIf(!pgUrl(major) || external)(`${c.id}`, async () => {
      await withDatabase(major, async (url) => {
        const admin = await ServerEngine.connect(url);
        const dataDir = (await admin.query<{ d: string }>(`SELECT current_setting('data_directory') AS d`))[0]!.d;
        const owner = statSync(dataDir);
        const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-ts-'));
        chmodSync(dir, 0o700);
        chownSync(dir, owner.uid, owner.gid);
        const ts = `ts_${path.basename(dir).replace(/[^a-z0-9]/gi, '').toLowerCase()}`;
        await admin.exec(`CREATE TABLESPACE ${ts} LOCATION '${dir}'`);
        try {
          const r = await traceMigration([{ path: `${c.id}.sql`, text: c.sql.replace('%TS%', ts) }], { engine: admin, history: [{ path: 'setup.sql', text: SETUP }] });
          const s = r.statements[0]!;
          expect(s.error).toBeNull();
          const fact = lockFact(c.id, major);
          const claimed = fact.locks[0]!;
          expect(s.locks.find((l) => l.relation === c.relation)?.mode).toBe(claimed.mode);
          const rewritten = s.rewrites.some((w) => w.how === 'rewrite' && w.relation === c.relation);
          expect(rewritten).toBe(fact.rewrite);
        } finally {
          await admin.exec(`DROP TABLE IF EXISTS t`);
          await admin.exec(`DROP TABLESPACE IF EXISTS ${ts}`).catch(() => undefined);
          await admin.close();
        }
      });
    });
  }
});
