/**
 * The database engines trace runs migrations on: an in-process PGlite (zero
 * setup, no server) or a PostgreSQL server reached by URL. Both are loaded
 * lazily so the lint path never imports a driver.
 *
 * An EngineHost knows how to open the main connection and how to make a
 * throwaway sandbox (a fresh PGlite instance, or a freshly created database on
 * the same server, empty or copied from a template database): the scratch
 * database trace commits each file into, or, with --single-transaction, the
 * place for statements that cannot run inside the traced transaction. Live
 * sandboxes are tracked so a signal handler can drop them
 * (disposeLiveSandboxes).
 */
import { quoteIdentAlways as quoteIdent } from '../sql/quote.js';
import { connect, redactText, redactUrl as maskUrl, urlSecrets, withDatabaseName } from '../db/connection.js';
import { randomBytes } from 'node:crypto';

export type EngineKind = 'pglite' | 'pg';

export type Row = Record<string, unknown>;

export interface Engine {
  readonly kind: EngineKind;
  /** Human label, secrets masked. */
  readonly label: string;
  /** One statement, optionally with $n parameters. */
  query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Any SQL text (several statements allowed), simple protocol, no parameters. */
  exec(sql: string): Promise<void>;
  /** Backend process id of this connection. */
  pid(): Promise<number>;
  /** A second connection to the same database (servers only; PGlite has one backend). */
  connectAgain?(): Promise<Engine>;
  close(): Promise<void>;
}

export interface Sandbox {
  engine: Engine;
  /** A human label ("fresh PGlite instance", "throwaway database x on ..."). */
  label: string;
  /** The throwaway database's name (servers only). */
  database?: string;
  /** Drops the database (servers) or closes the instance. Idempotent. */
  dispose(): Promise<void>;
}

export interface SandboxOptions {
  /** Servers: create the database from this template database (CREATE DATABASE ... TEMPLATE) instead of an empty one. */
  template?: string;
}

/** Sandboxes created and not yet disposed, so a signal handler can drop them (disposeLiveSandboxes). */
const live = new Set<Sandbox>();

/**
 * Disposes every sandbox still alive in this process (throwaway databases are
 * dropped WITH (FORCE), which ends a statement still running in them). For
 * SIGINT / SIGTERM handlers; returns the labels of what was disposed.
 */
export async function disposeLiveSandboxes(): Promise<string[]> {
  const all = [...live];
  await Promise.allSettled(all.map((s) => s.dispose()));
  return all.map((s) => s.label);
}

function tracked(sb: Sandbox): Sandbox {
  let disposing: Promise<void> | undefined;
  const out: Sandbox = {
    ...sb,
    dispose() {
      disposing ??= sb.dispose().finally(() => live.delete(out));
      return disposing;
    },
  };
  live.add(out);
  return out;
}

export interface EngineHost {
  readonly kind: EngineKind;
  readonly label: string;
  /** Opens the database the user named (PGlite: a fresh in-memory instance). */
  open(): Promise<Engine>;
  /** A throwaway database of the same engine and version: empty, or (servers) a copy of a template database. */
  sandbox(opts?: SandboxOptions): Promise<Sandbox>;
}

export interface ServerVersion {
  version: string;
  major: number;
}

export async function serverVersion(engine: Engine): Promise<ServerVersion> {
  const rows = await engine.query<{ v: string; n: string }>(`SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n`);
  const v = String(rows[0]?.v ?? '');
  const n = Number(rows[0]?.n ?? 0);
  return { version: v, major: Math.floor(n / 10000) };
}

// ---- secrets -----------------------------------------------------------------

// Password masking is shared with apply and the readers (src/db/connection.ts).
export { maskUrl, redactText as maskSecrets, urlSecrets };

/** An Error whose message is masked (SQLSTATE kept). */
export function maskedError(e: unknown, secrets: readonly string[] = []): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const err = new Error(redactText(msg, [...secrets]));
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') (err as Error & { code?: string }).code = code;
  return err;
}

// ---- PGlite -----------------------------------------------------------------

interface PGliteLike {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
  close(): Promise<void>;
  waitReady?: Promise<void>;
}

/**
 * PGlite runs in this thread and settles its promises without a turn of the event loop, so a
 * run of statements starves timers and sockets: a pg connection opened meanwhile in the same
 * process timed out ('timeout expired') though the server had answered. One macrotask after each
 * statement lets them through (test/trace/pglite-engine.test.ts).
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class PgliteEngine implements Engine {
  readonly kind = 'pglite' as const;
  constructor(
    readonly db: PGliteLike,
    readonly label = 'PGlite (in-memory)',
    private readonly owned = true,
  ) {}

  static async create(): Promise<PgliteEngine> {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite();
    await db.waitReady;
    return new PgliteEngine(db as unknown as PGliteLike);
  }

  /** Wraps an instance the caller owns (close() then leaves it open). */
  static wrap(db: unknown, label = 'PGlite (in-memory)'): PgliteEngine {
    return new PgliteEngine(db as PGliteLike, label, false);
  }

  async query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]> {
    const r = await this.db.query<T>(sql, params);
    await yieldToEventLoop();
    return r.rows;
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
    await yieldToEventLoop();
  }

  async pid(): Promise<number> {
    const r = await this.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return Number(r[0]?.pid ?? 0);
  }

  async close(): Promise<void> {
    if (this.owned) await this.db.close();
  }
}

