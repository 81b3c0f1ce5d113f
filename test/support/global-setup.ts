/**
 * Vitest globalSetup: one PostgreSQL server per major (18, 17, 16 and 15) for
 * the whole run, started in parallel, exposed to tests as `inject('pg18Url')`,
 * `inject('pg17Url')`, `inject('pg16Url')` and `inject('pg15Url')` (see ./db.ts).
 *
 * DDLGUARD_PG_MAJORS (e.g. `18,15`) limits which servers are started; the
 * others stay undefined and tests that need them skip.
 *
 * With DATABASE_URL set, no server is started: that URL is provided under the
 * key matching its major (`SHOW server_version_num`), the others stay
 * undefined.
 */
import type { TestProject } from 'vitest/node';
import type {} from './db.js'; // ProvidedContext augmentation
import { externalPostgres, PG_MAJORS, startPostgres, type PgMajor, type PostgresServer } from './postgres.js';

/** Preloaded so tests can `CREATE EXTENSION pg_stat_statements`. */
const PRELOAD = ['pg_stat_statements'];

const KEYS = { 18: 'pg18Url', 17: 'pg17Url', 16: 'pg16Url', 15: 'pg15Url' } as const satisfies Record<PgMajor, string>;

/** The majors to start: all of them, or those DDLGUARD_PG_MAJORS names. */
export function requestedMajors(env = process.env.DDLGUARD_PG_MAJORS): PgMajor[] {
  if (env === undefined || env.trim() === '') return [...PG_MAJORS];
  const asked = env.split(/[\s,]+/).filter(Boolean).map(Number);
  const bad = asked.filter((m) => !(PG_MAJORS as readonly number[]).includes(m));
  if (bad.length) throw new Error(`DDLGUARD_PG_MAJORS: unknown major ${bad.join(', ')} (known: ${PG_MAJORS.join(', ')})`);
  return PG_MAJORS.filter((m) => asked.includes(m));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.DATABASE_URL;
  if (external) {
    const server = await externalPostgres(external);
    if ((PG_MAJORS as readonly number[]).includes(server.major)) project.provide(KEYS[server.major as PgMajor], server.url);
    else {
      console.warn(
        `[ddlguard-test] DATABASE_URL is PostgreSQL ${server.major}; tests only target ${PG_MAJORS.join(', ')}, so PostgreSQL tests will be skipped.`,
      );
    }
    return async () => {};
  }

  const majors = requestedMajors();
  const started = Date.now();
  const results = await Promise.allSettled(majors.map((m) => startPostgres(m, { sharedPreloadLibraries: PRELOAD })));
  const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const stopAll = async () => {
    await Promise.allSettled(servers.map((s: PostgresServer) => s.stop()));
  };
  if (failures.length > 0) {
    await stopAll();
    throw failures[0];
  }
  if (process.env.DDLGUARD_PG_DEBUG) console.error(`[ddlguard-test] PostgreSQL ${majors.join(', ')} started in ${Date.now() - started} ms`);
  for (const s of servers) project.provide(KEYS[s.major as PgMajor], s.url);
  return stopAll;
}
