/**
 * The snapshot file (`ddlguard schema export`): the schema model as plain JSON,
 * with sizes and row estimates, for CI jobs that cannot reach the database.
 * Versioned; `readSnapshot` rejects what it does not understand with the JSON
 * path of the problem. The JSON Schema is docs/schema-snapshot.schema.json.
 */
import type { TypeRef } from '../../sql/ast.js';
import type { Volatility } from '../../sql/volatility.js';
import {
  SchemaModel,
  externalOrigin,
  type ColumnModel,
  type ConstraintModel,
  type DomainModel,
  type IndexModel,
  type Origin,
  type RelationModel,
  type RelationSize,
} from '../model.js';

export const SNAPSHOT_FORMAT = 'ddlguard-schema';
export const SNAPSHOT_VERSION = 1;

/** A column as the file stores it: the model's fields without the origin (the file is the origin). */
export type SnapshotColumn = Pick<ColumnModel, 'name' | 'type' | 'notNull' | 'hasDefault' | 'defaultVolatile' | 'generated' | 'identity'>;

export type SnapshotConstraint = Omit<ConstraintModel, 'origin'>;

export interface SnapshotRelation {
  key: string;
  kind: RelationModel['kind'];
  unlogged: boolean;
  partitionOf: string | null;
  partitionKey: string[];
  partitionStrategy: RelationModel['partitionStrategy'];
  partitionBound: string | null;
  dependsOn: string[];
  columns: SnapshotColumn[];
  constraints: SnapshotConstraint[];
  size: RelationSize | null;
}

export type SnapshotIndex = Omit<IndexModel, 'origin'>;

export interface SchemaSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  /** Server major the schema was read from, when known. */
  pgVersion: number | null;
  /** ISO timestamp of the export. */
  exportedAt: string;
  /** Where it was read from, passwords masked. */
  source: string;
  searchPath: string[];
  schemas: string[];
  relations: SnapshotRelation[];
  indexes: SnapshotIndex[];
  enums: Array<{ key: string; values: string[] }>;
  domains: Array<Omit<DomainModel, 'origin'>>;
  functions: Array<{ name: string; volatility: Volatility }>;
}

