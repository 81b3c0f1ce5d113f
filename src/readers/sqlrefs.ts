/**
 * Which tables and columns a piece of SQL reads and writes, with aliases, CTEs,
 * joins and correlated subqueries resolved against a catalog (table -> columns).
 *
 * Used for SQL found in application code, .sql query files, pg_stat_statements
 * and function bodies. The parse tree is libpg-query's JSON (see src/sql/ast.ts).
 */
import { parseRaw } from '../sql/parser.js';
import { stringValue } from '../sql/ast.js';
import type { Catalog } from './types.js';

export interface SqlRef {
  kind: 'table' | 'column' | 'star';
  /** Resolved table key `schema.name`. */
  table: string;
  column: string | null;
  /** UTF-8 byte offset in the SQL text (as the parser reports). */
  location: number;
  access: 'read' | 'write';
  /** The reference as written, e.g. `u.email`, `users`. */
  text: string;
}

export interface SqlInsert {
  table: string;
  /** Column list, or null for a positional INSERT (no column list). */
  columns: string[] | null;
  location: number;
  text: string;
}

export interface SqlAnalysis {
  refs: SqlRef[];
  inserts: SqlInsert[];
  /** Statement kinds found (SelectStmt, InsertStmt, ...). */
  kinds: string[];
}

export interface ResolveOptions {
  catalog: Catalog;
  /** Schemas unqualified names resolve in (default ['public']). */
  searchPath?: readonly string[];
}

/** Parse and analyse; null when the text does not parse. */
export function analyzeSqlText(sql: string, opts: ResolveOptions): SqlAnalysis | null {
  let raw;
  try {
    raw = parseRaw(sql);
  } catch {
    return null;
  }
  const a = new Analyzer(opts);
  const kinds: string[] = [];
  for (const s of raw.stmts) {
    const kind = Object.keys(s.stmt)[0] ?? 'Unknown';
    kinds.push(kind);
    a.statement(kind, (s.stmt as Record<string, any>)[kind], []);
  }
  return { refs: a.refs, inserts: a.inserts, kinds };
}

/** Analyse already parsed statements ({ Kind: body } nodes). */
export function analyzeStatements(nodes: ReadonlyArray<Record<string, unknown>>, opts: ResolveOptions): SqlAnalysis {
  const a = new Analyzer(opts);
  const kinds: string[] = [];
  for (const n of nodes) {
    const kind = Object.keys(n)[0] ?? 'Unknown';
    kinds.push(kind);
    a.statement(kind, (n as Record<string, any>)[kind], []);
  }
  return { refs: a.refs, inserts: a.inserts, kinds };
}

interface Entry {
  /** Name the entry is referenced by (alias, or the relation name). */
  ref: string;
  /** Table key; null for CTEs, subqueries and functions (columns unknown to the catalog). */
  table: string | null;
  schema: string | null;
  relname: string | null;
  /** Known columns (catalog), or null when unknown. */
  columns: ReadonlySet<string> | null;
}

type Scope = Entry[];

const DML = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

class Analyzer {
  readonly refs: SqlRef[] = [];
  readonly inserts: SqlInsert[] = [];
  private readonly searchPath: readonly string[];
  /** CTE names visible (innermost last). */
  private ctes: Array<Set<string>> = [];

  constructor(private readonly opts: ResolveOptions) {
    this.searchPath = opts.searchPath ?? ['public'];
  }

  statement(kind: string, n: any, outer: Scope[]): void {
    switch (kind) {
      case 'SelectStmt':
        return this.select(n, outer);
      case 'InsertStmt':
        return this.insert(n, outer);
      case 'UpdateStmt':
        return this.update(n, outer);
      case 'DeleteStmt':
        return this.delete(n, outer);
      default:
        // DDL and utility statements: analyse DML inside (CREATE VIEW ... AS SELECT, EXPLAIN, COPY (query) ...)
        // and count other relation references as table references.
        this.generic(n, outer);
    }
  }

