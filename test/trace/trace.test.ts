import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { runTrace } from '../../src/cli/commands/trace.js';
import { maskSecrets, maskUrl, engineHost } from '../../src/trace/engine.js';
import { renderTrace } from '../../src/trace/render.js';
import { traceMigration, type TraceResult } from '../../src/trace/trace.js';
import { pgUrl, withDatabase } from '../support/db.js';

const HISTORY = [{ path: 'fixtures/trace/history/001_schema.sql', text: readFileSync('fixtures/trace/history/001_schema.sql', 'utf8') }];
const FILES = [{ path: 'fixtures/trace/migrations/002_changes.sql', text: readFileSync('fixtures/trace/migrations/002_changes.sql', 'utf8') }];

/** The engine-independent part of a trace: what a reader compares. */
function essence(r: TraceResult) {
  return r.statements.map((s) => ({
    text: s.text,
    run: s.run === 'sandbox' ? 'outside' : s.run,
    locks: s.locksObserved === 'exact' ? s.locks.map((l) => `${l.relation}=${l.mode}`) : null,
    rewrites: s.rewrites.map((w) => `${w.relation}:${w.how}`).sort(),
    columns: s.columns.map((c) => `${c.relation}.${c.column}:${c.change}:${c.after}`),
    constraints: s.constraints.map((c) => `${c.relation}.${c.constraint}:${c.change}:${c.validated}`),
    created: s.created,
    error: s.error,
  }));
}

describe('traceMigration on PGlite', () => {
  it('reports locks, rewrites, column and constraint changes per statement', async () => {
    const r = await traceMigration(FILES, { engine: 'pglite', history: HISTORY, seedRows: 50 });
    expect(r.error).toBeNull();
    expect(r.engine.kind).toBe('pglite');
    expect(r.committed).toBe(false);
    const [add, type, check, validate, email, cic] = r.statements;
    expect(add!.locks.map((l) => `${l.relation}=${l.mode}`)).toEqual(['public.orders=ACCESS EXCLUSIVE']);
    expect(add!.rewrites).toEqual([]);
    expect(add!.columns[0]).toMatchObject({ column: 'note', change: 'added' });
    // Widening numeric precision is a catalog-only change.
    expect(type!.rewrites).toEqual([]);
    expect(type!.columns[0]).toMatchObject({ change: 'type', before: 'numeric(10,2)', after: 'numeric(12,2)' });
    expect(check!.constraints[0]).toMatchObject({ constraint: 'orders_total_positive', change: 'added', validated: false });
    // Locks accumulate: orders is already held ACCESS EXCLUSIVE, so VALIDATE adds nothing new.
    expect(validate!.locks).toEqual([]);
    expect(validate!.constraints[0]).toMatchObject({ change: 'validated', validated: true });
    // varchar(320) from text is not binary-coercible in that direction: it rewrites.
    expect(email!.columns[0]).toMatchObject({ change: 'type', after: 'character varying(320)' });
    expect(email!.rewrites.map((w) => w.relation)).toContain('public.accounts');
    expect(cic!.run).toBe('sandbox');
    expect(cic!.locksObserved).toBe('not-observable');
    expect(cic!.created).toEqual(['public.orders_account_idx']);
  });

  it('stops at a failing statement and marks the rest skipped', async () => {
    const r = await traceMigration([{ path: 'x.sql', text: 'CREATE TABLE a (id int);\nALTER TABLE nope ADD COLUMN c int;\nCREATE TABLE b (id int);' }], { engine: 'pglite' });
    expect(r.error).toMatch(/x\.sql:2: .*nope/);
    expect(r.statements.map((s) => s.run)).toEqual(['transaction', 'transaction', 'skipped']);
  });

  it('renders tty, json and markdown', async () => {
    const r = await traceMigration(FILES.map((f) => ({ ...f, text: f.text.split('\n')[0]! })), { engine: 'pglite', history: HISTORY });
    expect(renderTrace(r, 'tty')).toContain('public.orders ACCESS EXCLUSIVE');
    expect(JSON.parse(renderTrace(r, 'json')).statements).toHaveLength(1);
    expect(renderTrace(r, 'markdown')).toMatch(/^## ddlguard trace/);
  });
});

describe('secrets', () => {
  it('masks passwords in URLs and messages', () => {
    expect(maskUrl('postgres://u:s3cret@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(maskSecrets('could not connect to postgresql://u:s3cret@h/db: password s3cret rejected', ['s3cret'])).not.toContain('s3cret');
    expect(() => engineHost('mysql://u:s3cret@h/db')).toThrow(/u:\*\*\*@/);
  });

  it('never prints the password when the connection fails', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      await expect(runTrace({ paths: ['fixtures/trace/migrations'], db: 'postgres://ddl:hunter2secret@127.0.0.1:1/x' })).rejects.toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('hunter2secret') }),
      );
    } finally {
      spy.mockRestore();
    }
    expect(out.join('')).not.toContain('hunter2secret');
  });
});

describe.skipIf(!pgUrl(18) && !pgUrl(15))('PGlite and a real server agree', () => {
  it('gives the same trace for the same migration', async () => {
    const lite = await traceMigration(FILES, { engine: 'pglite', history: HISTORY, seedRows: 20 });
    const major = pgUrl(18) ? 18 : 15;
    const server = await withDatabase(major, (url) => traceMigration(FILES, { engine: url, history: HISTORY, seedRows: 20 }));
    expect(server.error).toBeNull();
    expect(server.workspace).toMatch(/throwaway database/);
    expect(essence(server)).toEqual(essence(lite));
    // The server also sees the CONCURRENTLY statement's lock from a second connection.
    const cic = server.statements.at(-1)!;
    expect(cic.locks.map((l) => `${l.relation}=${l.mode}`)).toEqual(['public.orders=SHARE UPDATE EXCLUSIVE']);
  });

  it('commits in place with commit: true', async () => {
    await withDatabase(pgUrl(18) ? 18 : 15, async (url) => {
      const r = await traceMigration([{ path: 'c.sql', text: 'CREATE TABLE kept (id int);' }], { engine: url, commit: true });
      expect(r.committed).toBe(true);
      const again = await traceMigration([{ path: 'd.sql', text: 'ALTER TABLE kept ADD COLUMN x int;' }], { engine: url });
      expect(again.statements[0]!.locks.map((l) => l.relation)).toEqual(['public.kept']);
      expect(again.committed).toBe(false);
    });
  });

  it('the CLI prints a masked URL', async () => {
    await withDatabase(pgUrl(18) ? 18 : 15, async (url) => {
      const u = new URL(url);
      const out: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
      let code: number;
      try {
        code = await runTrace({ paths: ['fixtures/trace/migrations'], history: ['fixtures/trace/history'], db: url, format: 'json' });
      } finally {
        spy.mockRestore();
      }
      expect(code).toBe(0);
      const text = out.join('');
      if (u.password) expect(text).not.toContain(u.password);
      expect(JSON.parse(text).statements).toHaveLength(6);
    });
  });
});
