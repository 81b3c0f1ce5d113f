/**
 * Readers in application code, on the sample tree fixtures/app (TypeScript and
 * Python with raw SQL and ORM-style references, a .sql report, a migrations folder).
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../../src/index.js';
import { scanCode } from '../../src/readers/code.js';
import { targetKey, type CodeHit, type ReaderTarget } from '../../src/readers/types.js';
import { loadParser } from '../../src/sql/parser.js';

const APP = path.resolve(__dirname, '../../fixtures/app');
const GLOBS = ['**/*.{ts,js,py,rb,go,java,sql}'];

beforeAll(loadParser);

/** The schema of fixtures/releases/base/001_users.sql (= fixtures/app/db/migrations/001_users.sql). */
const catalog = new Map([
  ['public.users', new Set(['id', 'email', 'name', 'bio', 'legacy_flag', 'created_at'])],
  ['public.orders', new Set(['id', 'user_id', 'email', 'note', 'amount'])],
  ['public.newsletter_subscribers', new Set(['id', 'email', 'active'])],
]);

function target(kind: ReaderTarget['kind'], table: string, column: string | null, change: string): ReaderTarget {
  return { key: targetKey(kind, `public.${table}`, column), kind, table: `public.${table}`, schema: 'public', name: table, column, change };
}

const at = (hits: readonly CodeHit[], strength: 'strong' | 'weak') => hits.filter((h) => h.strength === strength).map((h) => `${h.file}:${h.line}`);

describe('readers in fixtures/app', () => {
  const email = target('column', 'users', 'email', 'drop-column');
  const bio = target('column', 'users', 'bio', 'drop-column');
  const legacy = target('column', 'users', 'legacy_flag', 'drop-column');
  const tenant = target('writer', 'users', 'tenant_id', 'set-not-null');
  const subscribers = target('table', 'newsletter_subscribers', null, 'drop-table');
  let result: Awaited<ReturnType<typeof scanCode>>;

  beforeAll(async () => {
    result = await scanCode({ baseDir: APP, paths: GLOBS, exclude: ['db/migrations/**'], targets: [email, bio, legacy, tenant, subscribers], catalog });
  });

  it('finds users.email in parsed SQL (aliases resolved) as strong, ORM mappings as weak', () => {
    const hits = result.evidence.get(email.key)!.code;
    expect(at(hits, 'strong')).toEqual([
      'app/queries.py:17', // SELECT s.email ... FROM users AS s (triple-quoted, %(id)s)
      'src/signup.ts:4', // INSERT INTO users (email, name)
      'src/users/repository.ts:6', // u.email in the select list
      'src/users/repository.ts:8', // u.email in WHERE
    ]);
    expect(at(hits, 'weak')).toEqual(['app/models.py:9', 'src/users/model.ts:7']);
    expect(hits.find((h) => h.file === 'app/queries.py')).toMatchObject({ certainty: 'parsed-sql', column: 16, detail: expect.stringContaining('reads s.email') });
    expect(hits.find((h) => h.file === 'app/models.py')).toMatchObject({ certainty: 'identifier-match', detail: 'identifier email near users (line 6)' });
  });

  it('does not take comments, docstrings or the same column name on other tables as evidence', () => {
    const hits = result.evidence.get(email.key)!.code;
    // orders.email and newsletter_subscribers.email (parsed SQL on other tables) and the comments there
    expect(hits.filter((h) => h.file === 'src/orders/report.ts')).toEqual([]);
    // "-- users.email is not used here" comment and the docstrings of app/queries.py
    expect(hits.filter((h) => h.file === 'app/queries.py').map((h) => h.line)).toEqual([17]);
    // the "Looks users up by email" comment
    expect(hits.some((h) => h.file === 'src/users/repository.ts' && h.line === 3)).toBe(false);
  });

  it('finds writes, .sql files and f-strings; reports ORM-only references as weak', () => {
    expect(at(result.evidence.get(bio.key)!.code, 'strong')).toEqual(['app/queries.py:33', 'sql/reports/bio_stats.sql:2', 'src/users/repository.ts:25']);
    const legacyHits = result.evidence.get(legacy.key)!.code;
    expect(legacyHits.map((h) => `${h.file}:${h.line}:${h.strength}`)).toEqual(['src/users/model.ts:9:weak']);
  });

  it('lists INSERTs that leave a column out (writers) and table readers', () => {
    expect(result.evidence.get(tenant.key)!.code.map((h) => `${h.file}:${h.line} ${h.detail}`)).toEqual(['src/signup.ts:4 INSERT INTO users (email, name) omits tenant_id']);
    expect(at(result.evidence.get(subscribers.key)!.code, 'strong')).toEqual(['app/queries.py:28', 'src/orders/report.ts:10', 'src/signup.ts:8']);
  });

  it('prefilters by substring: files that cannot mention the target are not analysed', async () => {
    const r = await scanCode({ baseDir: APP, paths: GLOBS, exclude: ['db/migrations/**'], targets: [target('column', 'orders', 'note', 'drop-column')], catalog });
    expect(r.summary.files).toBe(7);
    expect(r.summary.candidates).toBe(1); // only src/orders/report.ts mentions both names
    expect(at(r.evidence.get(targetKey('column', 'public.orders', 'note'))!.code, 'strong')).toEqual(['src/orders/report.ts:6']);
  });
});

