/**
 * The estimate for one effect of a statement on the table it works on, from the sizes a
 * schema source gave the model: the referenced table for a foreign key's validation,
 * and whether an index's key is fixed-width (faster to sort) or text.
 */
import type { RelationModel, SchemaModel } from '../schema/model.js';
import { stringValue } from '../sql/ast.js';
import type { Effect } from './classify.js';
import { estimateFact, type Estimate, type Throughput } from './estimate.js';

/** Types whose btree comparisons are fixed-width: sorted at the faster index-build rate. */
const FIXED_WIDTH = new Set(['int2', 'int4', 'int8', 'smallserial', 'serial', 'bigserial', 'float4', 'float8', 'bool', 'date', 'time', 'timestamp', 'timestamptz', 'uuid', 'oid', 'money']);

export function estimateEffect(effect: Effect, model: SchemaModel, pgVersion: number, throughput?: Throughput): Estimate | null {
  const table = effect.table ? model.relations.get(effect.table.key) : undefined;
  if (!table?.size) return null;
  const referenced = effect.referenced ? (model.relations.get(effect.referenced.key)?.size ?? null) : null;
  const indexKey = indexKeyKind(table, effect.node);
  return estimateFact(effect.fact.id, pgVersion, table.size, {
    ...(throughput ? { throughput } : {}),
    ...(referenced ? { referenced } : {}),
    ...(indexKey ? { indexKey } : {}),
  });
}

/** An estimate as findings and plans carry it: whole milliseconds, the kind of work, what it is based on. */
export function estimateRecord(e: Estimate): { ms: number; lowMs: number; highMs: number; work: string; basis: string } {
  return { ms: Math.round(e.ms), lowMs: Math.round(e.lowMs), highMs: Math.round(e.highMs), work: e.kind, basis: e.basis };
}

/** 'fixed-width' when every key column of the index a statement builds has a fixed-width type; undefined when unknown (the slower text rate is used). */
function indexKeyKind(table: RelationModel, node: any): 'fixed-width' | 'text' | undefined {
  const names = keyColumns(node);
  if (!names || names.length === 0) return undefined;
  const types = names.map((n) => table.columns.get(n)?.type);
  if (types.some((t) => !t || t.name === 'unknown')) return undefined;
  return types.every((t) => !t!.array && FIXED_WIDTH.has(t!.name)) ? 'fixed-width' : 'text';
}

/** The key columns of an index build: CREATE INDEX's elements, or a UNIQUE / PRIMARY KEY constraint's keys; null for expressions. */
function keyColumns(node: any): string[] | null {
  const params = node?.indexParams;
  if (Array.isArray(params)) {
    const out: string[] = [];
    for (const p of params) {
      const el = p?.IndexElem;
      // An expression key: its type is not modelled.
      if (!el?.name) return null;
      out.push(String(el.name));
    }
    return out;
  }
  const con = node?.def?.Constraint ?? node?.Constraint ?? (node?.contype ? node : null);
  if (con?.keys) return con.keys.map(stringValue);
  return null;
}
