/**
 * Whether ALTER COLUMN ... TYPE rewrites the table, and whether it narrows the
 * column (values that fit today may not fit after). Binary-coercible changes are
 * catalog-only: PostgreSQL docs, ALTER TABLE: "when changing the type of an
 * existing column, if the USING clause does not change the column contents and
 * the old type is either binary coercible to the new type or an unconstrained
 * domain over the new type, a table rewrite is not needed".
 */
import { formatType, type TypeRef } from '../sql/ast.js';
import { SUPPLY_SCHEMA } from '../schema/model.js';

export type TypeChangeCost = 'none' | 'binary-compatible' | 'rewrite' | 'unknown-rewrite';

export interface TypeChangeVerdict {
  cost: TypeChangeCost;
  /** Values that fit the old type may not fit the new one. */
  narrowing: boolean;
  reason: string;
}

const INT_WIDTH: Record<string, number> = { int2: 2, int4: 4, int8: 8, smallserial: 2, serial: 4, bigserial: 8 };
const TEXTUAL = new Set(['varchar', 'text']);

function fmt(t: TypeRef): string {
  return formatType(t);
}

export function typeChange(from: TypeRef | null, to: TypeRef, usingTrivial: boolean): TypeChangeVerdict {
  if (!from || from.name === 'unknown') {
    return { cost: 'unknown-rewrite', narrowing: false, reason: `the column's current type is not known (${SUPPLY_SCHEMA})` };
  }
  const narrowing = isNarrowing(from, to);
  if (!usingTrivial) return { cost: 'rewrite', narrowing, reason: 'the USING expression changes every value' };
  if (from.array !== to.array) return { cost: 'rewrite', narrowing, reason: `${fmt(from)} -> ${fmt(to)} changes the array-ness` };
  if (from.name === to.name && from.schema === to.schema && from.mods.join(',') === to.mods.join(',')) {
    return { cost: 'none', narrowing: false, reason: 'same type' };
  }
  // varchar(n) -> varchar(m >= n) / varchar / text; text -> varchar (unlimited)
  if (TEXTUAL.has(from.name) && TEXTUAL.has(to.name)) {
    const fromLen = from.name === 'varchar' ? (from.mods[0] ?? Infinity) : Infinity;
    const toLen = to.name === 'varchar' ? (to.mods[0] ?? Infinity) : Infinity;
    if (toLen >= fromLen) return { cost: 'binary-compatible', narrowing: false, reason: `${fmt(from)} -> ${fmt(to)} is binary coercible` };
    return { cost: 'rewrite', narrowing: true, reason: `${fmt(from)} -> ${fmt(to)} must check and may truncate every value` };
  }
  if (from.name === 'numeric' && to.name === 'numeric') {
    if (to.mods.length === 0) return { cost: 'binary-compatible', narrowing: false, reason: 'numeric(p,s) -> numeric is binary coercible' };
    const [fp, fs = 0] = from.mods;
    const [tp, ts = 0] = to.mods;
    if (fp !== undefined && tp !== undefined && tp >= fp && ts === fs) {
      return { cost: 'binary-compatible', narrowing: false, reason: `numeric(${fp},${fs}) -> numeric(${tp},${ts}) keeps the scale and widens the precision` };
    }
    return { cost: 'rewrite', narrowing, reason: `${fmt(from)} -> ${fmt(to)} changes the scale or narrows the precision` };
  }
  if ((from.name === 'varbit' && to.name === 'varbit') || (from.name === 'bit' && to.name === 'varbit')) {
    const fromLen = from.mods[0] ?? Infinity;
    const toLen = to.mods[0] ?? Infinity;
    if (from.name === 'varbit' && toLen >= fromLen) return { cost: 'binary-compatible', narrowing: false, reason: 'varbit widening is binary coercible' };
  }
  if (from.name === 'cidr' && to.name === 'inet') return { cost: 'binary-compatible', narrowing: false, reason: 'cidr -> inet is binary coercible' };
  if ((from.name === 'timestamp' && to.name === 'timestamptz') || (from.name === 'timestamptz' && to.name === 'timestamp')) {
    return {
      cost: 'rewrite',
      narrowing: false,
      reason: `${from.name} -> ${to.name} rewrites the table unless the session TimeZone is UTC (PostgreSQL 12+)`,
    };
  }
  return { cost: 'rewrite', narrowing, reason: `${fmt(from)} -> ${fmt(to)} is not binary coercible` };
}

export function isNarrowing(from: TypeRef, to: TypeRef): boolean {
  const fw = INT_WIDTH[from.name];
  const tw = INT_WIDTH[to.name];
  if (fw !== undefined && tw !== undefined) return tw < fw;
  if (TEXTUAL.has(from.name) || from.name === 'bpchar') {
    const fromLen = from.name === 'text' ? Infinity : (from.mods[0] ?? (from.name === 'bpchar' ? 1 : Infinity));
    if (to.name === 'varchar' || to.name === 'bpchar') {
      const toLen = to.mods[0] ?? (to.name === 'bpchar' ? 1 : Infinity);
      return toLen < fromLen;
    }
    return false;
  }
  if (from.name === 'numeric' && to.name === 'numeric' && to.mods.length > 0) {
    if (from.mods.length === 0) return true;
    const [fp, fs = 0] = from.mods;
    const [tp, ts = 0] = to.mods;
    if (fp === undefined || tp === undefined) return false;
    return ts < fs || tp - ts < fp - fs;
  }
  if (from.name === 'float8' && to.name === 'float4') return true;
  if ((fw !== undefined || from.name === 'numeric') && tw !== undefined) return true;
  if (from.name === 'timestamptz' && to.name === 'date') return true;
  if (from.name === 'timestamp' && to.name === 'date') return true;
  return false;
}