describe('lint() with readers.paths', () => {
  /** A copy of fixtures/app with a pending migration in its migrations folder. */
  function appWith(migration: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-app-'));
    cpSync(APP, dir, { recursive: true });
    writeFileSync(path.join(dir, 'db/migrations/002_pending.sql'), migration);
    return dir;
  }

  it('lists the readers (file:line, certainty) on the finding and never searches the migrations folder', async () => {
    const dir = appWith("SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN email;\n");
    const r = await lint({ cwd: dir, paths: ['db/migrations/002_pending.sql'], history: ['db/migrations'], readers: { paths: GLOBS, baseDir: dir } });
    const f = r.findings.find((x) => x.rule === 'drop-column')!;
    // a strong reader (parsed SQL) found: the outage the rule is about, so error
    expect(f.severity).toBe('error');
    expect(f.evidence?.found).toBe('strong');
    expect(f.message).toContain('4 readers found');
    expect(f.help).toContain('app/queries.py:17  parsed-sql (strong): reads s.email');
    expect(f.help).toContain('src/users/model.ts:7  identifier-match (weak)');
    expect(f.help).toContain('Searched: 7 files matching **/*.{ts,js,py,rb,go,java,sql}, excluding the migrations in db/migrations/.');
    expect(f.evidence?.readers?.code.some((h) => h.file.startsWith('db/'))).toBe(false);
    expect(f.suggestion).toContain('-- release N+1 (contract)');
    expect(r.summary.readers?.code?.files).toBe(7);
  });

  it('reports a drop with no reader at a lower severity, saying what was searched', async () => {
    // newsletter_subscribers.id: the table is used, its id column never.
    const dir = appWith("SET lock_timeout = '2s';\nALTER TABLE newsletter_subscribers DROP COLUMN id;\n");
    const r = await lint({ cwd: dir, paths: ['db/migrations/002_pending.sql'], history: ['db/migrations'], readers: { paths: GLOBS, baseDir: dir } });
    const f = r.findings.find((x) => x.rule === 'drop-column')!;
    expect(f.severity).toBe('info');
    expect(f.evidence?.found).toBe('none');
    expect(f.message).toContain('No reader found in the 7 files searched.');
    expect(f.help).toContain('No reader of newsletter_subscribers.id found.');
    expect(f.help).toContain('Searched: 7 files');
  });

  it('lists writers that omit a column made NOT NULL', async () => {
    const dir = appWith("SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN name SET NOT NULL;\n");
    const r = await lint({ cwd: dir, paths: ['db/migrations/002_pending.sql'], history: ['db/migrations'], readers: { paths: GLOBS, baseDir: dir } });
    const compat = r.findings.filter((x) => x.rule === 'set-not-null-scan' && x.message.includes('breaks writers'));
    // signup.ts names `name`: no writer leaves it out, so only the scan finding remains
    expect(compat).toEqual([]);
    const dir2 = appWith("SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN bio SET NOT NULL;\n");
    const r2 = await lint({ cwd: dir2, paths: ['db/migrations/002_pending.sql'], history: ['db/migrations'], readers: { paths: GLOBS, baseDir: dir2 } });
    const w = r2.findings.find((x) => x.rule === 'set-not-null-scan' && x.message.includes('breaks writers'))!;
    expect(w.severity).toBe('error');
    expect(w.help).toContain('src/signup.ts:4  parsed-sql (strong): INSERT INTO users (email, name) omits bio');
    expect(w.suggestion).toContain('-- release N (expand)');
  });

  it('skips the readers stage when no linted migration contracts anything', async () => {
    const dir = appWith("SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY users_name_idx ON users (name);\n");
    const r = await lint({ cwd: dir, paths: ['db/migrations/002_pending.sql'], history: ['db/migrations'], readers: { paths: GLOBS, baseDir: dir } });
    expect(r.summary.readers).toBeUndefined();
  });
});
