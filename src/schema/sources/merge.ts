/**
 * One model from several sources, by precedence: the first layer wins (the live
 * database, then a snapshot or dump, then the history files). What a later layer
 * knows and an earlier one lacks is added, with its own origin; where both know an
 * object and disagree, the earlier layer's fact is kept and the disagreement is
 * reported once as a note. The linted files are replayed on top afterwards.
 */
import { SchemaModel, type RelationModel } from '../model.js';
import { diffModels } from './diff.js';

export interface ModelLayer {
  model: SchemaModel;
  /** How notes name it: `the live database`, `schema.json`, `the history files`. */
  label: string;
}

export interface SourceNote {
  message: string;
}

/** Differences reported per pair of layers before they are summarised. */
const MAX_NOTES_PER_PAIR = 50;

export function mergeModels(layers: readonly ModelLayer[], notes: SourceNote[] = []): SchemaModel {
  const [first, ...rest] = layers;
  if (!first) return new SchemaModel();
  const out = cloneModel(first.model);
  const seen = new Set<string>();
  for (const layer of rest) {
    // Only what both layers know, plus what the later layer has that the winner lacks.
    const diffs = diffModels(layer.model, out, { onlyA: true });
    let reported = 0;
    for (const d of diffs) {
      // An object only the later layer has is added below, not a conflict.
      if (d.field === 'exists' && d.b === 'absent' && !isInsideKnownRelation(d.object, out)) continue;
      const key = `${d.object}\u0000${d.field}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (reported++ >= MAX_NOTES_PER_PAIR) continue;
      notes.push({ message: conflictMessage(d, layer.label, first.label) });
    }
    if (reported > MAX_NOTES_PER_PAIR) {
      notes.push({ message: `${reported - MAX_NOTES_PER_PAIR} more differences between ${layer.label} and ${first.label} (${first.label} is used)` });
    }
    addMissing(out, layer.model);
  }
  return out;
}

/** Columns, constraints and indexes of a relation the winner knows: a missing one is a real disagreement. */
function isInsideKnownRelation(object: string, model: SchemaModel): boolean {
  const m = /^(?:constraint |index )?(.+)$/.exec(object);
  const path = m?.[1] ?? object;
  if (object.startsWith('index ')) return true;
  for (const rel of model.relations.values()) {
    if (path.startsWith(`${rel.key}.`) && !rel.placeholder) return true;
  }
  return false;
}

function conflictMessage(d: { object: string; field: string; a: string; b: string }, later: string, winner: string): string {
  if (d.field === 'exists') {
    return d.b === 'absent' ? `${d.object}: in ${later}, not in ${winner} (${winner} is used)` : `${d.object}: in ${winner}, not in ${later} (${winner} is used)`;
  }
  return `${d.object}: ${d.field} is ${d.a} in ${later} but ${d.b} in ${winner} (${winner} is used)`;
}

/** Adds the relations, indexes, enums, domains and functions `from` has and `into` lacks. */
function addMissing(into: SchemaModel, from: SchemaModel): void {
  for (const s of from.schemas) into.schemas.add(s);
  for (const rel of from.relations.values()) {
    const mine = into.relations.get(rel.key);
    if (mine && !mine.placeholder) continue;
    into.relations.set(rel.key, cloneRelation(rel));
    for (const ix of rel.indexes) {
      const m = from.indexes.get(ix);
      if (m && !into.indexes.has(ix)) into.indexes.set(ix, { ...m, columns: [...m.columns] });
    }
  }
  for (const rel of from.relations.values()) {
    if (rel.partitionOf) into.relations.get(rel.partitionOf)?.partitions.add(rel.key);
  }
  for (const [k, e] of from.enums) if (!into.enums.has(k)) into.enums.set(k, { ...e, values: [...e.values] });
  for (const [k, d] of from.domains) if (!into.domains.has(k)) into.domains.set(k, { ...d, constraints: d.constraints.map((c) => ({ ...c })) });
  for (const [k, v] of from.functions) if (!into.functions.has(k)) into.functions.set(k, v);
}

export function cloneRelation(rel: RelationModel): RelationModel {
  return {
    ...rel,
    columns: new Map([...rel.columns].map(([k, c]) => [k, { ...c, type: { ...c.type, mods: [...c.type.mods] }, ...(c.inferred ? { inferred: { ...c.inferred } } : {}) }])),
    constraints: new Map([...rel.constraints].map(([k, c]) => [k, { ...c, columns: [...c.columns], referencesColumns: [...c.referencesColumns] }])),
    indexes: new Set(rel.indexes),
    partitionKey: [...rel.partitionKey],
    partitions: new Set(rel.partitions),
    dependsOn: [...rel.dependsOn],
    size: rel.size ? { ...rel.size } : null,
  };
}

export function cloneModel(m: SchemaModel): SchemaModel {
  const out = new SchemaModel();
  out.searchPath = [...m.searchPath];
  for (const s of m.schemas) out.schemas.add(s);
  for (const [k, r] of m.relations) out.relations.set(k, cloneRelation(r));
  for (const [k, ix] of m.indexes) out.indexes.set(k, { ...ix, columns: [...ix.columns] });
  for (const [k, e] of m.enums) out.enums.set(k, { ...e, values: [...e.values] });
  for (const [k, d] of m.domains) out.domains.set(k, { ...d, constraints: d.constraints.map((c) => ({ ...c })) });
  for (const [k, v] of m.functions) out.functions.set(k, v);
  return out;
}
