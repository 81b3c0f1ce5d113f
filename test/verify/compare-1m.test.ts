/** verify compare on a 1,000,000-row table: finds one injected mismatch and names its key range. */
import { describe, expect, it } from 'vitest';
import { ServerEngine } from '../../src/trace/engine.js';
import { compareTables } from '../../src/verify/compare.js';
import { pgUrl, withDatabase } from '../support/db.js';

describe.skipIf(!pgUrl(18) && !pgUrl(15))('verify compare at scale', () => {
  it('finds an injected mismatch among 1,000,000 rows', async () => {
    await withDatabase(pgUrl(18) ? 18 : 15, async (url) => {
      const e = await ServerEngine.connect(url);
      await e.exec(`
        CREATE TABLE accounts (id bigint PRIMARY KEY, email text, balance bigint);
        INSERT INTO accounts SELECT g, 'user' || g || '@example.com', g * 7 FROM generate_series(1, 1000000) g;
        CREATE TABLE accounts_copy (id bigint PRIMARY KEY, email text, balance bigint);
        INSERT INTO accounts_copy SELECT * FROM accounts;
        UPDATE accounts_copy SET balance = balance + 1 WHERE id = 654321;`);
      await e.close();
      const started = Date.now();
      const r = await compareTables({ source: { engine: url, table: 'accounts' }, target: { engine: url, table: 'accounts_copy' }, chunkSize: 50_000 });
      const ms = Date.now() - started;
      console.log(`verify compare: 1,000,000 rows in ${r.chunks} chunks took ${ms} ms`);
      expect(r.sourceRows).toBe(1_000_000);
      expect(r.targetRows).toBe(1_000_000);
      expect(r.equal).toBe(false);
      expect(r.mismatches).toHaveLength(1);
      const m = r.mismatches[0]!;
      expect(BigInt(m.from) <= 654321n && 654321n < BigInt(m.to)).toBe(true);
    });
  }, 120_000);
});
