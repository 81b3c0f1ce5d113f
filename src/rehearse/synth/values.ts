/**
 * Per-type value generators: from a column's statistics, a sorted pool of distinct values
 * that follows the histogram (values between bounds interpolated for numbers and times,
 * made from the bounds for text), kept apart from the most common values, with the
 * widths pg_stats reports. Values come out as COPY text, already escaped.
 */
import type { ColumnStats } from '../contract.js';
import { parseArrayLiteral } from '../stats.js';

export type Family = 'int' | 'num' | 'float' | 'timestamptz' | 'timestamp' | 'date' | 'text' | 'bool' | 'uuid' | 'json' | 'bytea' | 'enum' | 'array' | 'verbatim';

export interface TypeShape {
  family: Family;
  /** varchar(n) / char(n) length, numeric scale. */
  maxLen?: number;
  scale?: number;
  enumLabels?: string[];
  /** Arrays: the element's shape. */
  elem?: TypeShape;
  /** Text-like element needing quotes inside an array literal. */
  typeName: string;
}

/** A deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** COPY text escaping. */
export function copyEscape(s: string): string {
  return /[\\\t\n\r]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s;
}

export const NULL = '\\N';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A multiplier coprime with n, for a stride permutation of 0..n-1: k -> (k * m + o) mod n. */
export function stride(n: number, r: () => number): { m: number; o: number } {
  if (n <= 1) return { m: 1, o: 0 };
  let m = Math.max(1, Math.floor(n * 0.6180339887) + Math.floor(r() * 7));
  while (gcd(m, n) !== 1) m++;
  return { m: m % n || 1, o: Math.floor(r() * n) };
}

/** (k * m + o) mod n without losing precision past 2^53. */
export function permute(k: number, n: number, s: { m: number; o: number }): number {
  if (k * s.m < 2 ** 52) return (k * s.m + s.o) % n;
  return Number((BigInt(k) * BigInt(s.m) + BigInt(s.o)) % BigInt(n));
}

/** Value of the equi-depth histogram at quantile q (numbers). */
function quantile(h: number[], q: number): number {
  if (h.length === 1) return h[0]!;
  const pos = q * (h.length - 1);
  const lo = Math.min(h.length - 2, Math.floor(pos));
  return h[lo]! + (h[lo + 1]! - h[lo]!) * (pos - lo);
}

function parseTime(s: string): number {
  if (/^-?infinity$/.test(s) || / BC$/.test(s)) return NaN;
  let t = s.replace(' ', 'T');
  if (/[+-]\d\d$/.test(t)) t += ':00';
  else if (!/(Z|[+-]\d\d:\d\d)$/.test(t)) t += t.length <= 10 ? 'T00:00:00Z' : 'Z';
  return Date.parse(t);
}

function formatTime(ms: number, fam: Family): string {
  const iso = new Date(ms).toISOString();
  if (fam === 'date') return iso.slice(0, 10);
  if (fam === 'timestamp') return iso.slice(0, 23).replace('T', ' ');
  return `${iso.slice(0, 23).replace('T', ' ')}+00`;
}

function decimals(values: string[]): number {
  let d = 0;
  for (const v of values) {
    const i = v.indexOf('.');
    if (i >= 0 && !/e/i.test(v)) d = Math.max(d, v.length - i - 1);
  }
  return Math.min(d, 6);
}

const FIXED_WIDTH: Partial<Record<Family, number>> = { int: 8, float: 8, num: 8, timestamptz: 8, timestamp: 8, date: 4, bool: 1, uuid: 16, enum: 4 };

/** Stats for a column with none (no SELECT on production, never analyzed): unique-ish values of the width the table's size implies. */
export function defaultStats(shape: TypeShape, width: number, notNull: boolean): ColumnStats {
  const small = shape.family === 'bool' ? 2 : shape.family === 'enum' ? (shape.enumLabels?.length ?? 1) : -1;
  return { nullFrac: notNull ? 0 : 0, avgWidth: FIXED_WIDTH[shape.family] ?? width, nDistinct: small, mostCommon: [], histogram: [], correlation: null };
}

export function fixedWidth(shape: TypeShape): number | undefined {
  return FIXED_WIDTH[shape.family];
}

/**
 * `count` distinct values (raw text, unescaped), ascending in the histogram's order, none equal
 * to an excluded (most common) value. Fewer when the type has fewer (bool, enum, verbatim).
 */
