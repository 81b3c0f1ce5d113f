/**
 * The schema model every source feeds: migration history replayed statement by
 * statement, the live database, a pg_dump replay and a snapshot file each yield
 * a SchemaModel; src/schema/sources/merge.ts combines them. It knows enough to
 * judge a statement: which relations exist and where each fact came from, their
 * columns, constraints (with validity), indexes and sizes.
 *
 * A relation no source defined, but that a linted statement touches, is a
 * placeholder: it exists, its contents are unknown, and it records what the
 * linted files do to it (columns added, constraints, indexes, renames).
 */
import type { QName, TypeRef } from '../sql/ast.js';
import type { Volatility } from '../sql/volatility.js';

/**
 * Where a fact came from. Migration files (history or linted) are `file`; the other
 * sources sit before every file (fileIndex -1), so nothing they define counts as new.
 */
export type SourceKind = 'file' | 'live' | 'snapshot' | 'dump' | 'placeholder';

export interface Origin {
  /** Index of the migration file in the ordered run (history and linted files together); -1 for the other sources. */
  fileIndex: number;
  /** The file as shown to the user, or the source's label (`the live database`, `schema.json`). */
  file: string;
  statement: number;
  /** Serial of the transaction it was created in (see TransactionTracker); -1 outside migration files. */
  txSerial: number;
  /** Absent: a migration file. */
  source?: SourceKind;
}

/** An origin for a fact from a source other than a migration file. */
export function externalOrigin(source: Exclude<SourceKind, 'file'>, label: string): Origin {
  return { fileIndex: -1, file: label, statement: -1, txSerial: -1, source };
}

/** "from the live database", "from 0042_add_users.sql", for findings and notes. */
export function describeOrigin(o: Origin | null | undefined): string {
  if (!o) return 'from an unknown source';
  switch (o.source) {
    case 'live':
      return 'from the live database';
    case 'placeholder':
      return `not defined by any source (first touched by ${o.file})`;
    case 'snapshot':
    case 'dump':
    case 'file':
    case undefined:
      return `from ${o.file}`;
  }
}

export interface ColumnModel {
  name: string;
  type: TypeRef;
  notNull: boolean;
  hasDefault: boolean;
  defaultVolatile: boolean;
  generated: 'stored' | 'virtual' | null;
  /** A generated column: the columns its expression reads (absent: not known, e.g. an older snapshot). */
  generatedFrom?: string[];
  identity: boolean;
  /**
   * A placeholder's column that no source defined, known only from statements that named
   * it: which of its facts those statements established (the others are guesses).
   */
  inferred?: { type: boolean; notNull: boolean };
  origin: Origin | null;
}

export type ConstraintKind = 'check' | 'foreign-key' | 'unique' | 'primary-key' | 'exclude' | 'not-null';

export interface ConstraintModel {
  name: string;
  kind: ConstraintKind;
  columns: string[];
  validated: boolean;
  /** For `CHECK (col IS NOT NULL)` and NOT NULL constraints: the column proven not null. */
  notNullColumn: string | null;
  /** Foreign keys: the referenced table's key. */
  references: string | null;
  /** Foreign keys: the referenced columns (empty when the statement left them to the primary key). */
  referencesColumns: string[];
  /** UNIQUE / PRIMARY KEY / EXCLUDE: the backing index's name. */
  index: string | null;
  origin: Origin | null;
}

export interface IndexModel {
  key: string;
  schema: string;
  name: string;
  table: string;
  /** Plain key columns, in order (expression elements are counted in `expressions`, not listed). */
  columns: string[];
  unique: boolean;
  /** Number of expression elements in the key. */
  expressions: number;
  /** The columns the key's expressions read (an ALTER COLUMN TYPE of one rebuilds the index). */
  expressionColumns?: string[];
  /** Has a WHERE predicate. */
  partial: boolean;
  /** The columns the WHERE predicate reads (absent: not known, e.g. an older snapshot). */
  predicateColumns?: string[];
  /** Usable by queries (pg_index.indisvalid): false after a failed CONCURRENTLY build or for an ON ONLY parent index with partitions missing. */
  valid: boolean;
  /** Access method (btree, gin, ...). */
  method: string;
  /** Partition index: the key of the partitioned index it is attached to. */
  parent: string | null;
  origin: Origin | null;
}

export type RelationKind = 'table' | 'partitioned-table' | 'view' | 'materialized-view' | 'foreign-table' | 'sequence';

/** Sizes from the catalog (live database or snapshot). */
export interface RelationSize {
  /** Estimated rows (pg_class.reltuples, summed over partitions); null when never analyzed. */
  rows: number | null;
  /** Main fork bytes (summed over partitions). */
  heapBytes: number;
  indexBytes: number;
  toastBytes: number;
  /** heap + indexes + TOAST */
  totalBytes: number;
}

