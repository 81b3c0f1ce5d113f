/**
 * src/sql/parser.ts talks to libpg-query's WASM itself (its own string copies, its own
 * instantiation). Its answers must be libpg-query's own, call for call: the same trees, tokens,
 * PL/pgSQL trees and errors (message and cursor), on the repository's SQL and on inputs chosen
 * for the copies' edge cases (multi-byte text, an error after it, inputs that make WASM memory
 * grow between calls).
 */
import fg from 'fast-glob';
import { readFileSync } from 'node:fs';
import * as pg from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser, parsePlpgsqlRaw, parseRaw, scanRaw, toParseError } from '../../src/sql/parser.js';

beforeAll(async () => {
  await loadParser();
  await pg.loadModule();
});

function outcome<T>(fn: () => T): { ok: T } | { error: { message: string; cursor: number | null } } {
  try {
    return { ok: fn() };
  } catch (e) {
    if (pg.hasSqlDetails(e)) return { error: { message: e.sqlDetails!.message, cursor: e.sqlDetails!.cursorPosition ?? null } };
    return { error: { message: (e as Error).message, cursor: null } };
  }
}

function ours<T>(fn: () => T): { ok: T } | { error: { message: string; cursor: number | null } } {
  try {
    return { ok: fn() };
  } catch (e) {
    return { error: toParseError(e) };
  }
}

const files = fg.sync(['fixtures/**/*.sql'], { cwd: process.cwd(), absolute: true }).sort();
const big = `CREATE TABLE t (${Array.from({ length: 4000 }, (_, i) => `c${i} text DEFAULT 'värde ${i} 🚀'`).join(', ')});`;
const edge = [
  "SELECT 'ü', 'δ', '漢字', '🚀';",
  "SELECT 'ü';\nALTER TABLE x ADD COLUMNN y int;",
  '🚀 SELECT',
  'SELECT 1; -- trailing comment ü\n/* block /* nested */ */ SELECT $$ -- not a comment $$;',
  ' ',
  '',
  big,
  'SELECT 1',
];

describe('the parser doorway gives libpg-query its own answers', () => {
  it(`parses ${files.length} fixture files and the edge cases to the same trees and errors`, () => {
    expect(files.length).toBeGreaterThan(50);
    for (const sql of [...files.map((f) => readFileSync(f, 'utf8')), ...edge]) {
      expect(ours(() => parseRaw(sql))).toEqual(outcome(() => pg.parseSync(sql)));
    }
  });

  it('scans to the same tokens', () => {
    for (const sql of [...files.slice(0, 80).map((f) => readFileSync(f, 'utf8')), ...edge.filter((s) => s !== '')]) {
      expect(ours(() => scanRaw(sql))).toEqual(outcome(() => pg.scanSync(sql).tokens));
    }
  });

  it('parses PL/pgSQL to the same trees and errors', () => {
    const bodies = [
      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE t ADD COLUMN ü int; END $$;",
      'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN IF THEN END $$;',
    ];
    for (const sql of bodies) expect(ours(() => parsePlpgsqlRaw(sql))).toEqual(outcome(() => pg.parsePlPgSQLSync(sql)));
  });

  it('reports the cursor of an error after multi-byte text as libpg-query does', () => {
    const r = ours(() => parseRaw("SELECT 'ü';\nALTER TABLE x ADD COLUMNN y int;"));
    expect(r).toEqual({ error: { message: 'syntax error at or near "int"', cursor: 40 } });
  });
});
