/**
 * The schema model that migration history is replayed into. It knows enough to
 * judge a statement: which relations exist and where they came from, their
 * columns, constraints (with validity) and indexes.
 */
import type { QName, TypeRef } from '../sql/ast.js';
import type { Volatility } from '../locks/volatility.js';

/** Where an object was created, so rules can tell new objects from pre-existing ones. */
export interface Origin {
  /** Index of the migration file in the ordered run (history and linted files together). */
  fileIndex: number;
  file: string;
  statement: number;
  /** Serial of the transaction it was created in (see TransactionTracker). */
  txSerial: number;
}

export interface ColumnModel {
  name: string;
  type: TypeRef;
  notNull: boolean;
  hasDefault: boolean;
  defaultVolatile: boolean;
  generated: 'stored' | 'virtual' | null;
  identity: boolean;
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
  references: string | null;
  index: string | null;
  origin: Origin | null;
}

export interface IndexModel {
  key: string;
  schema: string;
  name: string;
  table: string;
  columns: string[];
  unique: boolean;
  origin: Origin | null;
}

export type RelationKind = 'table' | 'partitioned-table' | 'view' | 'materialized-view' | 'foreign-table' | 'sequence';

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
  partitions: Set<string>;
  unlogged: boolean;
  origin: Origin | null;
}

export interface EnumModel {
  key: string;
  values: string[];
  origin: Origin | null;
}

export const DEFAULT_SCHEMA = 'public';

export function relKey(schema: string, name: string): string {
  return `${schema}.${name}`;
}

export class SchemaModel {
  readonly schemas = new Set<string>(['public']);
  readonly relations = new Map<string, RelationModel>();
  readonly indexes = new Map<string, IndexModel>();
  readonly enums = new Map<string, EnumModel>();
  readonly domains = new Map<string, { key: string; base: TypeRef; hasConstraints: boolean }>();
  /** User-defined functions by (unqualified) name, for DEFAULT volatility. */
  readonly functions = new Map<string, Volatility>();
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
      partitions: new Set(),
      unlogged: false,
      origin,
    };
    this.relations.set(key, rel);
    return rel;
  }

  dropRelation(key: string): void {
    const rel = this.relations.get(key);
    if (!rel) return;
    for (const ix of rel.indexes) this.indexes.delete(ix);
    for (const p of rel.partitions) this.dropRelation(p);
    if (rel.partitionOf) this.relations.get(rel.partitionOf)?.partitions.delete(key);
    this.relations.delete(key);
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
}