export interface RelationModel {
  key: string;
  schema: string;
  name: string;
  kind: RelationKind;
  columns: Map<string, ColumnModel>;
  constraints: Map<string, ConstraintModel>;
  indexes: Set<string>;
  partitionOf: string | null;
  partitionKey: string[];
  /** Partitioned tables: range, list or hash. */
  partitionStrategy: 'range' | 'list' | 'hash' | null;
  /** Partitions: `FOR VALUES ...` or `DEFAULT`, as written or as PostgreSQL prints it. */
  partitionBound: string | null;
  partitions: Set<string>;
  unlogged: boolean;
  /** Views and materialized views: keys of the relations their query reads. */
  dependsOn: string[];
  /**
   * Views and materialized views a replayed statement made: per relation read, the columns the
   * query names ('*' for all of them). PostgreSQL refuses to change the type of such a column.
   * Absent: not known (live introspection and snapshots do not read it yet).
   */
  readsColumns?: Record<string, string[]>;
  /**
   * Views and materialized views a replayed CREATE [OR REPLACE] VIEW / MATERIALIZED VIEW made:
   * their output column names as PostgreSQL derives them (aliases, column names, function
   * names), in order; absent when some name cannot be told. Names only: the catalog's
   * `columns` (live, snapshot) are the fuller fact. Replaced, never mutated in place.
   */
  outputColumns?: readonly string[];
  /**
   * Exists, but no source defined it: columns, constraints and indexes hold only what
   * the linted files did to it. A column missing here is unknown, not absent.
   */
  placeholder: boolean;
  size: RelationSize | null;
  /** Sequences made for a serial or identity column (or OWNED BY): dropped with that column's table. */
  ownedBy?: { table: string; column: string } | null;
  /**
   * Row-level security policies by name, from replayed CREATE / ALTER / DROP POLICY. Absent:
   * unknown (the live and snapshot sources do not read them); a table a replayed CREATE TABLE
   * made starts with none. Replaced, never mutated in place (models share it after a clone).
   */
  policies?: ReadonlyMap<string, PolicyModel>;
  /** ENABLE / FORCE ROW LEVEL SECURITY, from replayed statements; absent: unknown. */
  rowSecurity?: { enabled: boolean; forced: boolean };
  origin: Origin | null;
}

export interface PolicyModel {
  name: string;
  /** ALL, SELECT, INSERT, UPDATE or DELETE, lower case. */
  command: string;
  /** Role names as written, `public` for PUBLIC. */
  roles: string[];
  permissive: boolean;
  origin: Origin | null;
}

export interface EnumModel {
  key: string;
  values: string[];
  origin: Origin | null;
}

export interface DomainConstraint {
  name: string;
  kind: 'check' | 'not-null';
  validated: boolean;
}

export interface DomainModel {
  key: string;
  base: TypeRef;
  notNull: boolean;
  constraints: DomainConstraint[];
  /** NOT NULL or any CHECK: a column of this domain is checked row by row. */
  hasConstraints: boolean;
  origin?: Origin | null;
}

export const DEFAULT_SCHEMA = 'public';

/** How a user supplies a fact no source had, for messages. */
export const SUPPLY_SCHEMA = 'pass --db, --schema or --history';

export function relKey(schema: string, name: string): string {
  return `${schema}.${name}`;
}

export class SchemaModel {
  readonly schemas = new Set<string>(['public']);
  readonly relations = new Map<string, RelationModel>();
  readonly indexes = new Map<string, IndexModel>();
  readonly enums = new Map<string, EnumModel>();
  readonly domains = new Map<string, DomainModel>();
  /** User-defined functions by (unqualified) name, for DEFAULT volatility. */
  readonly functions = new Map<string, Volatility>();
  /**
   * Where replayed migration files created a function (by the same unqualified name) or a
   * schema, so a rule can tell an object made in the linted file from one that existed; a
   * name missing here existed before (or came from another source).
   */
  readonly functionOrigins = new Map<string, Origin>();
  readonly schemaOrigins = new Map<string, Origin>();
  searchPath: string[] = ['public'];

  /** The key a (possibly unqualified) name resolves to: an existing object first, else the creation schema. */
  resolveKey(q: QName, exists: (key: string) => boolean = (k) => this.relations.has(k)): string {
    if (q.schema) return relKey(q.schema, q.name);
    for (const s of this.searchPath) {
      const k = relKey(s, q.name);
      if (exists(k)) return k;
    }
    return relKey(this.creationSchema(), q.name);
  }

  creationSchema(): string {
    return this.searchPath.find((s) => s !== 'pg_catalog' && s !== '$user') ?? DEFAULT_SCHEMA;
  }

  relation(q: QName): RelationModel | undefined {
    return this.relations.get(this.resolveKey(q));
  }

  index(q: QName): IndexModel | undefined {
    return this.indexes.get(this.resolveKey(q, (k) => this.indexes.has(k)));
  }

  enumType(q: QName): EnumModel | undefined {
    return this.enums.get(this.resolveKey(q, (k) => this.enums.has(k)));
  }

  /** Any relation, index or enum in a key -> object form, for existence checks. */
  hasObject(key: string): boolean {
    return this.relations.has(key) || this.indexes.has(key) || this.enums.has(key);
  }

