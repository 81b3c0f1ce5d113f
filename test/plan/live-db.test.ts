/** `ddlguard plan --db`: server version and table sizes come from the live database. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');

describe.skipIf(!pgUrl(18))('plan --db', () => {
  it('keeps the simple form for small tables and goes online for large ones; never prints the password', async () => {
    await withDatabase(18, async (url) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query('CREATE TABLE small (id int PRIMARY KEY, a int); INSERT INTO small SELECT g, g FROM generate_series(1, 50) g; ANALYZE small');
      await c.query('CREATE TABLE big (id int PRIMARY KEY, a int); INSERT INTO big SELECT g, g FROM generate_series(1, 20000) g; ANALYZE big');
      await c.end();
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-plan-db-'));
      writeFileSync(path.join(dir, '001.sql'), 'CREATE INDEX small_a_idx ON small (a);\nCREATE INDEX big_a_idx ON big (a);\n');
      const r = spawnSync(process.execPath, [CLI, 'plan', '001.sql', '--db', url, '--format', 'json'], { cwd: dir, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const plan = JSON.parse(r.stdout);
      expect(plan.pgVersion).toBe(18);
      const sqls: string[] = plan.steps.map((s: any) => s.sql);
      expect(sqls.some((s) => /CREATE INDEX small_a_idx/i.test(s) && !/CONCURRENTLY/i.test(s))).toBe(true);
      expect(sqls.some((s) => /CREATE INDEX CONCURRENTLY IF NOT EXISTS big_a_idx/i.test(s))).toBe(true);
      // a wrong password never reaches the output
      const bad = url.replace('://', '://ddl:s3cr3t-pw@').replace(/@[^@]*@/, '@').replace(/:\/\/[^@/]*@/, '://nobody:s3cr3t-pw@').replace(/127\.0\.0\.1:\d+/, '127.0.0.1:1');
      const e = spawnSync(process.execPath, [CLI, 'plan', '001.sql', '--db', bad], { cwd: dir, encoding: 'utf8' });
      expect(e.status).toBe(2);
      expect(e.stderr + e.stdout).not.toContain('s3cr3t-pw');
    });
  });
});

describe.skipIf(!pgUrl(18))('lint --db', () => {
  it('lints for the server\'s major version when --pg-version is not given', async () => {
    // 18, not the default 15, so the test tells a read version from the default.
    await withDatabase(18, async (url) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-lint-db-'));
      // DETACH ... CONCURRENTLY exists from 14.
      writeFileSync(path.join(dir, '001.sql'), "SET lock_timeout = '1s';\nALTER TABLE t DETACH PARTITION t_1;\n");
      const r = spawnSync(process.execPath, [CLI, 'lint', '001.sql', '--db', url, '--format', 'json'], { cwd: dir, encoding: 'utf8' });
      const out = JSON.parse(r.stdout);
      expect(out.summary.pgVersion).toBe(18);
      expect(out.findings.map((f: any) => f.rule)).toContain('require-concurrent-detach');
    });
  });
});