const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export function toSnapshot(model: SchemaModel, meta: { pgVersion: number | null; source: string; exportedAt?: string }): SchemaSnapshot {
  const relations: SnapshotRelation[] = [...model.relations.values()]
    .filter((r) => !r.placeholder)
    .map((r) => ({
      key: r.key,
      kind: r.kind,
      unlogged: r.unlogged,
      partitionOf: r.partitionOf,
      partitionKey: [...r.partitionKey],
      partitionStrategy: r.partitionStrategy,
      partitionBound: r.partitionBound,
      dependsOn: [...r.dependsOn].sort(),
      columns: [...r.columns.values()].map(({ name, type, notNull, hasDefault, defaultVolatile, generated, identity }) => ({
        name,
        type: { ...type, mods: [...type.mods] },
        notNull,
        hasDefault,
        defaultVolatile,
        generated,
        identity,
      })),
      constraints: [...r.constraints.values()]
        .map(({ name, kind, columns, validated, notNullColumn, references, referencesColumns, index }) => ({
          name,
          kind,
          columns: [...columns],
          validated,
          notNullColumn,
          references,
          referencesColumns: [...referencesColumns],
          index,
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      size: r.size ? { ...r.size } : null,
    }))
    .sort(byKey);
  const live = new Set(relations.map((r) => r.key));
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    pgVersion: meta.pgVersion,
    exportedAt: meta.exportedAt ?? new Date().toISOString(),
    source: meta.source,
    searchPath: [...model.searchPath],
    schemas: [...model.schemas].sort(),
    relations,
    indexes: [...model.indexes.values()]
      .filter((ix) => live.has(ix.table))
      .map(({ origin: _origin, ...ix }) => ({ ...ix, columns: [...ix.columns] }))
      .sort(byKey),
    enums: [...model.enums.values()].map((e) => ({ key: e.key, values: [...e.values] })).sort(byKey),
    domains: [...model.domains.values()].map(({ origin: _origin, ...d }) => ({ ...d, base: { ...d.base, mods: [...d.base.mods] }, constraints: d.constraints.map((c) => ({ ...c })) })).sort(byKey),
    functions: [...model.functions.entries()].map(([name, volatility]) => ({ name, volatility })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/** A snapshot file that is not one, or not a version this build reads. */
export class SnapshotError extends Error {}

/** Builds the model a snapshot describes; every fact's origin is the snapshot (labelled `label`). */
export function fromSnapshot(value: unknown, label: string): { model: SchemaModel; snapshot: SchemaSnapshot } {
  const snap = checkSnapshot(value);
  const origin: Origin = externalOrigin('snapshot', label);
  const model = new SchemaModel();
  model.searchPath = [...snap.searchPath];
  for (const s of snap.schemas) model.schemas.add(s);
  for (const r of snap.relations) {
    const rel = model.newRelation(r.key, r.kind, origin);
    rel.unlogged = r.unlogged;
    rel.partitionOf = r.partitionOf;
    rel.partitionKey = [...r.partitionKey];
    rel.partitionStrategy = r.partitionStrategy;
    rel.partitionBound = r.partitionBound;
    rel.dependsOn = [...r.dependsOn];
    rel.size = r.size ? { ...r.size } : null;
    for (const c of r.columns) rel.columns.set(c.name, { ...c, type: { ...c.type, mods: [...c.type.mods] }, origin } satisfies ColumnModel);
    for (const c of r.constraints) rel.constraints.set(c.name, { ...c, columns: [...c.columns], referencesColumns: [...c.referencesColumns], origin });
  }
  for (const r of snap.relations) {
    if (r.partitionOf) model.relations.get(r.partitionOf)?.partitions.add(r.key);
  }
  for (const ix of snap.indexes) {
    model.indexes.set(ix.key, { ...ix, columns: [...ix.columns], origin });
    model.relations.get(ix.table)?.indexes.add(ix.key);
  }
  for (const e of snap.enums) model.enums.set(e.key, { key: e.key, values: [...e.values], origin });
  for (const d of snap.domains) model.domains.set(d.key, { ...d, base: { ...d.base, mods: [...d.base.mods] }, constraints: d.constraints.map((c) => ({ ...c })), origin });
  for (const f of snap.functions) model.functions.set(f.name, f.volatility);
  return { model, snapshot: snap };
}

/** Structural checks with the JSON path of the first problem: the file is machine-written, so a problem means the wrong file or a newer format. */
function checkSnapshot(v: unknown): SchemaSnapshot {
  const fail = (path: string, what: string): never => {
    throw new SnapshotError(`${path}: ${what}`);
  };
  if (!isObject(v)) fail('$', 'expected a JSON object');
  const o = v as Record<string, unknown>;
  if (o.format !== SNAPSHOT_FORMAT) fail('$.format', `expected "${SNAPSHOT_FORMAT}" (a file written by \`ddlguard schema export\`)`);
  if (o.version !== SNAPSHOT_VERSION) fail('$.version', `unsupported snapshot version ${JSON.stringify(o.version)} (this ddlguard reads version ${SNAPSHOT_VERSION})`);
  for (const k of ['relations', 'indexes', 'enums', 'domains', 'functions', 'schemas', 'searchPath']) {
    if (!Array.isArray(o[k])) fail(`$.${k}`, 'expected an array');
  }
  (o.relations as unknown[]).forEach((r, i) => {
    const p = `$.relations[${i}]`;
    if (!isObject(r)) fail(p, 'expected an object');
    const rel = r as Record<string, unknown>;
    if (typeof rel.key !== 'string' || !rel.key.includes('.')) fail(`${p}.key`, 'expected "schema.name"');
    if (!Array.isArray(rel.columns)) fail(`${p}.columns`, 'expected an array');
    if (!Array.isArray(rel.constraints)) fail(`${p}.constraints`, 'expected an array');
    (rel.columns as unknown[]).forEach((c, j) => {
      if (!isObject(c) || typeof (c as { name?: unknown }).name !== 'string' || !isObject((c as { type?: unknown }).type)) fail(`${p}.columns[${j}]`, 'expected a column with a name and a type');
    });
  });
  (o.indexes as unknown[]).forEach((ix, i) => {
    if (!isObject(ix) || typeof (ix as { key?: unknown }).key !== 'string' || typeof (ix as { table?: unknown }).table !== 'string') fail(`$.indexes[${i}]`, 'expected an index with a key and a table');
  });
  return v as SchemaSnapshot;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
