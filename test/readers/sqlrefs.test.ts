/** The SQL reference resolver and the source lexer behind the readers stage. */
import { beforeAll, describe, expect, it } from 'vitest';
import { lex, languageOf } from '../../src/readers/lexer.js';
import { analyzeSqlText } from '../../src/readers/sqlrefs.js';
import { joinLiterals, looksLikeSql, normalizePlaceholders } from '../../src/readers/sqltext.js';
import { loadParser } from '../../src/sql/parser.js';

beforeAll(loadParser);

const catalog = new Map([
  ['public.users', new Set(['id', 'email', 'name', 'bio', 'created_at'])],
  ['public.orders', new Set(['id', 'user_id', 'email', 'note', 'amount'])],
  ['app.accounts', new Set(['id', 'email'])],
]);

/** `table.column` for every column reference (reads and writes). */
function cols(sql: string): string[] {
  const a = analyzeSqlText(sql, { catalog });
  if (!a) throw new Error(`does not parse: ${sql}`);
  return [...new Set(a.refs.filter((r) => r.kind === 'column').map((r) => `${r.table.replace(/^public\./, '')}.${r.column}${r.access === 'write' ? '(w)' : ''}`))].sort();
}

describe('analyzeSqlText', () => {
  it('resolves aliases, qualified and unqualified columns against the catalog', () => {
    expect(cols('SELECT u.email, name FROM users AS u JOIN orders o ON o.user_id = u.id')).toEqual(['orders.user_id', 'users.email', 'users.id', 'users.name']);
    // `email` exists in both tables: PostgreSQL would call it ambiguous; both are candidates
    expect(cols('SELECT note FROM orders o JOIN users u ON u.id = o.user_id WHERE amount > 1')).toEqual(['orders.amount', 'orders.note', 'orders.user_id', 'users.id']);
    expect(cols('SELECT email FROM orders')).toEqual(['orders.email']);
  });

  it('follows correlated subqueries, CTE shadowing, USING and derived tables', () => {
    expect(cols('SELECT o.id FROM orders o WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = o.user_id AND bio IS NULL)')).toEqual(['orders.id', 'orders.user_id', 'users.bio', 'users.id']);
    // a CTE named like a table is not the table
    expect(cols('WITH users AS (SELECT id, note AS email FROM orders) SELECT email FROM users')).toEqual(['orders.id', 'orders.note']);
    expect(cols('SELECT email FROM users JOIN orders USING (id)').sort()).toEqual(['orders.email', 'orders.id', 'users.email', 'users.id']);
    expect(cols('SELECT x.e FROM (SELECT email AS e FROM users) x')).toEqual(['users.email']);
  });

  it('records writes: INSERT column lists, UPDATE SET, ON CONFLICT, RETURNING', () => {
    expect(cols('INSERT INTO users (email, name) VALUES ($1, $2) ON CONFLICT (email) DO UPDATE SET name = excluded.name RETURNING id')).toEqual([
      'users.email',
      'users.email(w)',
      'users.id',
      'users.name',
      'users.name(w)',
    ]);
    expect(cols('UPDATE users u SET bio = o.note FROM orders o WHERE o.user_id = u.id')).toEqual(['orders.note', 'orders.user_id', 'users.bio(w)', 'users.id']);
    const a = analyzeSqlText('INSERT INTO users VALUES (1, $1); INSERT INTO app.accounts (id) SELECT id FROM users', { catalog })!;
    expect(a.inserts.map((i) => [i.table, i.columns])).toEqual([
      ['public.users', null],
      ['app.accounts', ['id']],
    ]);
  });

  it('resolves schema-qualified names and the search path', () => {
    expect(cols('SELECT a.email FROM app.accounts a')).toEqual(['app.accounts.email']);
    const a = analyzeSqlText('SELECT email FROM accounts', { catalog, searchPath: ['app', 'public'] })!;
    expect(a.refs.find((r) => r.kind === 'column')).toMatchObject({ table: 'app.accounts', column: 'email' });
  });

  it('returns null for text that is not SQL', () => {
    expect(analyzeSqlText('Select a user to continue', { catalog })).toBeNull();
  });
});

describe('lexer', () => {
  const sqlOf = (file: string, text: string) => joinLiterals(text, lex(text, languageOf(file)).literals).map((u) => normalizePlaceholders(u.text, u.map).text.trim());

  it('JS/TS: template interpolations become placeholders, concatenations join, comments and regexes are skipped', () => {
    const text = "// SELECT email FROM users\nconst re = /'\"/g;\nq(`SELECT ${cols} FROM users WHERE id = ${id}`);\nq('SELECT a ' +\n  'FROM t WHERE b = ?');\n";
    expect(sqlOf('x.ts', text)).toEqual(['SELECT $1 FROM users WHERE id = $1', 'SELECT a FROM t WHERE b = $1']);
    expect(lex(text, 'js').comments).toEqual([[0, 26]]);
  });

  it('Python: implicit concatenation, f-strings, %s and %(name)s, docstrings flagged', () => {
    const text = 'def f():\n    """Docstring about email."""\n    cur.execute(\n        "SELECT id "\n        "FROM users WHERE a = %s AND b = %(b)s"\n    )\n    cur.execute(f"UPDATE users SET bio = {bio!r}")  # comment\n';
    const lexed = lex(text, 'python');
    expect(lexed.literals[0]!.docLike).toBe(true);
    expect(sqlOf('x.py', text).slice(1)).toEqual(['SELECT id FROM users WHERE a = $1 AND b = $1', 'UPDATE users SET bio = $1']);
  });

  it('Ruby heredocs with interpolation, Go raw strings, Java text blocks', () => {
    expect(sqlOf('x.rb', 'sql = <<~SQL\n  SELECT email FROM users WHERE id = #{id}\nSQL\n# SELECT nothing\n')).toEqual(['SELECT email FROM users WHERE id = $1']);
    expect(sqlOf('x.go', 'db.Query(`SELECT email\n FROM users WHERE id = $1`, id)')).toEqual(['SELECT email\n FROM users WHERE id = $1']);
    expect(sqlOf('X.java', 'String q = """\n    SELECT email FROM users WHERE id = :id\n    """;')).toEqual(['SELECT email FROM users WHERE id = $1']);
  });

  it('keeps the map from cooked SQL back to file offsets', () => {
    const text = "x = 'SELECT\\n email FROM users'";
    const [u] = joinLiterals(text, lex(text, 'js').literals);
    const i = u!.text.indexOf('email');
    expect(text.slice(u!.map[i]!, u!.map[i]! + 5)).toBe('email');
  });

  it('recognises SQL-looking strings', () => {
    expect(looksLikeSql('  -- comment\n  select 1')).toBe(true);
    expect(looksLikeSql('email')).toBe(false);
  });
});