  newRelation(key: string, kind: RelationKind, origin: Origin | null): RelationModel {
    const dot = key.indexOf('.');
    const rel: RelationModel = {
      key,
      schema: key.slice(0, dot),
      name: key.slice(dot + 1),
      kind,
      columns: new Map(),
      constraints: new Map(),
      indexes: new Set(),
      partitionOf: null,
      partitionKey: [],
      partitionStrategy: null,
      partitionBound: null,
      partitions: new Set(),
      unlogged: false,
      dependsOn: [],
      placeholder: false,
      size: null,
      origin,
    };
    this.relations.set(key, rel);
    this.schemas.add(rel.schema);
    return rel;
  }

  /**
   * The relation a statement touches, made a placeholder when no source defined it:
   * it existed before (PostgreSQL would reject the statement otherwise), contents unknown.
   */
  touch(q: QName, firstTouchedBy: string, kind: RelationKind = 'table'): RelationModel {
    const existing = this.relation(q);
    if (existing) return existing;
    const rel = this.newRelation(this.resolveKey(q), kind, externalOrigin('placeholder', firstTouchedBy));
    rel.placeholder = true;
    return rel;
  }

  dropRelation(key: string): void {
    const rel = this.relations.get(key);
    if (!rel) return;
    for (const ix of rel.indexes) this.indexes.delete(ix);
    for (const p of rel.partitions) this.dropRelation(p);
    if (rel.partitionOf) this.relations.get(rel.partitionOf)?.partitions.delete(key);
    this.relations.delete(key);
    for (const other of [...this.relations.values()]) if (other.ownedBy?.table === key) this.dropRelation(other.key);
  }

  /** The primary key columns of a relation, if known. */
  primaryKey(rel: RelationModel): string[] | null {
    for (const c of rel.constraints.values()) if (c.kind === 'primary-key') return c.columns;
    return null;
  }

  /** True when a validated constraint proves `column` is never NULL. */
  hasValidatedNotNullProof(rel: RelationModel, column: string): boolean {
    for (const c of rel.constraints.values()) {
      if (c.validated && c.notNullColumn === column && (c.kind === 'check' || c.kind === 'not-null')) return true;
    }
    return false;
  }

  /**
   * Whether `column` is NOT NULL: true or false when a source knows the column, null when
   * the relation is a placeholder that never saw it (or is unknown).
   */
  columnNotNull(rel: RelationModel | undefined, column: string): boolean | null {
    const col = rel?.columns.get(column);
    if (!col || (col.inferred && !col.inferred.notNull)) return null;
    return col.notNull;
  }
}

/** The views and materialized views whose query names the column of `table` (or all its columns). */
export function viewsReading(model: SchemaModel, table: string, column: string): RelationModel[] {
  const out: RelationModel[] = [];
  for (const v of model.relations.values()) {
    const read = v.readsColumns?.[table];
    if (read && (read.includes(column) || read.includes('*'))) out.push(v);
  }
  return out;
}

/** The validated CHECK constraints of `rel` that read the column (a type change checks them again). */
export function checksReading(rel: RelationModel | undefined, column: string): ConstraintModel[] {
  return [...(rel?.constraints.values() ?? [])].filter((c) => c.kind === 'check' && c.validated && c.columns.includes(column));
}

/** The generated columns of `rel` whose expression reads the column (a type change of it fails). */
export function generatedReading(rel: RelationModel | undefined, column: string): ColumnModel[] {
  return [...(rel?.columns.values() ?? [])].filter((c) => c.generated && c.name !== column && c.generatedFrom?.includes(column));
}

/** Whether the index uses the column: as a key column, in a key expression or in its WHERE predicate. */
export function indexUsesColumn(ix: IndexModel, column: string): boolean {
  return ix.columns.includes(column) || Boolean(ix.expressionColumns?.includes(column)) || Boolean(ix.predicateColumns?.includes(column));
}

/**
 * Whether an ALTER COLUMN TYPE of `column` that leaves the table's storage alone still builds the
 * index again, reading the whole table. PostgreSQL re-creates every index that uses the column and
 * keeps the old one's storage only for a plain index: one with no expression, no WHERE predicate,
 * and valid (indexcmds.c CheckIndexCompatible). Traced on PostgreSQL 15 and 18: a partial index on
 * the column, a predicate that reads it, and an expression index with it as a plain key column
 * are each rebuilt; an expression index that does not use it is not. A partial index whose
 * predicate's columns are not known counts as using it.
 */
export function rebuiltByColumnTypeChange(ix: IndexModel, column: string): boolean {
  const uses = indexUsesColumn(ix, column) || (ix.partial && ix.predicateColumns === undefined);
  return uses && (ix.expressions > 0 || ix.partial || !ix.valid);
}

/** A new, empty index record with the defaults of a plain btree index. */
export function indexRecord(fields: Pick<IndexModel, 'key' | 'schema' | 'name' | 'table' | 'columns' | 'unique' | 'origin'> & Partial<IndexModel>): IndexModel {
  return { expressions: 0, partial: false, valid: true, method: 'btree', parent: null, ...fields };
}
