/**
 * The two lock facts that need a tablespace (a directory the server's OS user owns), on the
 * embedded PostgreSQL servers (15, 16, 17, 18): ALTER TABLE / ALTER INDEX ... SET TABLESPACE.
 * Locks, rewrite and scan, as test/trace/conformance.test.ts checks them (t holds ROWS rows).
 * Skipped against an external DATABASE_URL (its file system is not ours to write).
 */
import { chmodSync, chownSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockFact } from '../../src/locks/table.js';
import { ServerEngine } from '../../src/trace/engine.js';
import { tableReads, traceMigration } from '../../src/trace/trace.js';
import { availableMajors, withDatabase } from '../support/db.js';

const ROWS = 500;
const SETUP = `CREATE TABLE t (id int PRIMARY KEY, a int, b text); CREATE INDEX t_b_idx ON t (b);
INSERT INTO t SELECT g, g, 'v' || g FROM generate_series(1, ${ROWS}) AS s(g);`;
const CASES = [
  { id: 'set-tablespace', sql: 'ALTER TABLE t SET TABLESPACE %TS%', relation: 'public.t' },
  { id: 'alter-index-set-tablespace', sql: 'ALTER INDEX t_b_idx SET TABLESPACE %TS%', relation: 'public.t_b_idx' },
];

/**
 * Disagreements with src/locks/table.ts (reported, not fixed here), per fact and aspect;
 * the case runs as `it.fails` until the table is fixed.
 */
const KNOWN_DISAGREEMENTS: Record<string, { aspect: 'scan'; why: string }> = {
  // Empty: set-tablespace was claimed to scan; it copies the files (0 scans, 0 blocks fetched) and table.ts now says so.
};

describe.each(availableMajors())('tablespace lock facts on PostgreSQL %i', (major) => {
  const external = Boolean(process.env.DATABASE_URL);
  for (const c of CASES) {
    const known = KNOWN_DISAGREEMENTS[c.id];
    it.skipIf(external)(`${c.id} (locks, rewrite, scan)`, async () => {
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
          // The scan: t read in full (scan: true) or no row of it read (scan: false).
          expect(s.scansObserved).toBe('exact');
          const read = tableReads(s).get('public.t') ?? { scans: 0, rows: 0, indexScans: 0 };
          const agrees = fact.scan ? read.scans + read.indexScans >= 1 && read.rows >= ROWS : read.rows === 0;
          const check = () => expect(agrees, `scan claimed ${fact.scan}; observed ${JSON.stringify(read)}; ${JSON.stringify(s.scans)}`).toBe(true);
          if (known?.aspect === 'scan') expect(check).toThrow();
          else check();
        } finally {
          await admin.exec(`DROP TABLE IF EXISTS t`);
          await admin.exec(`DROP TABLESPACE IF EXISTS ${ts}`).catch(() => undefined);
          await admin.close();
        }
      });
    });
  }
});
