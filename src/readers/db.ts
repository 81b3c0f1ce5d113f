/**
 * Readers in the live database (`lint --db <url>` or DATABASE_URL):
 *
 *  - statements recorded by pg_stat_statements, parsed and resolved like SQL in
 *    code (with their call counts); no extension, or no permission: said so in
 *    the summary, never a failure;
 *  - catalog dependants of the column/table: views and materialized views,
 *    SQL functions with BEGIN ATOMIC bodies, policies and UPDATE OF triggers
 *    (pg_depend), foreign keys (pg_constraint), and PL/pgSQL functions and
 *    trigger functions whose source names the object (pg_proc).
 *
 * `pg` is imported here, lazily; nothing on the plain lint path loads this file.
 * The URL is only ever shown with its password removed.
 */
import { quoteIdentAlways } from '../sql/quote.js';
import { analyzeSqlText } from './sqlrefs.js';
import { parsePlpgsqlRaw } from '../sql/parser.js';
import type { Catalog, DbHit, DbSearchSummary, ObjectEvidence, ReaderTarget } from './types.js';

export interface DbScanOptions {
  url: string;
  targets: readonly ReaderTarget[];
  catalog: Catalog;
  searchPath?: readonly string[];
  /** Connection timeout (ms, default 5000). */
  connectTimeoutMs?: number;
}

export interface DbScanResult {
  evidence: Map<string, ObjectEvidence>;
  summary: DbSearchSummary;
}

