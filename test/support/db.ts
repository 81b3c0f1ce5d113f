/**
 * Helpers for test files: which PostgreSQL servers the global setup started
 * (see ./global-setup.ts) and throwaway databases on them.
 *
 *   import { pgUrl, withDatabase } from '../support/db.js';
 *   describe.skipIf(!pgUrl(15))('on PG 15', () => { ... });
 *   describe.each(availableMajors())('on PG %i', (major) => { ... });
 *   await withDatabase(18, async (url) => { ... });
 */
import { inject } from 'vitest';
import { createTestDatabase, PG_MAJORS, type PgMajor } from './postgres.js';

export type { PgMajor } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL (database `postgres`) of the PostgreSQL 18 test server, if any. */
    pg18Url?: string;
    /** Admin URL (database `postgres`) of the PostgreSQL 17 test server, if any. */
    pg17Url?: string;
    /** Admin URL (database `postgres`) of the PostgreSQL 16 test server, if any. */
    pg16Url?: string;
    /** Admin URL (database `postgres`) of the PostgreSQL 15 test server, if any. */
    pg15Url?: string;
  }
}

/**
 * URL of the shared test server of the given major, or `undefined` when it is
 * not available (e.g. `DATABASE_URL` points at a different major). Without an
 * argument, returns the newest available server.
 */
export function pgUrl(major?: PgMajor): string | undefined {
  if (major === 18) return inject('pg18Url');
  if (major === 17) return inject('pg17Url');
  if (major === 16) return inject('pg16Url');
  if (major === 15) return inject('pg15Url');
  return inject('pg18Url') ?? inject('pg17Url') ?? inject('pg16Url') ?? inject('pg15Url');
}

/** The majors that have a server in this run, newest first (18, 17, 16, 15 unless DDLGUARD_PG_MAJORS narrows them). */
export function availableMajors(): PgMajor[] {
  return PG_MAJORS.filter((m) => pgUrl(m) !== undefined);
}

/**
 * Creates a fresh, uniquely named database on the `major` server (newest
 * available when omitted), runs `fn(url)`, and drops the database afterwards
 * (`WITH (FORCE)`), even when `fn` throws. End your own connections first:
 * a forced drop terminates them and an un-handled pg `error` event would fail
 * the test file.
 */
export async function withDatabase<T>(
  major: PgMajor | undefined,
  fn: (url: string) => Promise<T> | T,
): Promise<T> {
  const base = pgUrl(major);
  if (base === undefined) {
    throw new Error(
      `No PostgreSQL ${major ?? ''} test server available (DATABASE_URL may point at another major); guard the test with pgUrl(${major ?? ''}).`,
    );
  }
  const db = await createTestDatabase(base);
  try {
    return await fn(db.url);
  } finally {
    await db.drop();
  }
}
