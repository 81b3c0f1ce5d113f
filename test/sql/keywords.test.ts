/**
 * isQuotingKeyword against the server's own keyword list (pg_get_keywords()): every keyword
 * that is not unreserved needs quoting, every unreserved one does not, and the shortcut it takes
 * for long words and words with a digit or `$` holds (no keyword is longer than
 * LONGEST_KEYWORD or has either).
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { isQuotingKeyword, LONGEST_KEYWORD } from '../../src/sql/keywords.js';
import { loadParser } from '../../src/sql/parser.js';
import { quoteIdent } from '../../src/sql/quote.js';
import { pgUrl } from '../support/db.js';

beforeAll(() => loadParser());

describe.skipIf(!pgUrl(18))('isQuotingKeyword', () => {
  it("agrees with PostgreSQL 18's pg_get_keywords(), and no keyword is long or has a digit or $", async () => {
    const client = new pg.Client({ connectionString: pgUrl(18) });
    await client.connect();
    let rows: Array<{ word: string; catcode: string }>;
    try {
      rows = (await client.query<{ word: string; catcode: string }>('SELECT word, catcode FROM pg_get_keywords()')).rows;
    } finally {
      await client.end();
    }
    expect(rows.length).toBeGreaterThan(400);
    expect(Math.max(...rows.map((r) => r.word.length))).toBeLessThanOrEqual(LONGEST_KEYWORD);
    expect(rows.filter((r) => /[0-9$]/.test(r.word))).toEqual([]);
    const disagree = rows.filter((r) => isQuotingKeyword(r.word) !== (r.catcode !== 'U')).map((r) => `${r.word} (${r.catcode})`);
    expect(disagree).toEqual([]);
  });

  it('quotes keywords, not long names or names with digits', () => {
    expect(quoteIdent('user')).toBe('"user"');
    expect(quoteIdent('current_timestamp')).toBe('"current_timestamp"');
    expect(quoteIdent('community_follower_state')).toBe('community_follower_state');
    expect(quoteIdent('int4')).toBe('int4');
    expect(quoteIdent('name')).toBe('name');
  });
});
