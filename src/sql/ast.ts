/**
 * Small readers over libpg-query's JSON parse tree. The tree is typed loosely
 * (`any`) at this boundary on purpose: node shapes follow @pgsql/types, but the
 * protobuf-JSON encoding omits defaults, so every reader tolerates missing fields.
 */

export interface QName {
  schema: string | null;
  name: string;
}

export function qnameFromRangeVar(rv: any): QName {
  return { schema: rv?.schemaname ?? null, name: String(rv?.relname ?? '') };
}

/** `['public','t']` style name lists (DROP, COMMENT, ...). */
export function qnameFromList(items: any[]): QName {
  const parts = (items ?? []).map(stringValue);
  const name = parts[parts.length - 1] ?? '';
  const schema = parts.length >= 2 ? (parts[parts.length - 2] ?? null) : null;
  return { schema, name };
}

export function stringValue(node: any): string {
  if (node == null) return '';
  if (typeof node === 'string') return node;
  if (node.String) return String(node.String.sval ?? '');
  if (node.sval !== undefined) return String(node.sval);
  return '';
}

export function formatQName(q: QName): string {
  return q.schema ? `${q.schema}.${q.name}` : q.name;
}

export interface TypeRef {
  /** Canonical lower-case type name without pg_catalog (int4, varchar, numeric, serial ...). */
  name: string;
  schema: string | null;
  mods: number[];
  array: boolean;
}

export function typeRefFromTypeName(tn: any): TypeRef {
  const names: string[] = (tn?.names ?? []).map(stringValue);
  let schema: string | null = null;
  let name = names[names.length - 1] ?? '';
  if (names.length >= 2) schema = names[names.length - 2] ?? null;
  if (schema === 'pg_catalog') schema = null;
  name = TYPE_ALIASES[name] ?? name;
  const mods: number[] = [];
  for (const m of tn?.typmods ?? []) {
    const ival = m?.A_Const?.ival;
    if (ival !== undefined) mods.push(Number(ival.ival ?? 0));
  }
  return { name, schema, mods, array: Array.isArray(tn?.arrayBounds) && tn.arrayBounds.length > 0 };
}

const TYPE_ALIASES: Record<string, string> = {
  integer: 'int4',
  int: 'int4',
  smallint: 'int2',
  bigint: 'int8',
  boolean: 'bool',
  real: 'float4',
  'double precision': 'float8',
  decimal: 'numeric',
  'character varying': 'varchar',
  character: 'bpchar',
  char: 'bpchar',
  serial4: 'serial',
  serial8: 'bigserial',
  serial2: 'smallserial',
  timestamp_tz: 'timestamptz',
};

export function formatType(t: TypeRef): string {
  const base = (t.schema ? t.schema + '.' : '') + displayTypeName(t.name);
  const mods = t.mods.length ? `(${t.mods.join(',')})` : '';
  return base + mods + (t.array ? '[]' : '');
}

const DISPLAY: Record<string, string> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  bool: 'boolean',
  float4: 'real',
  float8: 'double precision',
  bpchar: 'char',
  varchar: 'varchar',
  timestamptz: 'timestamptz',
};

export function displayTypeName(name: string): string {
  return DISPLAY[name] ?? name;
}

export function sameType(a: TypeRef, b: TypeRef): boolean {
  return (
    a.name === b.name &&
    a.schema === b.schema &&
    a.array === b.array &&
    a.mods.length === b.mods.length &&
    a.mods.every((m, i) => m === b.mods[i])
  );
}

/** Every FuncCall name in an expression tree, lower-cased, without schema. */
export function functionCalls(expr: unknown): string[] {
  const out: string[] = [];
  walk(expr, (key, value) => {
    if (key === 'FuncCall') {
      const parts: string[] = (value?.funcname ?? []).map(stringValue);
      out.push((parts[parts.length - 1] ?? '').toLowerCase());
    }
    // SQLValueFunction (CURRENT_TIMESTAMP, CURRENT_USER, ...) is always stable: not listed.
  });
  return out;
}

/** Depth-first visit of every `{ NodeType: body }` pair in a parse tree. */
export function walk(node: unknown, visit: (key: string, value: any) => void | false): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  // for...in, not Object.entries: no [key, value] array per property (parse trees are plain
  // JSON objects, so no inherited keys); measured 6% of a 342-file lint.
  const obj = node as Record<string, unknown>;
  for (const k in obj) {
    const v = obj[k];
    const c = k.charCodeAt(0);
    if (c >= 65 && c <= 90) {
      if (visit(k, v) === false) continue;
    }
    if (v && typeof v === 'object') walk(v, visit);
  }
}

/** Every RangeVar (table reference) in a tree. */
export function rangeVars(node: unknown): QName[] {
  const out: QName[] = [];
  walk(node, (k, v) => {
    if (k === 'RangeVar') out.push(qnameFromRangeVar(v));
  });
  return out;
}

/** Column names referenced in an expression (last field of each ColumnRef). */
export function columnRefs(expr: unknown): string[] {
  const out: string[] = [];
  walk(expr, (k, v) => {
    if (k === 'ColumnRef') {
      const fields = (v?.fields ?? []).map(stringValue).filter((s: string) => s !== '');
      const last = fields[fields.length - 1];
      if (last) out.push(last);
    }
  });
  return out;
}

/** `col IS NOT NULL` -> 'col'; null for anything else. */
export function isNotNullTestColumn(expr: any): string | null {
  const nt = expr?.NullTest;
  if (!nt || nt.nulltesttype !== 'IS_NOT_NULL') return null;
  const fields = (nt.arg?.ColumnRef?.fields ?? []).map(stringValue);
  return fields.length ? (fields[fields.length - 1] ?? null) : null;
}

/** Value of an A_Const as a JS value (number, string, boolean or null). */
export function constValue(node: any): string | number | boolean | null | undefined {
  const c = node?.A_Const;
  if (!c) return undefined;
  if (c.isnull) return null;
  if (c.ival !== undefined) return Number(c.ival.ival ?? 0);
  if (c.fval !== undefined) return Number(c.fval.fval);
  if (c.sval !== undefined) return String(c.sval.sval ?? '');
  if (c.boolval !== undefined) return Boolean(c.boolval.boolval);
  return undefined;
}
