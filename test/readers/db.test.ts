/**
 * Readers in the live database, against real PostgreSQL 15 and 18 (started with
 * pg_stat_statements preloaded): recorded statements, dependent views,
 * functions, triggers, policies and foreign keys; no extension; no password
 * in anything printed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../../src/index.js';
import { redactUrl, scanDatabase } from '../../src/readers/db.js';
import { targetKey, type ReaderTarget } from '../../src/readers/types.js';
import { loadParser } from '../../src/sql/parser.js';
import { availableMajors, withDatabase } from '../support/db.js';

beforeAll(loadParser);

const SCHEMA = `
  CREATE TABLE users (id bigint PRIMARY KEY, email text, name text, bio text);
  CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), email text);
  CREATE VIEW active_users AS SELECT id, email FROM users WHERE bio IS NOT NULL;
  CREATE MATERIALIZED VIEW user_names AS SELECT id, name FROM users;
  CREATE FUNCTION user_email(uid bigint) RETURNS text LANGUAGE plpgsql AS $$
  BEGIN
    RETURN (SELECT u.email FROM users u WHERE u.id = uid);
  END $$;
  CREATE FUNCTION users_touch() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    NEW.email := lower(NEW.email);
    RETURN NEW;
  END $$;
  CREATE TRIGGER users_touch BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_touch();
  ALTER TABLE users ENABLE ROW LEVEL SECURITY;
  CREATE POLICY users_self ON users USING (email = current_user);
`;

const catalog = new Map([
  ['public.users', new Set(['id', 'email', 'name', 'bio'])],
  ['public.orders', new Set(['id', 'user_id', 'email'])],
]);

function target(kind: ReaderTarget['kind'], table: string, column: string | null, change: string): ReaderTarget {
  return { key: targetKey(kind, `public.${table}`, column), kind, table: `public.${table}`, schema: 'public', name: table, column, change };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

for (const major of availableMajors()) {
  describe(`live database readers on PostgreSQL ${major}`, () => {
    it('finds a recorded query after it ran, and the view, function, trigger, policy depending on the column', async () => {
      await withDatabase(major, async (url) => {
        await withClient(url, async (c) => {
          await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
          await c.query(SCHEMA);
          await c.query('SELECT pg_stat_statements_reset()');
          for (let i = 0; i < 3; i++) await c.query('SELECT u.email FROM users AS u WHERE u.id = $1', [i]);
          await c.query('SELECT o.email FROM orders o WHERE o.id = $1', [1]); // orders.email: not a reader of users.email
          await c.query('INSERT INTO users (id, name) VALUES ($1, $2)', [10, 'x']);
        });
        const email = target('column', 'users', 'email', 'drop-column');
        const users = target('table', 'users', null, 'drop-table');
        const writer = target('writer', 'users', 'bio', 'set-not-null');
        const r = await scanDatabase({ url, targets: [email, users, writer], catalog });
        expect(r.summary).toMatchObject({ statements: 'read', error: null });
        const ev = r.evidence.get(email.key)!.db;
        const queries = ev.filter((h) => h.kind === 'query');
        expect(queries).toHaveLength(1);
        expect(queries[0]).toMatchObject({ certainty: 'query-stats', strength: 'strong', calls: 3, detail: 'reads u.email' });
        expect(queries[0]!.name).toMatch(/SELECT u\.email FROM users AS u WHERE u\.id = \$1/);
        const names = ev.filter((h) => h.kind !== 'query').map((h) => `${h.kind}:${h.name}`).sort();
        expect(names).toContain('view:active_users');
        expect(names).toContain('policy:users_self on table users');
        expect(names).toContain('function:user_email(bigint)');
        expect(names.some((n) => n.startsWith('trigger:users_touch'))).toBe(true);
        // the column of another table with the same name is not a dependency
        expect(names.some((n) => n.includes('user_names'))).toBe(false);
        // whole table: the FK from orders and the matview are dependants too
        const tableHits = r.evidence.get(users.key)!.db.map((h) => `${h.kind}:${h.name}`);
        expect(tableHits).toContain('materialized-view:user_names');
        expect(tableHits.some((n) => n.startsWith('foreign-key:orders_user_id_fkey'))).toBe(true);
        expect(tableHits.some((n) => n.startsWith('query:'))).toBe(true);
        // writers: the INSERT without bio
        expect(r.evidence.get(writer.key)!.db.map((h) => h.detail)).toEqual(['INSERT INTO users (id, name) omits bio']);
      });
    });

    it('for a rename, objects bound by OID (views, policies) are not readers; queries and PL/pgSQL sources are', async () => {
      await withDatabase(major, async (url) => {
        await withClient(url, async (c) => {
          await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
          await c.query(SCHEMA);
          await c.query('SELECT pg_stat_statements_reset()');
          await c.query('SELECT email FROM users WHERE id = $1', [1]);
        });
        const renamed = target('column', 'users', 'email', 'rename-column');
        const r = await scanDatabase({ url, targets: [renamed], catalog });
        const kinds = r.evidence.get(renamed.key)!.db.map((h) => `${h.kind}:${h.name}`).sort();
        expect(kinds.some((k) => k.startsWith('view:') || k.startsWith('policy:'))).toBe(false);
        expect(kinds).toContain('function:user_email(bigint)');
        expect(kinds.some((k) => k.startsWith('query:SELECT email FROM users'))).toBe(true);
        expect(kinds.some((k) => k.startsWith('trigger:users_touch'))).toBe(true);
      });
    });

    it('without pg_stat_statements: says so and still checks catalog dependencies', async () => {
      await withDatabase(major, async (url) => {
        await withClient(url, (c) => c.query('CREATE TABLE users (id bigint, email text); CREATE VIEW v_emails AS SELECT email FROM users;'));
        const email = target('column', 'users', 'email', 'drop-column');
        const r = await scanDatabase({ url, targets: [email], catalog });
        expect(r.summary.statements).toBe('not-installed');
        expect(r.summary.note).toContain('pg_stat_statements is not installed');
        expect(r.summary.error).toBeNull();
        expect(r.evidence.get(email.key)!.db.map((h) => `${h.kind}:${h.name}`)).toEqual(['view:v_emails']);
      });
    });

    it('lint({ db }) puts the live readers on the finding and never prints the password', async () => {
      await withDatabase(major, async (url) => {
        await withClient(url, async (c) => {
          await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
          await c.query(SCHEMA);
          await c.query('SELECT pg_stat_statements_reset()');
          await c.query('SELECT name, email FROM users WHERE id = $1', [1]);
        });
        const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-db-'));
        writeFileSync(path.join(dir, '001.sql'), 'CREATE TABLE users (id bigint PRIMARY KEY, email text, name text, bio text);\n');
        writeFileSync(path.join(dir, '002.sql'), "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN email;\n");
        const r = await lint({ cwd: dir, paths: ['002.sql'], history: ['001.sql'], db: url });
        const f = r.findings.find((x) => x.rule === 'drop-column')!;
        expect(f.help).toMatch(/database: pg_stat_statements \(1 call\): SELECT name, email FROM users WHERE id = \$1/);
        expect(f.help).toContain('database: view active_users depends on users.email');
        const password = new URL(url).password;
        expect(password.length).toBeGreaterThan(0);
        const printed = JSON.stringify(r);
        expect(printed).not.toContain(`:${password}@`);
        expect(r.summary.readers?.db?.url).toBe(redactUrl(url));
        expect(r.summary.readers?.db?.url).not.toContain(`:${password}@`);
      });
    });
  });
}

describe('ddlguard lint --db (built CLI)', () => {
  it('says when pg_stat_statements is missing, keeps linting, and prints no password', async () => {
    const major = availableMajors()[0];
    if (!major) return;
    await withDatabase(major, async (url) => {
      await withClient(url, (c) => c.query('CREATE TABLE users (id bigint, email text); CREATE VIEW v_emails AS SELECT email FROM users;'));
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-dbcli-'));
      writeFileSync(path.join(dir, '001.sql'), 'CREATE TABLE users (id bigint, email text);\n');
      writeFileSync(path.join(dir, '002.sql'), "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN email;\n");
      const cli = path.resolve(__dirname, '../../dist/src/cli/main.js');
      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
      delete env.DATABASE_URL;
      for (const format of ['json', 'tty']) {
        const r = spawnSync(process.execPath, [cli, 'lint', '002.sql', '--history', '001.sql', '--db', url, '--format', format], { cwd: dir, encoding: 'utf8', env });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain('pg_stat_statements is not installed');
        const password = new URL(url).password;
        expect(r.stdout + r.stderr).not.toContain(`:${password}@`);
        expect(r.stdout).toContain('view v_emails depends on users.email');
      }
    });
  });
});

describe('database failures never fail the lint and never show the password', () => {
  it('a refused connection is reported in the summary, scrubbed', async () => {
    const url = 'postgresql://app:s3cr3t-Pa55@127.0.0.1:1/nowhere';
    const r = await scanDatabase({ url, targets: [target('column', 'users', 'email', 'drop-column')], catalog, connectTimeoutMs: 2000 });
    expect(r.summary.error).toMatch(/^cannot connect/);
    expect(JSON.stringify(r)).not.toContain('s3cr3t-Pa55');
    expect(r.summary.url).toBe('postgresql://app@127.0.0.1:1/nowhere');
  });

  it('a URL with a password (right, wrong or unused by trust auth) never shows it', async () => {
    const major = availableMajors()[0];
    if (!major) return;
    await withDatabase(major, async (url) => {
      const u = new URL(url);
      u.password = 'not-the-Pa55word';
      const r = await scanDatabase({ url: u.toString(), targets: [target('column', 'users', 'email', 'drop-column')], catalog });
      expect(JSON.stringify(r)).not.toContain('not-the-Pa55word');
      expect(r.summary.url).not.toContain('Pa55');
    });
  });
});
