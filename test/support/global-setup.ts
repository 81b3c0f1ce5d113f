/**
 * Vitest globalSetup: one PostgreSQL 18 and one PostgreSQL 15 server for the
 * whole run, started in parallel, exposed to tests as `inject('pg18Url')` /
 * `inject('pg15Url')` (see ./db.ts).
 *
 * With DATABASE_URL set, no server is started: that URL is provided under the
 * key matching its major (`SHOW server_version_num`), the other stays
 * undefined.
 */
import type { TestProject } from 'vitest/node';
import type {} from './db.js'; // ProvidedContext augmentation
import { externalPostgres, startPostgres, type PostgresServer } from './postgres.js';

/** Preloaded so tests can `CREATE EXTENSION pg_stat_statements`. */
const PRELOAD = ['pg_stat_statements'];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.DATABASE_URL;
  if (external) {
    const server = await externalPostgres(external);
    if (server.major === 18) project.provide('pg18Url', server.url);
    else if (server.major === 15) project.provide('pg15Url', server.url);
    else {
      console.warn(
        `[ddlguard-test] DATABASE_URL is PostgreSQL ${server.major}; tests only target 15 and 18, so PostgreSQL tests will be skipped.`,
      );
    }
    return async () => {};
  }

  const results = await Promise.allSettled([
    startPostgres(18, { sharedPreloadLibraries: PRELOAD }),
    startPostgres(15, { sharedPreloadLibraries: PRELOAD }),
  ]);
  const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const stopAll = async () => {
    await Promise.allSettled(servers.map((s: PostgresServer) => s.stop()));
  };
  if (failures.length > 0) {
    await stopAll();
    throw failures[0];
  }

  const [pg18, pg15] = servers as [PostgresServer, PostgresServer];
  project.provide('pg18Url', pg18.url);
  project.provide('pg15Url', pg15.url);
  return stopAll;
}