  private generic(node: unknown, outer: Scope[]): void {
    if (Array.isArray(node)) {
      for (const x of node) this.generic(x, outer);
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node as Record<string, any>)) {
      if (DML.has(k)) {
        this.statement(k, v, outer);
        continue;
      }
      if (k === 'RangeVar') {
        const key = this.tableKey(v?.schemaname ?? null, String(v?.relname ?? ''));
        this.refs.push({ kind: 'table', table: key, column: null, location: v?.location ?? 0, access: 'read', text: relText(v) });
        continue;
      }
      if (v && typeof v === 'object') this.generic(v, outer);
    }
  }

  private withCtes<T>(withClause: any, outer: Scope[], fn: () => T): T {
    const ctes = (withClause?.ctes ?? []).map((c: any) => c?.CommonTableExpr).filter(Boolean);
    if (ctes.length === 0) return fn();
    const names = new Set<string>(ctes.map((c: any) => String(c.ctename)));
    this.ctes.push(names);
    try {
      for (const c of ctes) {
        const q = c.ctequery;
        const kind = q ? Object.keys(q)[0] : undefined;
        if (kind) this.statement(kind, q[kind], outer);
      }
      return fn();
    } finally {
      this.ctes.pop();
    }
  }

  private select(n: any, outer: Scope[]): void {
    if (!n) return;
    this.withCtes(n.withClause, outer, () => {
      if (n.op && n.op !== 'SETOP_NONE') {
        if (n.larg) this.select(n.larg, outer);
        if (n.rarg) this.select(n.rarg, outer);
        this.exprs([n.sortClause, n.limitCount, n.limitOffset], outer);
        return;
      }
      if (n.valuesLists) {
        this.exprs(n.valuesLists, outer);
        return;
      }
      const scope: Scope = [];
      const lateralOuter = [scope, ...outer];
      for (const item of n.fromClause ?? []) this.fromItem(item, scope, lateralOuter);
      const scopes = [scope, ...outer];
      this.exprs(
        [n.targetList, n.whereClause, n.groupClause, n.havingClause, n.windowClause, n.sortClause, n.distinctClause, n.limitCount, n.limitOffset],
        scopes,
      );
    });
  }

  private insert(n: any, outer: Scope[]): void {
    this.withCtes(n.withClause, outer, () => {
      const rv = n.relation;
      const key = this.tableKey(rv?.schemaname ?? null, String(rv?.relname ?? ''));
      const text = relText(rv);
      this.refs.push({ kind: 'table', table: key, column: null, location: rv?.location ?? 0, access: 'write', text });
      const cols: string[] | null = n.cols?.length ? n.cols.map((c: any) => String(c?.ResTarget?.name ?? '')) : null;
      this.inserts.push({ table: key, columns: cols, location: rv?.location ?? 0, text: `INSERT INTO ${text}${cols ? ` (${cols.join(', ')})` : ''}` });
      for (const c of n.cols ?? []) {
        const name = c?.ResTarget?.name;
        if (name) this.refs.push({ kind: 'column', table: key, column: String(name), location: c.ResTarget.location ?? rv?.location ?? 0, access: 'write', text: String(name) });
      }
      const sel = n.selectStmt?.SelectStmt;
      if (sel) this.select(sel, outer);
      const target = this.entryFor(rv);
      const scope: Scope = [target, { ref: 'excluded', table: key, schema: target.schema, relname: target.relname, columns: target.columns }];
      const occ = n.onConflictClause;
      if (occ) {
        for (const el of occ.infer?.indexElems ?? []) {
          const name = el?.IndexElem?.name;
          if (name) this.refs.push({ kind: 'column', table: key, column: String(name), location: occ.infer?.location ?? 0, access: 'read', text: String(name) });
        }
        this.setTargets(occ.targetList, key, [scope, ...outer]);
        this.exprs([occ.whereClause, occ.infer?.whereClause], [scope, ...outer]);
      }
      this.exprs([returning(n)], [[target], ...outer]);
    });
  }

  private update(n: any, outer: Scope[]): void {
    this.withCtes(n.withClause, outer, () => {
      const rv = n.relation;
      const target = this.entryFor(rv);
      const key = target.table!;
      this.refs.push({ kind: 'table', table: key, column: null, location: rv?.location ?? 0, access: 'write', text: relText(rv) });
      const scope: Scope = [target];
      for (const item of n.fromClause ?? []) this.fromItem(item, scope, [scope, ...outer]);
      const scopes = [scope, ...outer];
      this.setTargets(n.targetList, key, scopes);
      this.exprs([n.whereClause, returning(n)], scopes);
    });
  }

  private delete(n: any, outer: Scope[]): void {
    this.withCtes(n.withClause, outer, () => {
      const rv = n.relation;
      const target = this.entryFor(rv);
      this.refs.push({ kind: 'table', table: target.table!, column: null, location: rv?.location ?? 0, access: 'write', text: relText(rv) });
      const scope: Scope = [target];
      for (const item of n.usingClause ?? []) this.fromItem(item, scope, [scope, ...outer]);
      const scopes = [scope, ...outer];
      this.exprs([n.whereClause, returning(n)], scopes);
    });
  }

  /** `SET col = expr` targets: the column is written, the expression read. */
  private setTargets(list: any[] | undefined, table: string, scopes: Scope[]): void {
    for (const t of list ?? []) {
      const rt = t?.ResTarget;
      if (!rt) continue;
      if (rt.name) this.refs.push({ kind: 'column', table, column: String(rt.name), location: rt.location ?? 0, access: 'write', text: String(rt.name) });
      this.exprs([rt.val], scopes);
    }
  }

  private entryFor(rv: any): Entry {
    const schema: string | null = rv?.schemaname ?? null;
    const relname = String(rv?.relname ?? '');
    const key = this.tableKey(schema, relname);
    return { ref: rv?.alias?.aliasname ?? relname, table: key, schema, relname, columns: this.opts.catalog.get(key) ?? null };
  }

  private fromItem(item: any, scope: Scope, lateral: Scope[]): void {
    if (!item || typeof item !== 'object') return;
    if (item.RangeVar) {
      const rv = item.RangeVar;
      const relname = String(rv.relname ?? '');
      if (!rv.schemaname && this.ctes.some((s) => s.has(relname))) {
        scope.push({ ref: rv.alias?.aliasname ?? relname, table: null, schema: null, relname: null, columns: null });
        return;
      }
      const e = this.entryFor(rv);
      scope.push(e);
      this.refs.push({ kind: 'table', table: e.table!, column: null, location: rv.location ?? 0, access: 'read', text: relText(rv) });
      return;
    }
    if (item.JoinExpr) {
      const j = item.JoinExpr;
      const before = scope.length;
      this.fromItem(j.larg, scope, lateral);
      this.fromItem(j.rarg, scope, lateral);
      for (const u of j.usingClause ?? []) {
        const col = stringValue(u);
        // USING (col) reads the column on both sides.
        for (const e of scope.slice(before)) {
          if (e.table && e.columns?.has(col)) this.refs.push({ kind: 'column', table: e.table, column: col, location: j.rarg?.RangeVar?.location ?? 0, access: 'read', text: `USING (${col})` });
        }
      }
      this.exprs([j.quals], [scope, ...lateral.slice(1)]);
      if (j.alias?.aliasname) scope.push({ ref: j.alias.aliasname, table: null, schema: null, relname: null, columns: null });
      return;
    }
    if (item.RangeSubselect) {
      const rs = item.RangeSubselect;
      const q = rs.subquery;
      const kind = q ? Object.keys(q)[0] : undefined;
      if (kind) this.statement(kind, q[kind], rs.lateral ? lateral : lateral.slice(1));
      scope.push({ ref: rs.alias?.aliasname ?? '', table: null, schema: null, relname: null, columns: null });
      return;
    }
    if (item.RangeFunction) {
      const rf = item.RangeFunction;
      this.exprs([rf.functions], lateral);
      scope.push({ ref: rf.alias?.aliasname ?? '', table: null, schema: null, relname: null, columns: null });
      return;
    }
    // RangeTableSample, RangeTableFunc, JSON_TABLE ...: analyse generically.
    this.exprs([item], lateral);
  }

  /** Walk expressions: resolve ColumnRefs, descend into sub-selects with the scope chain. */
  private exprs(nodes: unknown, scopes: Scope[]): void {
    if (Array.isArray(nodes)) {
      for (const x of nodes) this.exprs(x, scopes);
      return;
    }
    if (!nodes || typeof nodes !== 'object') return;
    for (const [k, v] of Object.entries(nodes as Record<string, any>)) {
      if (k === 'ColumnRef') {
        this.columnRef(v, scopes);
        continue;
      }
      if (DML.has(k)) {
        this.statement(k, v, scopes);
        continue;
      }
      if (v && typeof v === 'object') this.exprs(v, scopes);
    }
  }

  private columnRef(v: any, scopes: Scope[]): void {
    const fields: any[] = v?.fields ?? [];
    const star = fields.some((f) => f?.A_Star);
    const names = fields.map(stringValue).filter((s) => s !== '');
    const location: number = v?.location ?? 0;
    if (star) {
      const qual = names;
      for (const scope of scopes.slice(0, 1)) {
        for (const e of scope) {
          if (!e.table) continue;
          if (qual.length === 0 || matchesQualifier(e, qual)) this.refs.push({ kind: 'star', table: e.table, column: null, location, access: 'read', text: [...qual, '*'].join('.') });
        }
      }
      return;
    }
    if (names.length === 0) return;
    const column = names[names.length - 1]!;
    const qual = names.slice(0, -1);
    const text = names.join('.');
    if (qual.length > 0) {
      for (const scope of scopes) {
        const e = scope.find((x) => matchesQualifier(x, qual));
        if (e) {
          if (e.table) this.refs.push({ kind: 'column', table: e.table, column, location, access: 'read', text });
          return;
        }
      }
      // A composite-typed column (`(rec).field`), NEW/OLD in trigger bodies, or unknown: nothing resolvable.
      return;
    }
    for (const scope of scopes) {
      const known = scope.filter((e) => e.columns?.has(column));
      if (known.length > 0) {
        for (const e of known) this.refs.push({ kind: 'column', table: e.table!, column, location, access: 'read', text });
        return;
      }
      // The only relation in scope, with columns the catalog does not know: assume it is the owner.
      const unknown = scope.filter((e) => e.columns === null);
      if (unknown.length > 0) {
        if (unknown.length === 1 && scope.length === 1 && unknown[0]!.table) {
          this.refs.push({ kind: 'column', table: unknown[0]!.table, column, location, access: 'read', text });
        }
        return;
      }
    }
  }

  tableKey(schema: string | null, name: string): string {
    if (schema) return `${schema}.${name}`;
    for (const s of this.searchPath) {
      const k = `${s}.${name}`;
      if (this.opts.catalog.has(k)) return k;
    }
    return `${this.searchPath.find((s) => s !== 'pg_catalog' && s !== '$user') ?? 'public'}.${name}`;
  }
}

function returning(n: any): unknown {
  return n.returningList ?? n.returningClause?.exprs;
}

function matchesQualifier(e: Entry, qual: string[]): boolean {
  if (qual.length === 1) return e.ref === qual[0];
  if (qual.length === 2) return e.table === `${qual[0]}.${qual[1]}` && e.ref === e.relname;
  // catalog.schema.table
  if (qual.length === 3) return e.relname === qual[2] && e.schema === qual[1];
  return false;
}

function relText(rv: any): string {
  const name = rv?.schemaname ? `${rv.schemaname}.${rv.relname}` : String(rv?.relname ?? '');
  return rv?.alias?.aliasname ? `${name} ${rv.alias.aliasname}` : name;
}
