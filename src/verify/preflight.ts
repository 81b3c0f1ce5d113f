/**
 * `ddlguard verify preflight`: before a migration runs, count the rows that
 * would make it fail: NULLs for SET NOT NULL / a NOT NULL column without a
 * default, duplicates for UNIQUE / PRIMARY KEY (constraint or index), orphans
 * for a FOREIGN KEY, violations of a CHECK, values that do not fit a narrowing
 * type change. Runs read-only (READ ONLY transaction, statement_timeout) and
 * returns a few offending rows as samples.
 */
import { quoteIdentAlways } from '../sql/quote.js';
import { qnameFromRangeVar, stringValue, typeRefFromTypeName, formatType, type QName } from '../sql/ast.js';
import { parseSqlFile } from '../sql/parse.js';
import { loadParser, parseRaw } from '../sql/parser.js';
import { engineHost, type Engine, type EngineHost } from '../trace/engine.js';

export interface PreflightOptions {
  /** A postgres:// URL, 'pglite' (mostly for tests), an EngineHost, or an open Engine the caller owns. */
  engine: string | EngineHost | Engine;
  /** statement_timeout per check (default 30000 ms). */
  statementTimeoutMs?: number;
  /** Offending rows returned per check (default 5). */
  sampleRows?: number;
}

export type CheckKind = 'not-null' | 'unique' | 'foreign-key' | 'check' | 'type-change';

export interface PreflightCheck {
  file: string;
  line: number;
  statement: string;
  kind: CheckKind;
  relation: string;
  description: string;
  /** The query that counts offenders (SELECT count(*) ...). */
  sql: string;
  offending: number | null;
  samples: Array<Record<string, unknown>>;
  error: string | null;
}

export interface PreflightResult {
  checks: PreflightCheck[];
  /** Statements whose checks could not be derived (e.g. unsupported expression forms). */
  notes: string[];
  ok: boolean;
}

const q = quoteIdentAlways;
const rel = (n: QName) => (n.schema ? `${q(n.schema)}.${q(n.name)}` : q(n.name));
const relDisplay = (n: QName) => (n.schema ? `${n.schema}.${n.name}` : n.name);

interface Pending {
  kind: CheckKind;
  relation: string;
  description: string;
  /** FROM ... WHERE ... part selecting the offending rows. */
  fromWhere: string;
  /** For duplicate checks: an aggregate query instead. */
  countSql?: string;
  sampleSql?: string;
}

/** The balanced-parenthesis expression after CHECK, starting at `from` in `text`. */
export function checkExpressionText(text: string, from: number): string | null {
  const m = /\bCHECK\s*\(/i.exec(text.slice(from));
  if (!m) return null;
  let i = from + m.index + m[0].length;
  const start = i;
  let depth = 1;
  let quote: string | null = null;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return text.slice(start, i).trim();
  }
  return null;
}

function charOffset(text: string, byteOffset: number): number {
  return Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8').length;
}

const NARROW_INT: Record<string, [string, string]> = {
  int2: ['-32768', '32767'],
  int4: ['-2147483648', '2147483647'],
};

