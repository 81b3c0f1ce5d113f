/**
 * lexComments (the JavaScript comment finder parseSqlFile uses inside statements) against
 * PostgreSQL's own scanner (libpg-query's scanSync): the same comments at the same offsets, or
 * null where it leaves the decision to the scanner. Over hand-written edge cases and every
 * statement of every .sql file in fixtures/ and test/ (DDLGUARD_LEX_CORPORA=dir[:dir] adds more).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lexComments, type LexedComment } from '../../src/sql/lex-comments.js';
import { loadParser, parseRaw, scanRaw } from '../../src/sql/parser.js';
import { SourceText } from '../../src/sql/source.js';

beforeAll(() => loadParser());

const ROOT = path.resolve(__dirname, '../..');

function scanned(text: string): LexedComment[] | 'error' {
  let tokens;
  try {
    tokens = scanRaw(text);
  } catch {
    return 'error';
  }
  const src = new SourceText(text);
  return tokens
    .filter((t) => t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT')
    .map((t) => ({ start: src.indexOfByte(t.start), end: src.indexOfByte(t.end), block: t.tokenName === 'C_COMMENT' }));
}

function sqlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') out.push(...sqlFiles(p));
    else if (e.isFile() && e.name.endsWith('.sql')) out.push(p);
  }
  return out;
}

/** The statements of a file PostgreSQL parses, as parseSqlFile cuts them (without the trailing semicolon). */
function statementTexts(text: string): string[] {
  let raw;
  try {
    raw = parseRaw(text);
  } catch {
    return [];
  }
  const bytes = Buffer.from(text, 'utf8');
  return raw.stmts.map((s) => {
    const start = s.stmt_location ?? 0;
    const end = s.stmt_len ? start + s.stmt_len : bytes.length;
    return bytes.subarray(start, end).toString('utf8').replace(/[\s;]+$/, '');
  });
}

const CASES: Array<[string, Array<[string, boolean]> | null]> = [
  ['SELECT 1 -- one', [['-- one', false]]],
  ["SELECT '-- not' -- yes", [['-- yes', false]]],
  ["SELECT 'it''s -- not' /* yes */", [['/* yes */', true]]],
  ["SELECT E'\\' -- not' -- yes", [['-- yes', false]]],
  ["SELECT e'\\\\' -- yes", [['-- yes', false]]],
  ["SELECT '\\' -- yes", [['-- yes', false]]],
  ["SELECT ee'\\' -- yes", [['-- yes', false]]],
  ["SELECT U&'d\\0061t -- not' -- yes", [['-- yes', false]]],
  ['SELECT U&"d\\0061t -- not" -- yes', [['-- yes', false]]],
  ["SELECT B'01' /* a /* nested */ comment */ , X'1F', N'-- not'", [['/* a /* nested */ comment */', true]]],
  ['SELECT "a "" -- not" -- yes', [['-- yes', false]]],
  ['SELECT $$ -- not $$ -- yes', [['-- yes', false]]],
  ['SELECT $a$ $$ -- not $b$ $a$ -- yes', [['-- yes', false]]],
  ['SELECT $ab$ $a$ -- not $ab$ /* yes */', [['/* yes */', true]]],
  ['SELECT a$$b$$ -- yes', [['-- yes', false]]],
  ['PREPARE p AS SELECT $1$$ -- not $$ -- yes', [['-- yes', false]]],
  ['SELECT 1 /**/ /***/ /* ** / * */', [['/**/', true], ['/***/', true], ['/* ** / * */', true]]],
  ['SELECT 1--two\r\n+2', [['--two', false]]],
  ['SELECT 2 */*x*/ 3', [['/*x*/', true]]],
  ['SELECT 2 +-- x\n3', [['-- x', false]]],
  ["SELECT 'a'\n'b' -- yes", [['-- yes', false]]],
  ["SELECT 'a' -- yes\n, 'b'", [['-- yes', false]]],
  ["SELECT 'a' -- swallowed by the continuation\n'b'", null],
  ["SELECT 'ünï' -- ç", [['-- ç', false]]],
  ['SELECT 1_000 -- x', [['-- x', false]]],
  ["SELECT E'\\\\' -- yes'", [["-- yes'", false]]],
  ['PREPARE p AS SELECT $1 -- yes', [['-- yes', false]]],
  ['SELECT U&\'\\0041\' /* y */, u&"a""b" -- z', [['/* y */', true], ['-- z', false]]],
  ['SELECT 1 /* a */ /* b /* c */ d */ -- e', [['/* a */', true], ['/* b /* c */ d */', true], ['-- e', false]]],
];

describe('lexComments', () => {
  it('finds the comments of the edge cases, and agrees with the scanner on them', () => {
    for (const [sql, want] of CASES) {
      const got = lexComments(sql);
      expect(got && got.map((c) => [sql.slice(c.start, c.end), c.block]), sql).toEqual(want);
      if (got) expect(got, sql).toEqual(scanned(sql));
    }
  });

  it('leaves a string continued across a comment to the scanner', () => {
    // scan.l's quotecontinue takes the comment into the string's continuation; libpg-query's
    // scanner still reports it as a token. Rare enough to ask the scanner.
    for (const sql of ["SELECT 'a' -- x\n'b' -- y", "SELECT E'a'\n-- x\n  'b'"]) {
      expect(lexComments(sql), sql).toBeNull();
      expect(scanned(sql), sql).not.toEqual([]);
    }
  });

  it('returns null for an unterminated string, comment or dollar quote', () => {
    for (const sql of ["SELECT 'abc", 'SELECT /* abc', 'SELECT $x$ abc', 'SELECT "abc']) expect(lexComments(sql), sql).toBeNull();
  });

  it('agrees with the scanner on every statement (and whole file) of the repository SQL files', () => {
    const dirs = [path.join(ROOT, 'fixtures'), path.join(ROOT, 'test'), ...(process.env.DDLGUARD_LEX_CORPORA ?? '').split(':').filter((d) => d && statSync(d).isDirectory())];
    let pieces = 0;
    let withComments = 0;
    let undecided = 0;
    for (const file of dirs.flatMap(sqlFiles)) {
      const text = readFileSync(file, 'utf8');
      const statements = statementTexts(text);
      // The whole file too (when it parses): its comments between statements are many more cases.
      for (const piece of statements.length ? [text, ...statements] : []) {
        const got = lexComments(piece);
        pieces++;
        if (!got) {
          undecided++;
          continue;
        }
        if (got.length) withComments++;
        expect(got, `${file}: ${piece.slice(0, 200)}`).toEqual(scanned(piece));
      }
    }
    expect(pieces).toBeGreaterThan(500);
    expect(withComments).toBeGreaterThan(20);
    expect(undecided).toBeLessThan(pieces / 100);
  });
});
