/**
 * Which schema sources a command uses: `--db` (or `--no-db`), DATABASE_URL, the config's
 * `db` (with `${VAR}` from the environment), and `--schema` or the config's `schema`.
 */
import path from 'node:path';
import type { LoadedConfig } from '../config/index.js';
import { CliError } from './exit.js';

export interface SchemaArgs {
  /** A URL, or false for --no-db. */
  db?: string | false;
  schema?: string;
}

export interface ResolvedSources {
  db: string | null;
  /** `--db`, `DATABASE_URL` or `config db`, for messages. */
  dbFrom: string;
  schemaFile: string | null;
}

export function resolveSources(args: SchemaArgs, loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): ResolvedSources {
  let db: string | null = null;
  let dbFrom = '--db';
  if (typeof args.db === 'string' && args.db !== '') db = args.db;
  else if (args.db !== false && env.DATABASE_URL) {
    db = env.DATABASE_URL;
    dbFrom = 'DATABASE_URL';
  } else if (args.db !== false && loaded.config.db) {
    db = interpolateEnv(loaded.config.db, env, `${loaded.path ?? 'config'}: db`);
    dbFrom = 'config db';
  }
  const schemaFile = args.schema ?? (loaded.config.schema ? path.relative(process.cwd(), path.resolve(loaded.dir, loaded.config.schema)) || '.' : null);
  return { db, dbFrom, schemaFile };
}

/** `${VAR}` and `$VAR` from the environment; an unset variable is an error, not an empty string. */
export function interpolateEnv(value: string, env: NodeJS.ProcessEnv, where: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const v = env[name];
    if (v === undefined) throw new CliError(`${where}: environment variable ${name} is not set`);
    return v;
  });
}
