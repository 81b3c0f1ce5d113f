/**
 * Target resolution: the fleet file's sources, in the order it lists them, become one list
 * of named targets: `targets` (a database per tenant, or a schema of one), `schemas` (every
 * schema of a database matching a LIKE pattern) and `targetsQuery` (rows of a tenant
 * registry). Names are unique; a database and schema appear once.
 */
import { closeQuietly, connect, redactError } from '../db/connection.js';
import { FleetError } from './errors.js';
import { databaseKey, interpolate, storedUrl, type Redactor } from './secrets.js';
import type { FleetSpec, FleetTarget, PasswordPolicy } from './types.js';

export interface ResolveOptions {
  redactor: Redactor;
  env?: NodeJS.ProcessEnv;
  connectTimeoutMs?: number;
}

export interface Resolved {
  targets: FleetTarget[];
  /** Notes for the operator (e.g. literal passwords kept out of the control database). */
  notes: string[];
}

/** Expands `{schema}` in a search_path. */
export function searchPathFor(template: readonly string[], schema: string): string[] {
  return template.map((s) => (s === '{schema}' ? schema : s));
}

export async function resolveTargets(spec: FleetSpec, opts: ResolveOptions): Promise<Resolved> {
  const env = opts.env ?? process.env;
  const out: FleetTarget[] = [];
  let stripped = 0;
  const make = (name: string, written: string, connectUrl: string, schema: string | null, searchPath: string[] | null, source: string, policy: PasswordPolicy): FleetTarget => {
    opts.redactor.add(connectUrl);
    const s = storedUrl(written, policy);
    if (s.stripped) stripped++;
    return { name, storedUrl: s.url, connectUrl, schema, searchPath, source };
  };
  for (const src of spec.sources) {
    if (src.kind === 'targets') {
      for (const t of src.targets) {
        const url = interpolate(t.url, env, `${t.at}: url`);
        const schema = t.schema ?? null;
        const sp = schema === null ? null : searchPathFor(t.searchPath ?? ['{schema}', 'public'], schema);
        out.push(make(t.name, t.url, url, schema, sp, t.at, spec.passwords));
      }
    } else if (src.kind === 'schemas') {
      const s = src.spec;
      const url = interpolate(s.url, env, `${s.at}: schemas.url`);
      opts.redactor.add(url);
      const rows = await query(url, opts, `${s.at}: schemas`, async (c) => {
        const r = await c.query<{ nspname: string }>(
          `SELECT n.nspname FROM pg_catalog.pg_namespace n
            WHERE n.nspname LIKE $1 AND NOT (n.nspname LIKE ANY ($2::text[]))
              AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT IN ('information_schema', 'ddlguard')
            ORDER BY n.nspname COLLATE "C"`,
          [s.match, s.exclude],
        );
        return r.rows.map((x) => x.nspname);
      });
      if (rows.length === 0) throw new FleetError(`${s.at}: schemas: no schema of ${opts.redactor.url(url)} matches ${JSON.stringify(s.match)}${s.exclude.length ? ` (excluding ${s.exclude.join(', ')})` : ''}`);
      for (const schema of rows) out.push(make(schema, s.url, url, schema, searchPathFor(s.searchPath, schema), s.at, spec.passwords));
    } else {
      const q = src.spec;
      const url = interpolate(q.url, env, `${q.at}: targetsQuery.url`);
      opts.redactor.add(url);
      const rows = await query(url, opts, `${q.at}: targetsQuery`, async (c) => {
        await c.query('BEGIN READ ONLY');
        try {
          await c.query(`SET LOCAL statement_timeout = 30000`);
          const r = await c.query(q.sql);
          return { fields: r.fields.map((f) => f.name), rows: r.rows as Record<string, unknown>[] };
        } finally {
          await c.query('ROLLBACK').catch(() => {});
        }
      });
      for (const col of ['name', 'url']) {
        if (!rows.fields.includes(col)) throw new FleetError(`${q.at}: targetsQuery.sql returns no "${col}" column (it returns ${rows.fields.join(', ') || 'no columns'}); select name, url [, schema]`);
      }
      rows.rows.forEach((row, i) => {
        const where = `${q.at}: targetsQuery row ${i + 1}`;
        const name = row.name;
        const written = row.url;
        if (typeof name !== 'string' || name.trim() === '') throw new FleetError(`${where}: name is ${name === null ? 'NULL' : 'empty'}`);
        if (typeof written !== 'string' || !/^(?:postgres(?:ql)?:\/\/|\$\{)/i.test(written)) throw new FleetError(`${where} (${name}): url is not a postgres:// URL`);
        const schema = typeof row.schema === 'string' && row.schema !== '' ? row.schema : null;
        const spRaw = row.search_path;
        const sp = schema === null ? null : Array.isArray(spRaw) ? spRaw.map(String) : typeof spRaw === 'string' && spRaw ? spRaw.split(',').map((x) => x.trim()) : [schema, 'public'];
        const connectUrl = interpolate(written, env, `${where} (${name}): url`);
        out.push(make(name, written, connectUrl, schema, sp ? searchPathFor(sp, schema!) : null, `${q.at} (row ${i + 1})`, spec.passwords));
      });
    }
  }
  // One name, one target; one database (and schema), one target.
  const byName = new Map<string, FleetTarget>();
  const byPlace = new Map<string, FleetTarget>();
  for (const t of out) {
    const other = byName.get(t.name);
    if (other) throw new FleetError(`two targets are named ${JSON.stringify(t.name)}: ${other.source} and ${t.source}; target names must be unique`);
    byName.set(t.name, t);
    const place = `${databaseKey(t.connectUrl)}#${t.schema ?? ''}`;
    const same = byPlace.get(place);
    if (same) throw new FleetError(`targets ${JSON.stringify(same.name)} (${same.source}) and ${JSON.stringify(t.name)} (${t.source}) are the same ${t.schema ? 'schema of the same database' : 'database'}`);
    byPlace.set(place, t);
  }
  const notes: string[] = [];
  if (stripped > 0) {
    notes.push(
      `${stripped} target URL${stripped === 1 ? ' has' : 's have'} a literal password: it is kept out of the control database, so a worker started elsewhere ` +
        'needs PGPASSWORD or ~/.pgpass (or write the password as ${VAR} in the fleet file, or set passwords: store)',
    );
  }
  return { targets: out, notes };
}

async function query<T>(url: string, opts: ResolveOptions, where: string, fn: (c: import('pg').Client) => Promise<T>): Promise<T> {
  let c;
  try {
    c = await connect(url, { applicationName: 'ddlguard-fleet', connectTimeoutMs: opts.connectTimeoutMs ?? 10_000 });
  } catch (err) {
    throw new FleetError(`${where}: cannot connect to ${opts.redactor.url(url)}: ${opts.redactor.text(redactError(err, url).message)}`);
  }
  try {
    return await fn(c);
  } catch (err) {
    throw new FleetError(`${where}: ${opts.redactor.text(redactError(err, url).message)}`);
  } finally {
    await closeQuietly(c);
  }
}
