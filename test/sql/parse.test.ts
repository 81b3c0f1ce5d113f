import { beforeAll, describe, expect, it } from 'vitest';
import { parseSqlFile } from '../../src/sql/parse.js';
import { loadParser } from '../../src/sql/parser.js';
import { quoteIdent, quoteLiteral, derivedName } from '../../src/sql/quote.js';

beforeAll(() => loadParser());

describe('parseSqlFile', () => {
  it('gives 1-based spans in characters, also after multi-byte text', () => {
    const f = parseSqlFile('a.sql', "-- héllo wörld\nSELECT 'ü';\n  CREATE INDEX i ON t (a);\n");
    expect(f.error).toBeNull();
    expect(f.statements.map((s) => [s.kind, s.span.start.line, s.span.start.column, s.text])).toEqual([
      ['SelectStmt', 2, 1, "SELECT 'ü'"],
      ['IndexStmt', 3, 3, 'CREATE INDEX i ON t (a)'],
    ]);
    expect(f.statements[1]!.span.end).toMatchObject({ line: 3, column: 26 });
  });

  it('reports a parse error at its line and column, also after multi-byte text', () => {
    const f = parseSqlFile('a.sql', "SELECT 'ü';\nALTER TABLE x ADD COLUMNN y int;");
    expect(f.error).toEqual({ message: 'syntax error at or near "int"', line: 2, column: 29 });
  });

  it('treats a file of comments as empty, not as an error', () => {
    expect(parseSqlFile('a.sql', '-- nothing here\n/* still nothing */\n').error).toBeNull();
    expect(parseSqlFile('a.sql', '').statements).toEqual([]);
  });

  it('attaches leading, inner and trailing comments and reads directives', () => {
    const f = parseSqlFile('a.sql', 'SELECT 1; -- ddlguard-ignore rule-a\n-- ddlguard-ignore rule-b, rule-c -- because\nSELECT 2;\n-- ddlguard-ignore-file rule-d\n');
    expect(f.statements[0]!.directives).toMatchObject([{ kind: 'ignore', rules: ['rule-a'] }]);
    expect(f.statements[1]!.directives).toMatchObject([{ kind: 'ignore', rules: ['rule-b', 'rule-c'] }]);
    expect(f.directives).toMatchObject([{ kind: 'ignore-file', rules: ['rule-d'] }]);
  });

  it('sees DDL inside DO blocks, with its own position', () => {
    const f = parseSqlFile('a.sql', "DO $$\nBEGIN\n  IF true THEN\n    CREATE INDEX i ON t (a);\n  END IF;\n  EXECUTE 'DROP INDEX j';\nEND\n$$;\n");
    const inner = f.statements.filter((s) => s.inDoBlock !== null);
    expect(inner.map((s) => s.kind)).toEqual(['IndexStmt', 'DropStmt']);
    expect(inner[0]!.span.start).toMatchObject({ line: 4, column: 5 });
  });

  it('does not run function bodies (they execute later, not at migration time)', () => {
    const f = parseSqlFile('a.sql', 'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE INDEX i ON t (a); END $$;');
    expect(f.statements.map((s) => s.kind)).toEqual(['CreateFunctionStmt']);
  });
});

describe('quoting', () => {
  it('quotes identifiers only when PostgreSQL needs it', () => {
    expect(quoteIdent('users')).toBe('users');
    expect(quoteIdent('Users')).toBe('"Users"');
    expect(quoteIdent('select')).toBe('"select"');
    expect(quoteIdent('my table')).toBe('"my table"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('naïve')).toBe('"naïve"');
    expect(quoteIdent('name')).toBe('name'); // unreserved keyword
  });
  it('quotes literals', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('a\\b')).toBe("E'a\\\\b'");
  });
  it('derives names that fit in 63 bytes', () => {
    const n = derivedName('x'.repeat(70), '_not_null');
    expect(Buffer.byteLength(n)).toBe(63);
    expect(n.endsWith('_not_null')).toBe(true);
  });
});