export function distinctPool(shape: TypeShape, st: ColumnStats, count: number, exclude: Set<string>, r: () => number, targetLen: number): string[] {
  const out: string[] = [];
  const hist = st.histogram;
  const f = shape.family;
  const n = Math.max(0, Math.floor(count));
  if (n === 0) return out;
  if (f === 'int' || f === 'num' || f === 'float' || f === 'timestamptz' || f === 'timestamp' || f === 'date') {
    const isTime = f === 'timestamptz' || f === 'timestamp' || f === 'date';
    const parse = isTime ? parseTime : Number;
    const dec = f === 'int' ? 0 : f === 'num' ? (shape.scale ?? Math.max(decimals(hist), decimals(st.mostCommon.map((m) => m.value)))) : Math.max(2, decimals(hist));
    const unit = isTime ? (f === 'date' ? 86_400_000 : 1) : 10 ** -dec;
    let h = hist.map(parse).filter((x) => Number.isFinite(x));
    if (h.length < 2) {
      const m = st.mostCommon.map((x) => parse(x.value)).filter((x) => Number.isFinite(x));
      const base = isTime ? Date.UTC(2024, 0, 1) : m.length ? Math.max(...m) + 1 * unit : 1;
      const span = isTime ? 365 * 86_400_000 : Math.max(n, 1) * unit;
      h = [base, base + span];
    }
    const fmt = (u: number) => (isTime ? formatTime(u * unit, f) : dec === 0 ? String(u) : (u / 10 ** dec).toFixed(dec));
    let prev = -Infinity;
    for (let j = 0; j < n; j++) {
      const x = quantile(h, (j + r()) / n);
      let u = Math.round(x / unit);
      if (u <= prev) u = prev + 1;
      let s = fmt(u);
      while (exclude.has(s)) s = fmt(++u);
      prev = u;
      out.push(s);
    }
    return out;
  }
  if (f === 'text' || f === 'json' || f === 'bytea') {
    const w = Math.max(1, n.toString(36).length);
    const maxLen = shape.maxLen ?? Infinity;
    const len = Math.max(w, Math.min(maxLen, Math.round(f === 'json' ? targetLen - 9 : f === 'bytea' ? targetLen : targetLen)));
    for (let j = 0; j < n; j++) {
      const suffix = j.toString(36).padStart(w, '0');
      let s: string;
      if (f === 'text') {
        const src = hist.length ? hist[Math.min(hist.length - 1, Math.floor(((j + 0.5) / n) * hist.length))]! : 'v';
        let prefix = src.slice(0, Math.max(0, len - w));
        while (prefix.length < len - w) prefix += String.fromCharCode(97 + Math.floor(r() * 26));
        s = prefix + suffix;
        while (exclude.has(s) && s.length < maxLen) s += 'x';
      } else if (f === 'json') {
        let pad = '';
        while (pad.length < len - w) pad += String.fromCharCode(97 + Math.floor(r() * 26));
        s = `{"v": "${pad}${suffix}"}`;
      } else {
        let hex = Buffer.from(suffix).toString('hex');
        while (hex.length < len * 2) hex += Math.floor(r() * 256).toString(16).padStart(2, '0');
        s = `\\x${hex}`;
      }
      out.push(s);
    }
    return out;
  }
  if (f === 'uuid') {
    for (let j = 0; j < n; j++) {
      let hex = '';
      for (let k = 0; k < 4; k++) hex += Math.floor(r() * 4294967296).toString(16).padStart(8, '0');
      out.push(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`);
    }
    return out;
  }
  if (f === 'bool') return ['f', 't'].filter((v) => !exclude.has(v)).slice(0, n);
  if (f === 'enum') return (shape.enumLabels ?? []).filter((v) => !exclude.has(v)).slice(0, n);
  if (f === 'array' && shape.elem) {
    const samples = [...st.mostCommon.map((m) => m.value), ...hist];
    const elems = samples.flatMap((s) => parseArrayLiteral(s).filter((e): e is string => e !== null));
    const perArray = samples.length ? Math.max(1, Math.round(elems.length / samples.length)) : 3;
    const elemStats: ColumnStats = { ...st, histogram: [...new Set(elems)].sort(), mostCommon: [] };
    const elemLen = Math.max(1, Math.round((targetLen - 21) / Math.max(1, perArray) - 1));
    const first = distinctPool(shape.elem, elemStats, n, new Set(), r, elemLen);
    const others = distinctPool(shape.elem, elemStats, Math.max(16, Math.min(1000, n)), new Set(), r, elemLen);
    const quote = (e: string) => (shape.elem!.family === 'text' || shape.elem!.family === 'json' || shape.elem!.family === 'verbatim' ? `"${e.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : e);
    for (let j = 0; j < first.length; j++) {
      const parts = [quote(first[j]!)];
      for (let k = 1; k < perArray && others.length; k++) parts.push(quote(others[Math.floor(r() * others.length)]!));
      const s = `{${parts.join(',')}}`;
      if (!exclude.has(s)) out.push(s);
    }
    return out;
  }
  // verbatim: the histogram's own values (valid literals of any type).
  return [...new Set(hist)].filter((v) => !exclude.has(v)).slice(0, n);
}
