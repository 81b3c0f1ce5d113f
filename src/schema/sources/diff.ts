/**
 * What two schema models disagree on: relations, columns (type, nullability,
 * default, identity, generated), constraints (kind, columns, validity, target),
 * indexes, enums, domains and function volatility. Sizes are not compared.
 * The merge reports these as conflict notes; the tests use it to prove that a
 * pg_dump replay and live introspection of one database give the same model.
 */
import { formatType, type TypeRef } from '../../sql/ast.js';
import type { ConstraintModel, IndexModel, RelationModel, SchemaModel } from '../model.js';

export interface SchemaDifference {
  /** The object: `public.accounts`, `public.accounts.qty`, `constraint public.accounts.accounts_pkey`. */
  object: string;
  /** What differs: `exists`, `type`, `not null`, `validated`, ... */
  field: string;
  /** The value in each model; `absent` when only the other model has the object. */
  a: string;
  b: string;
}

export interface DiffOptions {
  /**
   * Compare only objects both models have (no `exists` differences for what one side
   * lacks). The merge uses the one-sided form: a table only history knows is a note,
   * a table only the database knows (made by an ORM) is not.
   */
  onlyA?: boolean;
}

const ABSENT = 'absent';

export function diffModels(a: SchemaModel, b: SchemaModel, opts: DiffOptions = {}): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const push = (object: string, field: string, va: unknown, vb: unknown) => {
    const sa = show(va);
    const sb = show(vb);
    if (sa !== sb) out.push({ object, field, a: sa, b: sb });
  };
  for (const ra of a.relations.values()) {
    if (ra.placeholder) continue;
    const rb = b.relations.get(ra.key);
    if (!rb) {
      push(ra.key, 'exists', ra.kind, ABSENT);
      continue;
    }
    if (rb.placeholder) continue;
    diffRelation(a, b, ra, rb, push);
  }
  if (!opts.onlyA) {
    for (const rb of b.relations.values()) if (!rb.placeholder && !a.relations.has(rb.key)) push(rb.key, 'exists', ABSENT, rb.kind);
  }
  for (const ia of a.indexes.values()) {
    if (a.relations.get(ia.table)?.placeholder) continue;
    const ib = b.indexes.get(ia.key);
    if (!ib) {
      if (b.relations.has(ia.table) && !b.relations.get(ia.table)!.placeholder) push(`index ${ia.key}`, 'exists', `on ${ia.table}`, ABSENT);
      continue;
    }
    diffIndex(ia, ib, push);
  }
  if (!opts.onlyA) {
    for (const ib of b.indexes.values()) {
      if (!a.indexes.has(ib.key) && a.relations.has(ib.table) && !a.relations.get(ib.table)!.placeholder) push(`index ${ib.key}`, 'exists', ABSENT, `on ${ib.table}`);
    }
  }
  for (const ea of a.enums.values()) {
    const eb = b.enums.get(ea.key);
    if (!eb) {
      if (!opts.onlyA) push(`type ${ea.key}`, 'exists', 'enum', ABSENT);
      continue;
    }
    push(`type ${ea.key}`, 'values', ea.values.join(', '), eb.values.join(', '));
  }
  if (!opts.onlyA) for (const eb of b.enums.values()) if (!a.enums.has(eb.key)) push(`type ${eb.key}`, 'exists', ABSENT, 'enum');
  for (const da of a.domains.values()) {
    const db = b.domains.get(da.key);
    if (!db) {
      if (!opts.onlyA) push(`domain ${da.key}`, 'exists', 'domain', ABSENT);
      continue;
    }
    push(`domain ${da.key}`, 'base type', typeText(a, da.base), typeText(b, db.base));
    push(`domain ${da.key}`, 'not null', da.notNull, db.notNull);
    const cons = (d: typeof da) =>
      d.constraints
        .map((c) => `${c.name} ${c.kind}${c.validated ? '' : ' NOT VALID'}`)
        .sort()
        .join(', ');
    push(`domain ${da.key}`, 'constraints', cons(da), cons(db));
  }
  if (!opts.onlyA) for (const db of b.domains.values()) if (!a.domains.has(db.key)) push(`domain ${db.key}`, 'exists', ABSENT, 'domain');
  for (const [name, va] of a.functions) {
    const vb = b.functions.get(name);
    if (vb === undefined) {
      if (!opts.onlyA) push(`function ${name}`, 'exists', va, ABSENT);
      continue;
    }
    push(`function ${name}`, 'volatility', va, vb);
  }
  if (!opts.onlyA) for (const [name, vb] of b.functions) if (!a.functions.has(name)) push(`function ${name}`, 'exists', ABSENT, vb);
  return out;
}

type Push = (object: string, field: string, a: unknown, b: unknown) => void;