async function referencedKey(engine: Engine, ref: QName): Promise<string[]> {
  const rows = await engine.query<{ a: string }>(
    `SELECT a.attname AS a FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [rel(ref)],
  );
  return rows.map((r) => String(r.a));
}

function constraintChecks(c: any, table: QName, stmtText: string, notes: string[]): Pending[] {
  const out: Pending[] = [];
  const t = rel(table);
  const name = c.conname ? ` ${c.conname}` : '';
  switch (c.contype) {
    case 'CONSTR_PRIMARY':
    case 'CONSTR_UNIQUE': {
      if (c.indexname) break; // USING INDEX: the index already proves uniqueness
      const keys: string[] = (c.keys ?? []).map(stringValue);
      if (!keys.length) break;
      const cols = keys.map(q).join(', ');
      const nullsOk = c.contype === 'CONSTR_UNIQUE';
      const where = nullsOk ? `WHERE ${keys.map((k) => `${q(k)} IS NOT NULL`).join(' AND ')}` : '';
      out.push({
        kind: 'unique',
        relation: relDisplay(table),
        description: `${c.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE'}${name} (${keys.join(', ')}): duplicate keys`,
        fromWhere: '',
        countSql: `SELECT count(*) AS n FROM (SELECT 1 FROM ${t} ${where} GROUP BY ${cols} HAVING count(*) > 1) d`,
        sampleSql: `SELECT ${cols}, count(*) AS copies FROM ${t} ${where} GROUP BY ${cols} HAVING count(*) > 1 ORDER BY count(*) DESC`,
      });
      if (!nullsOk) {
        out.push({ kind: 'not-null', relation: relDisplay(table), description: `PRIMARY KEY${name} (${keys.join(', ')}): NULL keys`, fromWhere: `FROM ${t} WHERE ${keys.map((k) => `${q(k)} IS NULL`).join(' OR ')}` });
      }
      break;
    }
    case 'CONSTR_FOREIGN': {
      if (c.skip_validation) break; // NOT VALID: existing rows are not checked
      const fk: string[] = (c.fk_attrs ?? []).map(stringValue);
      const ref = qnameFromRangeVar(c.pktable);
      const pk: string[] = (c.pk_attrs ?? []).map(stringValue);
      out.push({
        kind: 'foreign-key',
        relation: relDisplay(table),
        description: `FOREIGN KEY${name} (${fk.join(', ')}) -> ${relDisplay(ref)}: orphan rows`,
        // pk filled in later when omitted (the referenced table's primary key).
        fromWhere: JSON.stringify({ fk, ref, pk }),
      });
      break;
    }
    case 'CONSTR_CHECK': {
      if (c.skip_validation) break;
      const expr = checkExpressionText(stmtText, c.location !== undefined ? charOffset(stmtText, c.location) : 0);
      if (!expr) {
        notes.push(`cannot read the CHECK expression of ${relDisplay(table)}${name}`);
        break;
      }
      out.push({ kind: 'check', relation: relDisplay(table), description: `CHECK${name} (${expr}): violating rows`, fromWhere: `FROM ${t} WHERE NOT (${expr})` });
      break;
    }
    case 'CONSTR_NOTNULL': {
      const keys: string[] = (c.keys ?? []).map(stringValue);
      if (c.skip_validation || !keys.length) break;
      out.push({ kind: 'not-null', relation: relDisplay(table), description: `NOT NULL${name} (${keys.join(', ')}): NULL values`, fromWhere: `FROM ${t} WHERE ${keys.map((k) => `${q(k)} IS NULL`).join(' OR ')}` });
      break;
    }
  }
  return out;
}

function statementChecks(kind: string, node: any, text: string, notes: string[]): Pending[] {
  const out: Pending[] = [];
  if (kind === 'AlterTableStmt' && (node.objtype === 'OBJECT_TABLE' || node.objtype === undefined)) {
    const table = qnameFromRangeVar(node.relation);
    const t = rel(table);
    for (const item of node.cmds ?? []) {
      const cmd = item.AlterTableCmd;
      if (!cmd) continue;
      switch (cmd.subtype) {
        case 'AT_SetNotNull':
          out.push({ kind: 'not-null', relation: relDisplay(table), description: `SET NOT NULL on ${cmd.name}: NULL values`, fromWhere: `FROM ${t} WHERE ${q(cmd.name)} IS NULL` });
          break;
        case 'AT_AddColumn': {
          const def = cmd.def?.ColumnDef;
          const cons = (def?.constraints ?? []).map((x: any) => x.Constraint).filter(Boolean);
          const notNull = cons.some((x: any) => x.contype === 'CONSTR_NOTNULL' || x.contype === 'CONSTR_PRIMARY');
          const hasDefault = cons.some((x: any) => x.contype === 'CONSTR_DEFAULT' || x.contype === 'CONSTR_IDENTITY' || x.contype === 'CONSTR_GENERATED');
          if (notNull && !hasDefault) {
            out.push({ kind: 'not-null', relation: relDisplay(table), description: `ADD COLUMN ${def.colname} NOT NULL without a default: every existing row`, fromWhere: `FROM ${t}` });
          }
          for (const x of cons) if (x.contype === 'CONSTR_UNIQUE' || x.contype === 'CONSTR_PRIMARY') x.keys ??= [{ String: { sval: def.colname } }];
          for (const x of cons) if (x.contype === 'CONSTR_FOREIGN') x.fk_attrs ??= [{ String: { sval: def.colname } }];
          // A new column is all NULL (or the default): only FK/CHECK on it can fail, and only with a default; skip.
          break;
        }
        case 'AT_AddConstraint':
          out.push(...constraintChecks(cmd.def?.Constraint ?? {}, table, text, notes));
          break;
        case 'AT_AlterColumnType': {
          const def = cmd.def?.ColumnDef;
          if (def?.raw_default) break; // USING: cannot tell
          const tr = typeRefFromTypeName(def?.typeName);
          const col = q(cmd.name);
          if ((tr.name === 'varchar' || tr.name === 'bpchar') && tr.mods[0] !== undefined) {
            out.push({ kind: 'type-change', relation: relDisplay(table), description: `TYPE ${formatType(tr)} on ${cmd.name}: values longer than ${tr.mods[0]}`, fromWhere: `FROM ${t} WHERE length(${col}::text) > ${tr.mods[0]}` });
          } else if (NARROW_INT[tr.name]) {
            const [lo, hi] = NARROW_INT[tr.name]!;
            out.push({ kind: 'type-change', relation: relDisplay(table), description: `TYPE ${formatType(tr)} on ${cmd.name}: values out of range`, fromWhere: `FROM ${t} WHERE ${col}::numeric NOT BETWEEN ${lo} AND ${hi}` });
          } else if (tr.name === 'numeric' && tr.mods.length) {
            const [p, s = 0] = tr.mods;
            out.push({ kind: 'type-change', relation: relDisplay(table), description: `TYPE ${formatType(tr)} on ${cmd.name}: values that do not fit`, fromWhere: `FROM ${t} WHERE abs(round(${col}::numeric, ${s})) >= 10::numeric ^ ${p! - s}` });
          }
          break;
        }
      }
    }
  } else if (kind === 'IndexStmt' && node.unique) {
    const table = qnameFromRangeVar(node.relation);
    const keys: string[] = [];
    for (const p of node.indexParams ?? []) {
      const name = p?.IndexElem?.name;
      if (!name) {
        notes.push(`unique index on an expression: duplicates not checked (${text.slice(0, 80)})`);
        return out;
      }
      keys.push(name);
    }
    const c = { contype: 'CONSTR_UNIQUE', conname: node.idxname, keys: keys.map((k) => ({ String: { sval: k } })) };
    const checks = constraintChecks(c, table, text, notes);
    if (node.whereClause) notes.push(`partial unique index ${node.idxname ?? ''}: duplicates counted over the whole table`);
    out.push(...checks);
  }
  return out;
}

