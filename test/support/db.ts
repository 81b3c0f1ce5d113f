/**
 * Helpers for test files: which PostgreSQL servers the global setup started
 * (see ./global-setup.ts) and throwaway databases on them.
 *
 *   import { pgUrl, withDatabase } from '../support/db.js';
 *   describe.skipIf(!pgUrl(15))('on PG 15', () => { ... });
 *   await withDatabase(18, async (url) => { ... });
 */
import { inject } from 'vitest';
import { createTestDatabase, type PgMajor } from './postgres.js';

export type { PgMajor } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL (database `postgres`) of the PostgreSQL 18 test server, if any. */
    pg18Url?: string;
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
  if (major === 15) return inject('pg15Url');
  return inject('pg18Url') ?? inject('pg15Url');
}

/** The majors that have a server in this run, newest first. */
export function availableMajors(): PgMajor[] {
  return ([18, 15] as const).filter((m) => pgUrl(m) !== undefined);
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
