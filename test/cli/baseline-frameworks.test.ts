/**
 * The baseline's cut-off per framework (src/migrations/baseline.ts): recorded from the
 * migrations that exist, it keeps covering them when files are added, in each framework's
 * own order (natural file order, Flyway versions, golang-migrate versions, Diesel and
 * Prisma folders, the sqitch plan), and `ddlguard init` counts only what lint lints.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordBaseline, splitByBaseline, type BaselineEntry } from '../../src/migrations/baseline.js';
import { discoverMigrations } from '../../src/migrations/discover.js';
import { loadParser } from '../../src/sql/parser.js';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');

beforeAll(loadParser);

function tree(files: Record<string, string>): { dir: string; add: (more: Record<string, string>) => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-bl-'));
  const add = (more: Record<string, string>) => {
    for (const [f, text] of Object.entries(more)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), text);
    }
  };
  add(files);
  return { dir, add };
}

async function split(dir: string, inputs: string[], entries: BaselineEntry[], includeDown = false) {
  const files = await discoverMigrations(inputs, { cwd: dir, includeDown });
  const s = splitByBaseline(files, entries, { configDir: dir, git: null });
  return { released: s.released.map((f) => f.displayPath), pending: s.pending.map((f) => f.displayPath), late: s.late.map((f) => f.displayPath), notes: s.notes };
}

async function record(dir: string, inputs: string[]) {
  return recordBaseline(await discoverMigrations(inputs, { cwd: dir }), dir);
}

const SQL = 'SELECT 1;\n';

describe('the cut-off in each framework order', () => {
  it('plain: natural order (9 before 10), a later file is new', async () => {
    const t = tree({ 'db/1_a.sql': SQL, 'db/9_b.sql': SQL, 'db/10_c.sql': SQL });
    const { entries } = await record(t.dir, ['db']);
    expect(entries).toEqual([{ root: 'db', framework: 'plain', last: '10_c', count: 3, digest: expect.any(String) }]);
    t.add({ 'db/11_d.sql': SQL });
    expect(await split(t.dir, ['db'], entries)).toMatchObject({ released: ['db/1_a.sql', 'db/9_b.sql', 'db/10_c.sql'], pending: ['db/11_d.sql'], late: [], notes: [] });
  });

  it('Diesel: 300 folders, down.sql goes with its migration, a new folder is new', async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 300; i++) {
      const d = `migrations/2020-01-01-${String(i).padStart(6, '0')}_m${i}`;
      files[`${d}/up.sql`] = SQL;
      files[`${d}/down.sql`] = SQL;
    }
    const t = tree(files);
    const { entries } = await record(t.dir, ['migrations']);
    expect(entries).toEqual([{ root: 'migrations', framework: 'diesel', last: '2020-01-01-000300_m300', count: 300, digest: expect.any(String) }]);
    t.add({ 'migrations/2021-06-01-000000_new/up.sql': SQL, 'migrations/2021-06-01-000000_new/down.sql': SQL });
    const s = await split(t.dir, ['migrations'], entries, true);
    expect(s.released).toHaveLength(600);
    expect(s.pending).toEqual(['migrations/2021-06-01-000000_new/up.sql', 'migrations/2021-06-01-000000_new/down.sql']);
    // a folder added between two released ones later: the digest finds it, with its down.sql
    t.add({ 'migrations/2020-01-01-000150_late/up.sql': SQL, 'migrations/2020-01-01-000150_late/down.sql': SQL });
    const late = await split(t.dir, ['migrations'], entries, true);
    expect(late.late).toEqual(['migrations/2020-01-01-000150_late/up.sql']);
    expect(late.pending).toContain('migrations/2020-01-01-000150_late/down.sql');
    expect(late.released).toHaveLength(600);
  });

  it('Prisma: folders of migration.sql', async () => {
    const t = tree({ 'prisma/migrations/20240101000000_init/migration.sql': SQL, 'prisma/migrations/20240201000000_users/migration.sql': SQL, 'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n' });
    const { entries } = await record(t.dir, ['prisma/migrations']);
    expect(entries).toMatchObject([{ root: 'prisma/migrations', framework: 'prisma', last: '20240201000000_users', count: 2 }]);
    t.add({ 'prisma/migrations/20240301000000_orders/migration.sql': SQL });
    expect((await split(t.dir, ['prisma/migrations'], entries)).pending).toEqual(['prisma/migrations/20240301000000_orders/migration.sql']);
  });

  it('Flyway: versions compare as numbers (1.10 after 1.9); repeatables are never covered', async () => {
    const t = tree({ 'sql/V1__init.sql': SQL, 'sql/V1.9__b.sql': SQL, 'sql/V1.10__c.sql': SQL, 'sql/R__views.sql': SQL });
    const rec = await record(t.dir, ['sql']);
    expect(rec.entries).toMatchObject([{ root: 'sql', framework: 'flyway', last: '1.10', count: 3 }]);
    expect(rec.uncovered.map((f) => f.displayPath)).toEqual(['sql/R__views.sql']);
    t.add({ 'sql/V2__d.sql': SQL });
    expect(await split(t.dir, ['sql'], rec.entries)).toMatchObject({ released: ['sql/V1__init.sql', 'sql/V1.9__b.sql', 'sql/V1.10__c.sql'], pending: ['sql/V2__d.sql', 'sql/R__views.sql'] });
  });

  it('golang-migrate: by version', async () => {
    const t = tree({ 'm/000001_a.up.sql': SQL, 'm/000001_a.down.sql': SQL, 'm/000002_b.up.sql': SQL, 'm/000002_b.down.sql': SQL });
    const { entries } = await record(t.dir, ['m']);
    expect(entries).toMatchObject([{ root: 'm', framework: 'golang-migrate', last: '000002', count: 2 }]);
    t.add({ 'm/000003_c.up.sql': SQL });
    expect((await split(t.dir, ['m'], entries)).pending).toEqual(['m/000003_c.up.sql']);
  });

  it('sqitch: by plan position; a change inserted in the plan before the cut-off later is new', async () => {
    const plan = (changes: string[]) => `%syntax-version=1.0.0\n%project=app\n\n${changes.map((c) => `${c} 2024-01-01T00:00:00Z t <t@t> # ${c}`).join('\n')}\n`;
    const t = tree({ 'sqitch.plan': plan(['users', 'orders']), 'deploy/users.sql': SQL, 'deploy/orders.sql': SQL, 'revert/users.sql': SQL, 'revert/orders.sql': SQL });
    const { entries } = await record(t.dir, ['deploy', 'revert']);
    expect(entries).toMatchObject([{ root: '.', framework: 'sqitch', last: 'orders', count: 2 }]);
    t.add({ 'sqitch.plan': plan(['users', 'audit', 'orders', 'invoices']), 'deploy/audit.sql': SQL, 'deploy/invoices.sql': SQL });
    const s = await split(t.dir, ['deploy'], entries);
    expect(s.released).toEqual(['deploy/users.sql', 'deploy/orders.sql']);
    expect(s.pending).toEqual(['deploy/audit.sql', 'deploy/invoices.sql']);
    expect(s.late).toEqual(['deploy/audit.sql']);
  });

  it('a sequence without an entry is new; an entry without files is nothing', async () => {
    const t = tree({ 'a/1.sql': SQL, 'b/1.sql': SQL });
    const { entries } = await record(t.dir, ['a']);
    expect(await split(t.dir, ['a', 'b'], [...entries, { root: 'gone', framework: 'plain', last: '9' }])).toMatchObject({ released: ['a/1.sql'], pending: ['b/1.sql'], notes: [] });
  });

  it('a hand-written entry without a digest covers every file up to `last`', async () => {
    const t = tree({ 'db/1.sql': SQL, 'db/3.sql': SQL, 'db/2.sql': SQL });
    expect(await split(t.dir, ['db'], [{ root: 'db', framework: 'plain', last: '2' }])).toMatchObject({ released: ['db/1.sql', 'db/2.sql'], pending: ['db/3.sql'] });
  });
});

describe('ddlguard init on a Diesel project with 300 migration folders', () => {
  it('counts the up.sql files it lints and names the down.sql files it skips', () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 300; i++) {
      files[`migrations/2020-01-01-${String(i).padStart(6, '0')}_m${i}/up.sql`] = 'CREATE TABLE t (id int);\n';
      files[`migrations/2020-01-01-${String(i).padStart(6, '0')}_m${i}/down.sql`] = 'DROP TABLE t;\n';
    }
    const t = tree(files);
    const r = spawnSync(process.execPath, [CLI, 'init'], { cwd: t.dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('migrations: migrations (300 migrations to lint; 300 down files not linted: migrations/*/down.sql (300))');
    expect(r.stdout).toContain('framework:  diesel');
    expect(r.stdout).toContain('baseline:   migrations/ (diesel): 300 migrations up to 2020-01-01-000300_m300 recorded as released');
  });
});