export async function preflight(files: ReadonlyArray<{ path: string; text: string }>, opts: PreflightOptions): Promise<PreflightResult> {
  await loadParser();
  const notes: string[] = [];
  const found: Array<Pending & { file: string; line: number; statement: string }> = [];
  for (const f of files) {
    const parsed = parseSqlFile(f.path, f.text);
    if (parsed.error) throw new Error(`${f.path}:${parsed.error.line}:${parsed.error.column}: ${parsed.error.message}`);
    for (const s of parsed.statements) {
      const raw = parseRaw(s.text).stmts[0];
      if (!raw) continue;
      const kind = Object.keys(raw.stmt)[0]!;
      for (const p of statementChecks(kind, raw.stmt[kind], s.text, notes)) found.push({ ...p, file: f.path, line: s.span.start.line, statement: s.text });
    }
  }

  const owned = typeof opts.engine === 'string' || 'open' in (opts.engine as object);
  const engine: Engine = owned ? await (typeof opts.engine === 'string' ? engineHost(opts.engine) : (opts.engine as EngineHost)).open() : (opts.engine as Engine);
  const limit = opts.sampleRows ?? 5;
  const checks: PreflightCheck[] = [];
  try {
    for (const p of found) {
      let countSql = p.countSql ?? `SELECT count(*) AS n ${p.fromWhere}`;
      let sampleSql = p.sampleSql ?? `SELECT * ${p.fromWhere}`;
      const check: PreflightCheck = { file: p.file, line: p.line, statement: p.statement, kind: p.kind, relation: p.relation, description: p.description, sql: countSql, offending: null, samples: [], error: null };
      try {
        await engine.exec('BEGIN READ ONLY');
        await engine.exec(`SET LOCAL statement_timeout = ${Math.floor(opts.statementTimeoutMs ?? 30_000)}`);
        if (p.kind === 'foreign-key') {
          const { fk, ref, pk } = JSON.parse(p.fromWhere) as { fk: string[]; ref: QName; pk: string[] };
          const keys = pk.length ? pk : await referencedKey(engine, ref);
          const t = p.relation.includes('.') ? p.relation.split('.').map(q).join('.') : q(p.relation);
          const from = `FROM ${t} c WHERE ${fk.map((k) => `c.${q(k)} IS NOT NULL`).join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${rel(ref)} r WHERE ${fk
            .map((k, i) => `r.${q(keys[i] ?? k)} = c.${q(k)}`)
            .join(' AND ')})`;
          countSql = `SELECT count(*) AS n ${from}`;
          sampleSql = `SELECT c.* ${from}`;
          check.sql = countSql;
        }
        const n = await engine.query<{ n: unknown }>(countSql);
        check.offending = Number(n[0]?.n ?? 0);
        if (check.offending > 0 && limit > 0) check.samples = await engine.query(`${sampleSql} LIMIT ${Math.floor(limit)}`);
      } catch (e) {
        check.error = (e as Error).message;
      } finally {
        await engine.exec('ROLLBACK').catch(() => {});
      }
      checks.push(check);
    }
  } finally {
    if (owned) await engine.close();
  }
  return { checks, notes, ok: checks.every((c) => c.error === null && c.offending === 0) };
}
