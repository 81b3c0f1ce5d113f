/** Tenant databases and schemas for the fleet tests, the reference plan, and catalog snapshots to compare targets with. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { vi } from 'vitest';
import { loadParser } from '../../src/sql/parser.js';
import { planMigration } from '../../src/plan/planner.js';
import type { Plan } from '../../src/apply/types.js';
import { client } from '../apply/helpers.js';

export const SCHEMA_SQL = 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, balance int NOT NULL DEFAULT 0);';

/** The reference migration: a column and its batched backfill, NOT NULL, a unique index, a CHECK. */
export const MIGRATION = `ALTER TABLE accounts ADD COLUMN public_id uuid;
UPDATE accounts SET public_id = md5(id::text)::uuid WHERE public_id IS NULL;
ALTER TABLE accounts ALTER COLUMN public_id SET NOT NULL;
CREATE UNIQUE INDEX accounts_public_id_key ON accounts (public_id);
ALTER TABLE accounts ADD CONSTRAINT accounts_balance_nonneg CHECK (balance >= 0);
`;

/** The planner's plan of MIGRATION for a table it is told is not small (so every step is the online form). */
export async function referencePlan(pgVersion: number): Promise<Plan> {
  await loadParser();
  return planMigration([{ path: 'migrations/002_public_id.sql', text: MIGRATION }], {
    pgVersion,
    history: [{ path: 'migrations/001_accounts.sql', text: SCHEMA_SQL }],
    tableSizes: new Map([['public.accounts', { rows: 20_000, bytes: 4_000_000 }]]),
  }) as unknown as Plan;
}

export function seedSql(schema: string | null, rows: number): string {
  const t = schema ? `${schema}.accounts` : 'accounts';
  return `${schema ? `CREATE SCHEMA ${schema};` : ''}
CREATE TABLE ${t} (id bigint PRIMARY KEY, email text NOT NULL, balance int NOT NULL DEFAULT 0);
INSERT INTO ${t} SELECT g, 'user' || g || '@example.com', g % 1000 FROM generate_series(1, ${rows}) g;
ANALYZE ${t};`;
}

/** The same server and credentials with another password (the test servers trust local connections, so any password connects). */
export function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

export function dbUrl(base: string, db: string): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Databases created on the server of `admin`, dropped by dropAll (WITH FORCE). */
export class Databases {
  readonly names: string[] = [];
  readonly prefix = `fleet_${process.pid}_${randomBytes(3).toString('hex')}`;
  constructor(readonly admin: string) {}

  async create(suffix: string, template?: string): Promise<string> {
    const name = `${this.prefix}_${suffix}`;
    const c = await client(this.admin);
    try {
      await c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
    } finally {
      await c.end();
    }
    this.names.push(name);
    return dbUrl(this.admin, name);
  }

  name(url: string): string {
    return new URL(url).pathname.slice(1);
  }

  async dropAll(): Promise<void> {
    const c = await client(this.admin);
    try {
      for (const n of this.names.reverse()) await c.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`).catch(() => {});
    } finally {
      await c.end();
    }
    this.names.length = 0;
  }
}

export async function exec(url: string, sql: string): Promise<void> {
  const c = await client(url);
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = await client(url);
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** The accounts table of one schema as a comparable value: columns, constraints, indexes (names without the schema) and a data hash. */
export async function snapshot(c: pg.Client, schema: string): Promise<unknown> {
  const strip = (s: string) => s.split(`${schema}.`).join('');
  const cols = await c.query(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull FROM pg_attribute a
      WHERE a.attrelid = format('%I.accounts', $1::text)::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [schema],
  );
  const cons = await c.query(`SELECT conname, contype, convalidated, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = format('%I.accounts', $1::text)::regclass ORDER BY conname`, [schema]);
  const idx = await c.query(
    `SELECT ic.relname, i.indisvalid, i.indisunique, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indrelid = format('%I.accounts', $1::text)::regclass ORDER BY ic.relname`,
    [schema],
  );
  const data = await c.query(`SELECT count(*)::int AS n, md5(string_agg(id || ':' || coalesce(public_id::text, '-') || ':' || balance, ',' ORDER BY id)) AS h FROM ${schema}.accounts`);
  return { cols: cols.rows, cons: cons.rows.map((r) => ({ ...r, def: strip(r.def) })), idx: idx.rows.map((r) => ({ ...r, def: strip(r.def) })), data: data.rows[0] };
}

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'ddlguard-fleet-'));
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

/** Captures process.stdout (and stderr) while `fn` runs. */
export async function capture<T>(fn: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    out.push(String(c));
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    err.push(String(c));
    return true;
  });
  try {
    const value = await fn();
    return { value, out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** JSON lines of a capture (non-JSON lines dropped). */
export function events(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