export function pgliteHost(): EngineHost {
  return {
    kind: 'pglite',
    label: 'PGlite (in-memory)',
    open: () => PgliteEngine.create(),
    async sandbox(opts?: SandboxOptions) {
      if (opts?.template !== undefined) throw new Error('a template database needs a server (--db); PGlite starts empty');
      const engine = await PgliteEngine.create();
      return tracked({ engine, label: 'a fresh PGlite instance', dispose: () => engine.close() });
    },
  };
}

// ---- PostgreSQL server --------------------------------------------------------

interface PgClientLike {
  connect(): Promise<unknown>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  end(): Promise<void>;
  on(event: 'error', fn: (e: Error) => void): unknown;
}

export class ServerEngine implements Engine {
  readonly kind = 'pg' as const;
  readonly label: string;
  private readonly secrets: string[];
  private backendPid: number | null = null;

  private constructor(
    private readonly client: PgClientLike,
    readonly url: string,
  ) {
    this.label = maskUrl(url);
    this.secrets = urlSecrets(url);
  }

  static async connect(url: string): Promise<ServerEngine> {
    // The shared connect: a server-side disconnect does not crash the process, errors are redacted.
    let client: PgClientLike;
    try {
      client = (await connect(url, { applicationName: 'ddlguard trace' })) as unknown as PgClientLike;
    } catch (e) {
      throw maskedError(e, urlSecrets(url));
    }
    return new ServerEngine(client, url);
  }

  async query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]> {
    try {
      const r = params && params.length ? await this.client.query(sql, params) : await this.client.query(sql);
      return r.rows as T[];
    } catch (e) {
      throw maskedError(e, this.secrets);
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.client.query(sql);
    } catch (e) {
      throw maskedError(e, this.secrets);
    }
  }

  async pid(): Promise<number> {
    if (this.backendPid === null) {
      const r = await this.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      this.backendPid = Number(r[0]?.pid ?? 0);
    }
    return this.backendPid;
  }

  connectAgain(): Promise<Engine> {
    return ServerEngine.connect(this.url);
  }

  async close(): Promise<void> {
    try {
      await this.client.end();
    } catch {
      // already gone
    }
  }
}


export function serverHost(url: string): EngineHost {
  const secrets = urlSecrets(url);
  return {
    kind: 'pg',
    label: maskUrl(url),
    open: () => ServerEngine.connect(url),
    async sandbox(opts?: SandboxOptions) {
      const name = `ddlguard_trace_${process.pid}_${randomBytes(5).toString('hex')}`;
      const template = opts?.template;
      const admin = await ServerEngine.connect(url);
      try {
        await admin.exec(`CREATE DATABASE ${quoteIdent(name)}${template !== undefined ? ` TEMPLATE ${quoteIdent(template)}` : ''}`);
      } catch (e) {
        const from = template !== undefined ? ` from template ${template}` : '';
        throw maskedError(new Error(`cannot create a throwaway database${from} on ${maskUrl(url)}: ${(e as Error).message}`), secrets);
      } finally {
        await admin.close();
      }
      let engine: ServerEngine;
      try {
        engine = await ServerEngine.connect(withDatabaseName(url, name));
      } catch (e) {
        await dropDatabase(url, name).catch(() => undefined);
        throw e;
      }
      return tracked({
        engine,
        label: `throwaway database ${name}${template !== undefined ? ` (from template ${template})` : ''}`,
        database: name,
        async dispose() {
          // A statement may still be running on it (a signal mid-trace): do not wait for it to end,
          // the forced drop terminates its session.
          await Promise.race([engine.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
          await dropDatabase(url, name);
        },
      });
    },
  };
}

/** DROP DATABASE ... WITH (FORCE); before PostgreSQL 13: end its sessions, then drop. */
async function dropDatabase(url: string, name: string): Promise<void> {
  const c = await ServerEngine.connect(url);
  try {
    try {
      await c.exec(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    } catch {
      // before PostgreSQL 13: end the sessions, then drop
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
      await c.exec(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
    }
  } finally {
    await c.close();
  }
}

/** `pglite` (or nothing) selects PGlite; anything else must be a postgres:// URL. */
export function engineHost(db: string | undefined): EngineHost {
  if (db === undefined || db === '' || db === 'pglite') return pgliteHost();
  if (!/^postgres(ql)?:\/\//i.test(db)) throw new Error(`--db: expected a postgres:// URL or "pglite", got ${redactText(db)}`);
  return serverHost(db);
}