/**
 * The URL without its password (user, host, port and database kept) for the readers summary;
 * messages are redacted with the shared redactText.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    for (const k of [...u.searchParams.keys()]) if (/pass|secret|token/i.test(k)) u.searchParams.set(k, '****');
    return u.toString().replace(/:@/, '@');
  } catch {
    return '<database url>';
  }
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

export async function scanDatabase(opts: DbScanOptions): Promise<DbScanResult> {
  const evidence = new Map<string, ObjectEvidence>();
  for (const t of opts.targets) evidence.set(t.key, { code: [], db: [] });
  // Loaded here, not at the top: pg stays off the plain lint path.
  const { connect, redactText, urlSecrets } = await import('../db/connection.js');
  const summary: DbSearchSummary = { url: redactUrl(opts.url), statements: 'not-installed', note: null, error: null };
  const scrub = (message: string) => redactText(message, urlSecrets(opts.url));
  let client: Queryable & { end(): Promise<void> };
  try {
    client = await connect(opts.url, { applicationName: 'ddlguard-lint', connectTimeoutMs: opts.connectTimeoutMs ?? 5000 });
  } catch (e) {
    summary.error = `cannot connect: ${scrub((e as Error).message)}`;
    summary.note = 'live database not checked';
    return { evidence, summary };
  }
  try {
    await client.query("SET statement_timeout = '15s'");
    await client.query('SET default_transaction_read_only = on');
    await recordedStatements(client, opts, evidence, summary);
    for (const t of opts.targets) {
      if (t.kind === 'writer') continue;
      const hits = await dependants(client, t, opts);
      evidence.get(t.key)!.db.push(...hits);
    }
  } catch (e) {
    summary.error = scrub((e as Error).message);
  } finally {
    await client.end().catch(() => {});
  }
  return { evidence, summary };
}

const DML = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

async function recordedStatements(client: Queryable, opts: DbScanOptions, evidence: Map<string, ObjectEvidence>, summary: DbSearchSummary): Promise<void> {
  const ext = await client.query("SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'");
  if (ext.rows.length === 0) {
    summary.statements = 'not-installed';
    summary.note = 'pg_stat_statements is not installed in this database: recorded queries were not checked (CREATE EXTENSION pg_stat_statements, with it in shared_preload_libraries); catalog dependencies were checked';
    return;
  }
  const schema = quoteIdentAlways(String(ext.rows[0].schema));
  const names = [...new Set(opts.targets.map((t) => t.name))];
  const pattern = `\\m(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\M`;
  let rows: Array<{ query: string; calls: string | number }>;
  try {
    rows = (
      await client.query(
        `SELECT query, calls FROM ${schema}.pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND (query ~* $1 OR query = '<insufficient privilege>') ORDER BY calls DESC LIMIT 5000`,
        [pattern],
      )
    ).rows;
  } catch (e) {
    summary.statements = 'not-readable';
    summary.note = `pg_stat_statements could not be read (${(e as Error).message.split('\n')[0]}): recorded queries were not checked`;
    return;
  }
  summary.statements = 'read';
  const hidden = rows.filter((r) => r.query === '<insufficient privilege>').length;
  if (hidden > 0) summary.note = `${hidden} recorded statements are hidden from this role (grant pg_read_all_stats to see them)`;
  const resolve = { catalog: opts.catalog, ...(opts.searchPath ? { searchPath: opts.searchPath } : {}) };
  for (const row of rows) {
    if (row.query === '<insufficient privilege>') continue;
    const a = analyzeSqlText(row.query, resolve);
    if (!a || !a.kinds.every((k) => DML.has(k))) continue;
    const calls = Number(row.calls);
    const name = shorten(row.query);
    for (const t of opts.targets) {
      const ev = evidence.get(t.key)!;
      let detail: string | null = null;
      if (t.kind === 'writer') {
        const ins = a.inserts.find((i) => i.table === t.table && !(i.columns ?? []).includes(t.column!));
        if (ins) detail = ins.columns ? `${ins.text} omits ${t.column}` : `${ins.text} without a column list`;
      } else if (t.kind === 'column') {
        const r = a.refs.find((x) => x.kind === 'column' && x.table === t.table && x.column === t.column);
        if (r) detail = `${r.access === 'write' ? 'writes' : 'reads'} ${r.text}`;
      } else {
        const r = a.refs.find((x) => x.kind === 'table' && x.table === t.table);
        if (r) detail = `uses ${r.text}`;
      }
      if (detail) ev.db.push({ kind: 'query', certainty: 'query-stats', strength: 'strong', name, calls, detail });
    }
  }
}

async function dependants(client: Queryable, t: ReaderTarget, opts: DbScanOptions): Promise<DbHit[]> {
  const out: DbHit[] = [];
  const rel = await client.query(
    `SELECT c.oid::int8 AS oid, a.attnum FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $3 AND NOT a.attisdropped AND a.attnum > 0
      WHERE n.nspname = $1 AND c.relname = $2`,
    [t.schema, t.name, t.column ?? ''],
  );
  const row = rel.rows[0];
  if (!row) return out;
  const oid = Number(row.oid);
  if (t.kind === 'column' && row.attnum == null) return out;
  const attnum: number | null = t.kind === 'column' ? Number(row.attnum) : null;

  const what = t.kind === 'column' ? `${t.name}.${t.column}` : t.name;
  // Views, policies, SQL-body functions, UPDATE OF triggers and foreign keys refer to the
  // object by OID and attribute number: a rename carries them along. Only text (queries,
  // PL/pgSQL sources) breaks on a rename.
  if (!t.change.startsWith('rename')) out.push(...(await catalogDependants(client, oid, attnum, what)));
  for (const h of await procedural(client, t, oid, what, opts)) if (!out.some((o) => o.kind === h.kind && o.name === h.name)) out.push(h);
  return out;
}

async function catalogDependants(client: Queryable, oid: number, attnum: number | null, what: string): Promise<DbHit[]> {
  const out: DbHit[] = [];
  // pg_depend: normal dependencies on the column (or any column of the table).
  const deps = await client.query(
    `SELECT DISTINCT d.classid::regclass::text AS catalog, d.objid::int8 AS objid,
            pg_describe_object(d.classid, d.objid, 0) AS description,
            CASE WHEN d.classid = 'pg_rewrite'::regclass THEN (SELECT r.ev_class::regclass::text FROM pg_rewrite r WHERE r.oid = d.objid) END AS relation,
            CASE WHEN d.classid = 'pg_rewrite'::regclass THEN (SELECT c.relkind::text FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE r.oid = d.objid) END AS relkind,
            CASE WHEN d.classid = 'pg_rewrite'::regclass THEN (SELECT r.ev_class::int8 FROM pg_rewrite r WHERE r.oid = d.objid) END AS relid,
            CASE WHEN d.classid = 'pg_constraint'::regclass THEN (SELECT contype::text FROM pg_constraint WHERE oid = d.objid) END AS contype
       FROM pg_depend d
      WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = $1::oid
        AND ($2::int2 IS NULL OR d.refobjsubid = $2::int2) AND d.deptype = 'n'`,
    [oid, attnum],
  );
  for (const d of deps.rows) {
    switch (d.catalog) {
      case 'pg_rewrite':
        if (Number(d.relid) === oid) break;
        out.push({
          kind: d.relkind === 'm' ? 'materialized-view' : d.relkind === 'v' ? 'view' : 'rule',
          certainty: 'catalog',
          strength: 'strong',
          name: String(d.relation ?? d.description),
          detail: `${d.relkind === 'm' ? 'materialized view' : d.relkind === 'v' ? 'view' : 'rule'} ${d.relation ?? d.description} depends on ${what}`,
        });
        break;
      case 'pg_proc':
        out.push({ kind: 'function', certainty: 'catalog', strength: 'strong', name: String(d.description).replace(/^function /, ''), detail: `${d.description} (SQL body) depends on ${what}` });
        break;
      case 'pg_policy':
        out.push({ kind: 'policy', certainty: 'catalog', strength: 'strong', name: String(d.description).replace(/^policy /, ''), detail: `${d.description} uses ${what}` });
        break;
      case 'pg_trigger':
        out.push({ kind: 'trigger', certainty: 'catalog', strength: 'strong', name: String(d.description).replace(/^trigger /, ''), detail: `${d.description} fires on UPDATE OF ${what}` });
        break;
      case 'pg_constraint':
        if (d.contype === 'f') out.push({ kind: 'foreign-key', certainty: 'catalog', strength: 'strong', name: String(d.description).replace(/^constraint /, ''), detail: `foreign key ${String(d.description).replace(/^constraint /, '')} references ${what}` });
        break;
      default:
        break;
    }
  }

  // Foreign keys from the column itself (or, for a table, into other tables).
  const fks = await client.query(
    `SELECT conname, conrelid::regclass::text AS tbl, confrelid::regclass::text AS ref FROM pg_constraint
      WHERE contype = 'f' AND conrelid = $1::oid AND ($2::int2 IS NULL OR $2::int2 = ANY (conkey))`,
    [oid, attnum],
  );
  for (const f of fks.rows) {
    out.push({ kind: 'foreign-key', certainty: 'catalog', strength: attnum !== null ? 'strong' : 'weak', name: `${f.conname} on ${f.tbl}`, detail: `foreign key ${f.conname} on ${f.tbl} (${what} -> ${f.ref}) goes with it` });
  }
  return out;
}

/** PL/pgSQL and SQL function sources naming the object, and trigger functions reading NEW/OLD.column. */
async function procedural(client: Queryable, t: ReaderTarget, oid: number, what: string, opts: DbScanOptions): Promise<DbHit[]> {
  const out: DbHit[] = [];

  // Procedural code: PL/pgSQL sources naming the table (and column). Trigger functions on the table itself
  // read NEW.column / OLD.column without naming the table.
  const needle = t.column ?? t.name;
  const procs = await client.query(
    `SELECT p.oid::regprocedure::text AS sig, p.prosrc, l.lanname,
            EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgfoid = p.oid AND tg.tgrelid = $1::oid AND NOT tg.tgisinternal) AS on_table,
            (SELECT string_agg(tg.tgname, ', ') FROM pg_trigger tg WHERE tg.tgfoid = p.oid AND tg.tgrelid = $1::oid AND NOT tg.tgisinternal) AS triggers
       FROM pg_proc p
       JOIN pg_namespace n ON n.oid = p.pronamespace
       JOIN pg_language l ON l.oid = p.prolang
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        AND l.lanname NOT IN ('c', 'internal')
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
        AND p.prosrc ~* $2`,
    [oid, `\\m${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\M`],
  );
  const resolve = { catalog: opts.catalog, ...(opts.searchPath ? { searchPath: opts.searchPath } : {}) };
  for (const p of procs.rows) {
    const src = String(p.prosrc);
    const sig = String(p.sig);
    if (out.some((h) => h.kind === 'function' && h.name === sig)) continue;
    if (p.on_table && t.kind === 'column' && new RegExp(`\\b(new|old)\\.${escapeRe(t.column!)}\\b`, 'i').test(src)) {
      out.push({ kind: 'trigger', certainty: 'parsed-sql', strength: 'strong', name: `${p.triggers} on ${t.name}`, detail: `trigger ${p.triggers} runs ${sig}, which reads NEW/OLD.${t.column}` });
      continue;
    }
    if (!new RegExp(`\\b${escapeRe(t.name)}\\b`, 'i').test(src)) continue;
    const strong = functionQueries(src, String(p.lanname), sig).some((q) => {
      const a = analyzeSqlText(q, resolve);
      if (!a) return false;
      return t.kind === 'column' ? a.refs.some((r) => r.kind === 'column' && r.table === t.table && r.column === t.column) : a.refs.some((r) => r.table === t.table);
    });
    out.push({
      kind: 'function',
      certainty: strong ? 'parsed-sql' : 'identifier-match',
      strength: strong ? 'strong' : 'weak',
      name: sig,
      detail: strong ? `function ${sig} queries ${what}` : `function ${sig} mentions ${what} in its source`,
    });
  }
  return out;
}

/** SQL statements inside a function body (SQL functions: the body; PL/pgSQL: its embedded queries). */
function functionQueries(src: string, lang: string, sig: string): string[] {
  if (lang === 'sql') return [src];
  if (lang !== 'plpgsql') return [];
  let tree: unknown;
  try {
    tree = parsePlpgsqlRaw(`CREATE FUNCTION ${sig.replace(/\(.*$/, '')}() RETURNS void LANGUAGE plpgsql AS $ddlguard$${src}$ddlguard$`);
  } catch {
    return [];
  }
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, any>;
    if (o.PLpgSQL_expr && typeof o.PLpgSQL_expr.query === 'string') {
      const q = o.PLpgSQL_expr.query as string;
      out.push(/^\s*(select|insert|update|delete|with)\b/i.test(q) ? q : `SELECT ${q}`);
    }
    for (const k of Object.keys(o)) visit(o[k]);
  };
  visit(tree);
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function shorten(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}