function diffRelation(ma: SchemaModel, mb: SchemaModel, ra: RelationModel, rb: RelationModel, push: Push): void {
  push(ra.key, 'kind', ra.kind, rb.kind);
  push(ra.key, 'unlogged', ra.unlogged, rb.unlogged);
  push(ra.key, 'partition of', ra.partitionOf, rb.partitionOf);
  push(ra.key, 'partition strategy', ra.partitionStrategy, rb.partitionStrategy);
  push(ra.key, 'partition key', ra.partitionKey.join(', '), rb.partitionKey.join(', '));
  push(ra.key, 'partition bound', ra.partitionBound, rb.partitionBound);
  if (ra.kind === 'view' || ra.kind === 'materialized-view') push(ra.key, 'depends on', [...ra.dependsOn].sort().join(', '), [...rb.dependsOn].sort().join(', '));
  // A view's columns are only known from the catalog; a replayed CREATE VIEW leaves them out.
  const compareColumns = !((ra.kind === 'view' || ra.kind === 'materialized-view') && (ra.columns.size === 0 || rb.columns.size === 0));
  if (compareColumns) {
    for (const ca of ra.columns.values()) {
      const cb = rb.columns.get(ca.name);
      const obj = `${ra.key}.${ca.name}`;
      if (!cb) {
        push(obj, 'exists', 'column', ABSENT);
        continue;
      }
      if (!ca.inferred || ca.inferred.type) if (!cb.inferred || cb.inferred.type) push(obj, 'type', typeText(ma, ca.type), typeText(mb, cb.type));
      if (!ca.inferred || ca.inferred.notNull) if (!cb.inferred || cb.inferred.notNull) push(obj, 'not null', ca.notNull, cb.notNull);
      if (ca.inferred || cb.inferred) continue;
      push(obj, 'default', ca.hasDefault ? (ca.defaultVolatile ? 'volatile' : 'non-volatile') : 'none', cb.hasDefault ? (cb.defaultVolatile ? 'volatile' : 'non-volatile') : 'none');
      push(obj, 'identity', ca.identity, cb.identity);
      push(obj, 'generated', ca.generated, cb.generated);
    }
    for (const cb of rb.columns.values()) if (!ra.columns.has(cb.name)) push(`${ra.key}.${cb.name}`, 'exists', ABSENT, 'column');
  }
  for (const ka of ra.constraints.values()) {
    const kb = rb.constraints.get(ka.name);
    const obj = `constraint ${ra.key}.${ka.name}`;
    if (!kb) {
      if (!sameAsColumnNotNull(ka, rb)) push(obj, 'exists', ka.kind, ABSENT);
      continue;
    }
    push(obj, 'kind', ka.kind, kb.kind);
    push(obj, 'validated', ka.validated, kb.validated);
    push(obj, 'columns', constraintColumns(ka), constraintColumns(kb));
    push(obj, 'proves not null', ka.notNullColumn, kb.notNullColumn);
    if (ka.kind === 'foreign-key') {
      push(obj, 'references', ka.references, kb.references);
      // A REFERENCES without columns means the primary key: compare only when both sides name them.
      if (ka.referencesColumns.length && kb.referencesColumns.length) push(obj, 'referenced columns', ka.referencesColumns.join(', '), kb.referencesColumns.join(', '));
    }
  }
  for (const kb of rb.constraints.values()) if (!ra.constraints.has(kb.name) && !sameAsColumnNotNull(kb, ra)) push(`constraint ${ra.key}.${kb.name}`, 'exists', ABSENT, kb.kind);
}

/**
 * A validated NOT NULL constraint only one side lists, on a column the other side has NOT
 * NULL: the same fact (PostgreSQL 18 names every NOT NULL; a replayed `col int NOT NULL` has
 * no name), already compared as the column's `not null`.
 */
function sameAsColumnNotNull(c: ConstraintModel, other: RelationModel): boolean {
  return c.kind === 'not-null' && c.validated && c.notNullColumn !== null && other.columns.get(c.notNullColumn)?.notNull === true;
}

function diffIndex(ia: IndexModel, ib: IndexModel, push: Push): void {
  const obj = `index ${ia.key}`;
  push(obj, 'table', ia.table, ib.table);
  push(obj, 'columns', ia.columns.join(', '), ib.columns.join(', '));
  push(obj, 'unique', ia.unique, ib.unique);
  push(obj, 'expressions', ia.expressions, ib.expressions);
  push(obj, 'partial', ia.partial, ib.partial);
  push(obj, 'valid', ia.valid, ib.valid);
  push(obj, 'method', ia.method, ib.method);
  push(obj, 'attached to', ia.parent, ib.parent);
}

/** A CHECK's columns come in whatever order the expression names them: compare as a set. */
function constraintColumns(c: ConstraintModel): string {
  const cols = c.kind === 'check' ? [...new Set(c.columns)].sort() : c.columns;
  return cols.join(', ');
}

/** A type as text with its schema resolved the way the model resolves it (search path over its enums and domains). */
export function typeText(model: SchemaModel, t: TypeRef): string {
  let schema = t.schema;
  if (!schema) {
    for (const s of model.searchPath) {
      const k = `${s}.${t.name}`;
      if (model.enums.has(k) || model.domains.has(k)) {
        schema = s;
        break;
      }
    }
  } else if (!model.enums.has(`${schema}.${t.name}`) && !model.domains.has(`${schema}.${t.name}`) && model.searchPath.includes(schema)) {
    // Another user type (composite, range) in a schema on the path: `public.pair` and `pair` are one type.
    schema = null;
  }
  return formatType({ ...t, schema });
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}
