/**
 * Synthetic data on the scratch database, made from production's statistics (stats.ts).
 *
 * Per table, in foreign-key order (parents first), `rows(table, productionRows)` rows:
 * - each column reproduces pg_stats: NULL fraction, most common values at their
 *   frequencies, the other values drawn evenly from a pool of distinct values that follows
 *   the histogram, sized from n_distinct, of the average width;
 * - a single-column key (PRIMARY KEY, UNIQUE, a unique index) takes each value once; a
 *   composite key is enumerated over its columns' values (a stride through their product),
 *   so no tuple repeats; a foreign key takes its values from the parent's generated keys,
 *   skewed as the child column's statistics say;
 * - rows are streamed with COPY (pg-copy-streams, text format) into tables without keys,
 *   indexes or CHECKs. After the load the rows a CHECK, a domain CHECK, a partial or
 *   expression unique index or a dangling foreign key would refuse are deleted (and counted
 *   in `dropped`), then schema-copy.ts builds the constraints: one that fails is an error.
 *
 * Deterministic for a seed (each table's generator is seeded by the seed and its name).
 * Not reproduced here: correlation between columns and the physical order (pg_stats.correlation);
 * prepareScratch (data.ts) clusters a table on an index whose column production keeps in order.
 */
import { finished, pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { connect, redactError, ApplyError, type Client } from '../db/connection.js';
import type { ColumnStats, ProductionStats, SynthOptions, SynthResult } from './contract.js';
import { qi, qkey, resolveType, type ColumnDef, type ConstraintDef, type SchemaDefinitions, type TableDef, type TypeInfo } from './definitions.js';
import { checkExpression, createSchemaAfterLoad, createSchemaBeforeLoad, domainChain, domainCheckOnColumn } from './schema-copy.js';
import { loadParser, parseRaw } from '../sql/parser.js';
import { readProductionStats, TEXT_SETTINGS, type ReadStatsOptions } from './stats.js';
import { NULL, copyEscape, defaultStats, distinctPool, fixedWidth, hashString, permute, rng, stride, type TypeShape } from './synth/values.js';

export interface GenerateResult extends SynthResult {
  notes: string[];
  /** Rows deleted after the load because a constraint would refuse them, per table. */
  dropped: Map<string, number>;
  /** Constraints or indexes that could not be built on the generated data (none expected). */
  constraintErrors: string[];
}

/** Shape of a column's type, through its domains. */
export function typeShape(defs: SchemaDefinitions, typeOid: number, typmod: number): TypeShape {
  const { base, domains } = resolveType(defs, typeOid);
  const mod = typmod >= 0 ? typmod : (domains.find((d) => d.typmod >= 0)?.typmod ?? -1);
  return shapeOf(defs, base, mod);
}

function shapeOf(defs: SchemaDefinitions, t: TypeInfo | undefined, mod: number): TypeShape {
  if (!t) return { family: 'verbatim', typeName: '?' };
  const name = t.name;
  if (t.category === 'A' && t.elemOid) {
    const { base } = resolveType(defs, t.elemOid);
    return { family: 'array', typeName: name, elem: shapeOf(defs, base, mod) };
  }
  if (t.typtype === 'e') return { family: 'enum', typeName: name, enumLabels: defs.enums.find((e) => e.oid === t.oid)?.labels ?? [] };
  switch (name) {
    case 'int2':
    case 'int4':
    case 'int8':
    case 'oid':
      return { family: 'int', typeName: name };
    case 'numeric':
      return { family: 'num', typeName: name, scale: mod >= 4 ? (mod - 4) & 0xffff : undefined };
    case 'float4':
    case 'float8':
      return { family: 'float', typeName: name };
    case 'timestamptz':
    case 'timestamp':
    case 'date':
      return { family: name, typeName: name };
    case 'text':
    case 'name':
    case 'citext':
      return { family: 'text', typeName: name };
    case 'varchar':
    case 'bpchar':
      return { family: 'text', typeName: name, maxLen: mod >= 4 ? mod - 4 : name === 'bpchar' ? 1 : undefined };
    case 'bool':
      return { family: 'bool', typeName: name };
    case 'uuid':
      return { family: 'uuid', typeName: name };
    case 'json':
    case 'jsonb':
      return { family: 'json', typeName: name };
    case 'bytea':
      return { family: 'bytea', typeName: name };
    default:
      return { family: 'verbatim', typeName: name };
  }
}

interface KeyStore {
  /** Per referenced column list (joined by \0): row-aligned escaped values. */
  columns: string[];
  values: string[][];
}

/** A value source for one row: called once per row, in column order. */
type Draw = () => string;

/** Leaf tables (the ones holding rows) in foreign-key order, parents first; cycles broken where found. */
function loadOrder(defs: SchemaDefinitions, leaves: TableDef[]): { order: TableDef[]; cyclic: Set<string> } {
  const leavesOf = (key: string): string[] => {
    const t = defs.tables.get(key);
    if (!t) return [];
    if (!t.partitioned) return [key];
    return [...defs.tables.values()].filter((c) => c.parent === key).flatMap((c) => leavesOf(c.key));
  };
  const deps = new Map<string, Set<string>>();
  for (const l of leaves) deps.set(l.key, new Set());
  for (const k of defs.constraints) {
    if (k.type !== 'f' || !k.refTable) continue;
    for (const child of leavesOf(k.table)) for (const p of leavesOf(k.refTable)) if (p !== child) deps.get(child)?.add(p);
  }
  const order: TableDef[] = [];
  const state = new Map<string, number>();
  const cyclic = new Set<string>();
  const visit = (key: string) => {
    const s = state.get(key);
    if (s === 2) return;
    if (s === 1) {
      cyclic.add(key);
      return;
    }
    state.set(key, 1);
    for (const d of deps.get(key) ?? []) visit(d);
    state.set(key, 2);
    order.push(defs.tables.get(key)!);
  };
  for (const l of leaves) visit(l.key);
  return { order, cyclic };
}

/** Constraints that apply to a leaf: its own rows and those inherited from its parents. */
function constraintsOf(defs: SchemaDefinitions, t: TableDef): ConstraintDef[] {
  return defs.constraints.filter((k) => k.table === t.key);
}

/** The referenced key columns of a foreign key (its parent's primary key when not named). */
function refColumns(defs: SchemaDefinitions, k: ConstraintDef): string[] {
  if (k.refColumns.length) return k.refColumns;
  return defs.constraints.find((p) => p.table === k.refTable && p.type === 'p')?.columns ?? [];
}

export async function generateData(stats: ProductionStats, scratchUrl: string, opts: SynthOptions): Promise<GenerateResult> {
  const defs = stats.definitions;
  if (!defs) throw new ApplyError('the production statistics carry no schema definitions: read them with readProductionStats');
  let client: Client;
  try {
    client = await connect(scratchUrl, { applicationName: 'ddlguard rehearse' });
  } catch (e) {
    throw new ApplyError(`cannot connect to the scratch database: ${redactError(e, scratchUrl).message}`);
  }
  const notes: string[] = [];
  const extra: Client[] = [];
  const dropped = new Map<string, number>();
  const rowsOut = new Map<string, number>();
  const started = performance.now();
  try {
    await Promise.all([client.query(TEXT_SETTINGS), loadParser()]);
    const existing = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'ddlguard') AND left(n.nspname, 3) <> 'pg_'`,
    );
    if ((existing.rows[0]?.n ?? 0) > 0) throw new ApplyError(`the scratch database is not empty (${existing.rows[0]!.n} ${existing.rows[0]!.n === 1 ? 'table' : 'tables'}): give rehearse an empty database`);
    const pre = await createSchemaBeforeLoad(client, defs);
    notes.push(...pre.notes);
    const leaves = [...defs.tables.values()].filter((t) => !t.partitioned);
    const { order, cyclic } = loadOrder(defs, leaves);
    if (cyclic.size) notes.push(`foreign-key cycle through ${[...cyclic].join(', ')}: a key there is drawn before its parent exists; rows left dangling are dropped after the load.`);

    // Generated key values of tables a foreign key references (leaf key -> stores).
    const needed = new Map<string, Set<string>>();
    const leavesOf = (key: string): string[] => {
      const t = defs.tables.get(key);
      if (!t) return [];
      return t.partitioned ? [...defs.tables.values()].filter((c) => c.parent === key).flatMap((c) => leavesOf(c.key)) : [key];
    };
    for (const k of defs.constraints) {
      if (k.type !== 'f' || !k.refTable || k.inherited) continue;
      for (const leaf of leavesOf(k.refTable)) {
        if (!needed.has(leaf)) needed.set(leaf, new Set());
        needed.get(leaf)!.add(refColumns(defs, k).join('\0'));
      }
    }
    const keys = new Map<string, KeyStore[]>();
    const parentValues = (refTable: string, cols: string[]): string[][] | null => {
      const id = cols.join('\0');
      const parts = leavesOf(refTable).map((l) => keys.get(l)?.find((s) => s.columns.join('\0') === id)?.values);
      if (parts.some((p) => p === undefined)) return null;
      return (parts as string[][][]).reduce<string[][]>((acc, p) => (acc.length ? acc.map((a, i) => a.concat(p[i]!)) : p.map((x) => [...x])), []);
    };

    const streams = Math.max(1, Math.floor(opts.streams ?? Number(process.env.DDLGUARD_SYNTH_STREAMS ?? 1)));
    for (let i = 1; i < streams; i++) {
      const c = await connect(scratchUrl, { applicationName: 'ddlguard rehearse' });
      extra.push(c);
      await c.query(TEXT_SETTINGS);
    }
    let totalRows = 0;
    let genMs = 0;
    for (const t of order) {
      const rel = stats.model.relations.get(t.key);
      const target = Math.max(0, Math.round(opts.rows(t.key, rel?.size?.rows ?? null)));
      const t0 = performance.now();
      const made = await loadTable(client, extra, defs, stats, t, target, opts.seed, needed.get(t.key), keys, parentValues, notes);
      genMs += performance.now() - t0;
      rowsOut.set(t.key, made);
      totalRows += made;
    }

    // Rows a constraint would refuse, parents first.
    const repaired: string[] = [];
    for (const t of order) {
      const v = await dropViolations(client, defs, t);
      if (v.repaired) repaired.push(`${t.key} ${v.repaired}`);
      if (v.dropped) {
        dropped.set(t.key, v.dropped);
        rowsOut.set(t.key, (rowsOut.get(t.key) ?? 0) - v.dropped);
      }
    }
    if (repaired.length) notes.push(`rows a CHECK refused, given the checked columns of rows it accepts: ${repaired.join(', ')}`);
    const post = await createSchemaAfterLoad(client, defs);
    notes.push(...post.notes);
    for (const t of defs.tables.values()) if (!t.parent) await client.query(`VACUUM (ANALYZE) ${qkey(t.key)}`);
    const ms = performance.now() - started;
    if ([...dropped.values()].some((n) => n > 0)) notes.push(`rows dropped after the load (a CHECK, a unique index or a foreign key refused them): ${[...dropped].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    return { rows: rowsOut, ms, rowsPerSec: genMs > 0 ? (totalRows / genMs) * 1000 : 0, notes, dropped, constraintErrors: post.errors };
  } catch (e) {
    if (e instanceof ApplyError && /^(cannot |the scratch)/.test(e.message)) throw e;
    throw new ApplyError(`generating the scratch data failed: ${redactError(e, scratchUrl).message}`, redactError(e).code);
  } finally {
    await client.end().catch(() => {});
    for (const c of extra) await c.end().catch(() => {});
  }
}

/** Reads production's statistics and fills the scratch database from them (schema included). */
export async function loadRehearsalData(
  production: string | ProductionStats,
  scratchUrl: string,
  opts: SynthOptions & ReadStatsOptions,
): Promise<GenerateResult & { stats: ProductionStats }> {
  const stats = typeof production === 'string' ? await readProductionStats(production, opts) : production;
  const result = await generateData(stats, scratchUrl, opts);
  return { ...result, notes: [...stats.missing, ...result.notes], stats };
}

/** Average width of columns without statistics, from the table's heap bytes per row. */
function widthGuess(defs: SchemaDefinitions, stats: ProductionStats, t: TableDef, shapes: TypeShape[]): number {
  const size = stats.model.relations.get(t.key)?.size;
  if (!size?.rows) return 16;
  const perRow = size.heapBytes / size.rows - 28;
  let fixed = 0;
  let variable = 0;
  for (const s of shapes) {
    const w = fixedWidth(s);
    if (w) fixed += w;
    else variable++;
  }
  return variable ? Math.max(4, Math.min(2000, Math.round((perRow - fixed) / variable))) : 16;
}

async function loadTable(
  client: Client,
  extra: Client[],
  defs: SchemaDefinitions,
  stats: ProductionStats,
  t: TableDef,
  target: number,
  seed: number,
  needed: Set<string> | undefined,
  keys: Map<string, KeyStore[]>,
  parentValues: (refTable: string, cols: string[]) => string[][] | null,
  notes: string[],
): Promise<number> {
  const r = rng(seed ^ hashString(t.key));
  const cols = t.columns.filter((c) => !c.generated);
  const colStats = stats.columns.get(t.key) ?? new Map<string, ColumnStats | null>();
  const shapes = cols.map((c) => typeShape(defs, c.typeOid, c.typmod));
  const guess = widthGuess(defs, stats, t, shapes);
  const notNull = cols.map((c) => c.notNull || domainChain(defs, c.typeOid).some((d) => d.notNull));
  const st = cols.map((c, i) => colStats.get(c.name) ?? defaultStats(shapes[i]!, guess, notNull[i]!));
  const index = new Map(cols.map((c, i) => [c.name, i]));
  const cons = constraintsOf(defs, t);
  const n = target;
  const draws: Array<Draw | null> = cols.map(() => null);
  let rowNo = 0;
  let limit = n;
  const n_cap = (x: number) => {
    limit = Math.min(limit, x);
  };

  // Single-column unique sets: PK / UNIQUE constraints and full unique indexes on one plain column.
  const uniqueSingle = new Set<string>();
  for (const k of cons) if ((k.type === 'p' || k.type === 'u') && k.columns.length === 1) uniqueSingle.add(k.columns[0]!);
  for (const ix of defs.indexes) {
    if (ix.table === t.key && ix.unique && !ix.predicate && ix.keys.length === 1) {
      const name = unquote(ix.keys[0]!);
      if (name && index.has(name)) uniqueSingle.add(name);
    }
  }
  const fks = cons.filter((k) => k.type === 'f' && k.refTable);

  // Key values other tables reference.
  const stores: KeyStore[] = [...(needed ?? [])].map((id) => ({ columns: id.split('\0'), values: id.split('\0').map(() => []) }));
  keys.set(t.key, stores);
  const storeCols = stores.map((s) => s.columns.map((c) => index.get(c) ?? -1));
  // Foreign keys: values from the parent's generated keys.
  const fkDraw = (k: ConstraintDef, unique: boolean): Array<Draw> | null => {
    const pcols = refColumns(defs, k);
    const idx0 = k.columns.map((c) => index.get(c)!);
    if (k.refTable === t.key) {
      // A self reference: a row generated before this one (NULL for the first, when allowed).
      const store = stores.find((x) => x.columns.join('\0') === pcols.join('\0'));
      if (!store) return null;
      const nullFrac = idx0.some((i) => notNull[i]) ? 0 : st[idx0[0]!]!.nullFrac;
      let at = -1;
      let curRow = -1;
      const pick = () => {
        if (curRow !== rowNo) {
          curRow = rowNo;
          at = rowNo === 0 || r() < nullFrac ? -1 : Math.floor(r() * rowNo);
        }
        return at;
      };
      return idx0.map((_, ci) => () => {
        const p = pick();
        return p < 0 ? NULL : store.values[ci]![p]!;
      });
    }
    const pv = parentValues(k.refTable!, pcols);
    const idx = k.columns.map((c) => index.get(c)!);
    if (!pv) {
      // Parent not generated yet (a cycle): NULL when allowed, else values of the column's own statistics.
      if (idx.every((i) => !notNull[i])) return idx.map(() => () => NULL);
      return null;
    }
    const rowsP = pv[0]?.length ?? 0;
    const ok: number[] = [];
    for (let j = 0; j < rowsP; j++) if (pv.every((col) => col[j] !== NULL)) ok.push(j);
    const s0 = st[idx[0]!]!;
    const nullFrac = idx.some((i) => notNull[i]) ? 0 : s0.nullFrac;
    if (ok.length === 0) return idx.map(() => () => NULL);
    const P = ok.length;
    const map = stride(P, r);
    const distinct = unique ? P : Math.max(1, Math.min(P, s0.nDistinct < 0 ? Math.round(-s0.nDistinct * n) : Math.round(s0.nDistinct)));
    const mcv = unique ? [] : s0.mostCommon.slice(0, distinct);
    const cum: number[] = [];
    let acc = 0;
    for (const m of mcv) cum.push((acc += m.freq));
    const rest = Math.max(1, distinct - mcv.length);
    const restStride = stride(rest, r);
    let k2 = 0;
    let cur = -1;
    let curRow = -1;
    const pick = (): number => {
      if (curRow === rowNo) return cur;
      curRow = rowNo;
      if (unique) return (cur = k2 < P ? ok[permute(k2++, P, map)]! : -1);
      const x = r();
      if (x < nullFrac) return (cur = -1);
      const y = x - nullFrac;
      let slot: number;
      if (y < acc) slot = bsearch(cum, y);
      else slot = mcv.length + permute(k2++ % rest, rest, restStride);
      return (cur = ok[permute(slot % P, P, map)]!);
    };
    return idx.map((_, ci) => () => {
      const p = pick();
      return p < 0 ? NULL : pv[ci]![p]!;
    });
  };

  // A column's own values.
  // LIKE patterns a CHECK or a domain puts on a text column: values made to match them.
  const likes = cols.map((c) => {
    const defsText = [
      ...cons.filter((k) => k.type === 'c').map((k) => k.def),
      ...domainChain(defs, c.typeOid).flatMap((d) => d.checks.map((x) => x.def.replace(/\bVALUE\b/g, qi(c.name)))),
    ];
    const out: string[] = [];
    for (const d of defsText) {
      const re = /("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\s+~~\s+'((?:[^']|'')*)'/g;
      for (let m = re.exec(d); m; m = re.exec(d)) if ((unquote(m[1]!) ?? m[1]) === c.name) out.push(m[2]!.replace(/''/g, "'"));
    }
    return out;
  });
  const conform = (i: number, values: string[]): string[] => {
    const patterns = likes[i]!;
    if (!patterns.length || shapes[i]!.family !== 'text') return values;
    const res = patterns.map((p) => new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 's'));
    const p0 = patterns[0]!;
    return values.map((v) => {
      if (res.every((re) => re.test(v))) return v;
      let first = true;
      return p0.replace(/%|_/g, (ch) => (ch === '%' ? (first ? ((first = false), v) : '') : 'x'));
    });
  };

  const columnDraw = (i: number, unique: boolean): Draw => {
    const s = st[i]!;
    const shape = shapes[i]!;
    const nullFrac = notNull[i] ? 0 : s.nullFrac;
    const nonNull = Math.max(1, Math.round(n * (1 - nullFrac)));
    if (unique) {
      const pool = conform(i, distinctPool(shape, { ...s, mostCommon: [] }, nonNull, new Set(), r, textLen(s, shape, 0, 0))).map(copyEscape);
      const P = pool.length;
      const map = stride(P, r);
      let k = 0;
      return () => (nullFrac && r() < nullFrac) || k >= P ? NULL : pool[permute(k++, P, map)]!;
    }
    const distinct = s.nDistinct < 0 ? Math.max(1, Math.round(-s.nDistinct * n)) : Math.max(1, Math.round(Math.min(s.nDistinct, nonNull)));
    const mcv = s.mostCommon.slice(0, distinct);
    const mcvSet = new Set(mcv.map((m) => m.value));
    const mcvFreq = mcv.reduce((a, m) => a + m.freq, 0);
    const restFrac = Math.max(0, 1 - nullFrac - mcvFreq);
    const restCount = restFrac > 1e-9 ? Math.max(1, distinct - mcv.length) : 0;
    const mcvLen = mcv.reduce((a, m) => a + m.freq * m.value.length, 0);
    const pool = conform(i, distinctPool(shape, s, restCount, mcvSet, r, textLen(s, shape, mcvLen, restFrac))).map(copyEscape);
    const mcvText = mcv.map((m) => copyEscape(m.value));
    const cum: number[] = [];
    let acc = 0;
    // Most common values at their frequencies; when no other value exists they share the rest.
    const scale = pool.length ? 1 : (1 - nullFrac) / Math.max(1e-9, mcvFreq);
    for (const m of mcv) cum.push((acc += m.freq * scale));
    const P = pool.length;
    const map = stride(Math.max(1, P), r);
    let k = 0;
    if (!P && !mcv.length) {
      notes.push(`${t.key}.${cols[i]!.name}: no value could be made for type ${shape.typeName}${notNull[i] ? '' : ' (left NULL)'}`);
      return () => NULL;
    }
    return () => {
      const x = r();
      if (x < nullFrac) return NULL;
      const y = x - nullFrac;
      if (y < acc || !P) return mcvText[Math.min(mcvText.length - 1, bsearch(cum, y))]!;
      return pool[permute(k++ % P, P, map)]!;
    };
  };

  // Composite key: enumerated over its columns' value lists (foreign-key groups as one digit).
  const pk = cons.find((k) => k.type === 'p' && k.columns.length > 1) ?? cons.find((k) => k.type === 'u' && k.columns.length > 1);
  const enumerated = new Set<string>();
  if (pk) {
    type Digit = { cols: number[]; values: string[][] };
    const digits: Digit[] = [];
    const covered = new Set<string>();
    for (const fk of fks) {
      if (!fk.columns.every((c) => pk.columns.includes(c)) || fk.columns.some((c) => covered.has(c))) continue;
      const pv = parentValues(fk.refTable!, refColumns(defs, fk));
      if (!pv) continue;
      const seen = new Set<string>();
      const tuples: string[][] = pv.map(() => []);
      for (let j = 0; j < (pv[0]?.length ?? 0); j++) {
        const tup = pv.map((c) => c[j]!);
        const id = tup.join('\t');
        if (tup.includes(NULL) || seen.has(id)) continue;
        seen.add(id);
        tup.forEach((v, ci) => tuples[ci]!.push(v));
      }
      // As many parents as the child column's distinct count says, spread over all of them.
      const s0 = st[index.get(fk.columns[0]!)!]!;
      const all = tuples[0]!.length;
      const want = Math.max(1, Math.min(all, s0.nDistinct < 0 ? Math.round(-s0.nDistinct * n) : Math.round(s0.nDistinct) || all));
      const pick = stride(Math.max(1, all), r);
      const chosen = Array.from({ length: want }, (_, j) => permute(j, all, pick)).sort((a, b) => a - b);
      digits.push({ cols: fk.columns.map((c) => index.get(c)!), values: tuples.map((col) => chosen.map((j) => col[j]!)) });
      fk.columns.forEach((c) => covered.add(c));
    }
    for (const c of pk.columns) {
      if (covered.has(c)) continue;
      const i = index.get(c)!;
      const s = st[i]!;
      const d = s.nDistinct < 0 ? Math.round(-s.nDistinct * n) : s.nDistinct;
      digits.push({ cols: [i], values: [valueList(shapes[i]!, s, Math.max(1, d), r)] });
      covered.add(c);
    }
    let prod = digits.reduce((a, d) => a * Math.max(1, d.values[0]?.length ?? 0), 1);
    // Too few combinations: widen the last own column's value list.
    for (let di = digits.length - 1; prod < n && di >= 0; di--) {
      const d = digits[di]!;
      if (d.cols.length !== 1 || fks.some((f) => f.columns.includes(cols[d.cols[0]!]!.name))) continue;
      const others = prod / Math.max(1, d.values[0]!.length);
      const want = Math.ceil(n / Math.max(1, others)) + 1;
      d.values = [valueList(shapes[d.cols[0]!]!, st[d.cols[0]!]!, want, r)];
      prod = others * Math.max(1, d.values[0]!.length);
    }
    if (prod < n) notes.push(`${t.key}: its key ${pk.columns.join(', ')} has only ${prod} combinations; ${n - prod} rows fewer.`);
    const s = stride(Math.max(1, prod), r);
    const digitIndex = new Array<number>(digits.length).fill(0);
    let curRow = -1;
    const decode = () => {
      if (curRow === rowNo) return;
      curRow = rowNo;
      let x = permute(rowNo, prod, s);
      for (let di = digits.length - 1; di >= 0; di--) {
        const len = digits[di]!.values[0]!.length;
        digitIndex[di] = x % len;
        x = Math.floor(x / len);
      }
    };
    digits.forEach((d, di) =>
      d.cols.forEach((ci, k) => {
        enumerated.add(cols[ci]!.name);
        draws[ci] = () => {
          decode();
          return d.values[k]![digitIndex[di]!]!;
        };
      }),
    );
    if (prod < n) n_cap(prod);
  }

  for (const fk of fks) {
    if (fk.columns.some((c) => enumerated.has(c) || draws[index.get(c)!] !== null)) continue;
    const unique = fk.columns.length === 1 && uniqueSingle.has(fk.columns[0]!);
    const d = fkDraw(fk, unique);
    if (!d) continue;
    fk.columns.forEach((c, k) => (draws[index.get(c)!] = d[k]!));
    if (unique) n_cap(parentValues(fk.refTable!, refColumns(defs, fk))?.[0]?.length ?? n);
  }
  cols.forEach((c, i) => {
    if (!draws[i]) draws[i] = columnDraw(i, uniqueSingle.has(c.name));
  });


  const fns = draws as Draw[];
  const width = fns.length;
  const total = limit;
  const row = new Array<string>(width);
  async function* chunks(): AsyncGenerator<string> {
    // Lines gathered in an array and joined once per chunk (one allocation, no rope to flatten).
    let lines: string[] = [];
    for (rowNo = 0; rowNo < total; rowNo++) {
      for (let c = 0; c < width; c++) row[c] = fns[c]!();
      for (let si = 0; si < stores.length; si++) {
        const sc = storeCols[si]!;
        for (let k = 0; k < sc.length; k++) stores[si]!.values[k]!.push(sc[k]! >= 0 ? row[sc[k]!]! : NULL);
      }
      lines.push(row.join('\t'));
      if (lines.length === 4096) {
        lines.push('');
        yield lines.join('\n');
        lines = [];
      }
    }
    if (lines.length) {
      lines.push('');
      yield lines.join('\n');
    }
  }
  const tableName = qkey(t.key);
  const columnList = cols.map((c) => qi(c.name)).join(', ');
  const streams = extra.length + 1;
  if (streams === 1) {
    await client.query('BEGIN');
    try {
      await client.query(`TRUNCATE ${tableName}`);
      const stream = client.query(copyFrom(`COPY ${tableName} (${columnList}) FROM STDIN WITH (FREEZE)`));
      await pipeline(Readable.from(chunks()), stream);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw new ApplyError(`${t.key}: COPY of generated rows failed: ${redactError(e).message}`);
    }
    return total;
  }
  // Several COPY streams on their own connections, chunks dealt in turn.
  const all = [client, ...extra];
  const copies: Array<ReturnType<typeof copyFrom>> = [];
  try {
    for (const c of all) {
      await c.query('BEGIN');
      copies.push(c.query(copyFrom(`COPY ${tableName} (${columnList}) FROM STDIN`)));
    }
    const done = copies.map((cs) => finished(cs));
    done.forEach((d) => d.catch(() => {}));
    let j = 0;
    for await (const chunk of chunks()) {
      const cs = copies[j++ % copies.length]!;
      if (!cs.write(chunk)) await Promise.race([once(cs, 'drain'), ...done]);
    }
    copies.forEach((cs) => cs.end());
    await Promise.all(done);
    for (const c of all) await c.query('COMMIT');
  } catch (e) {
    for (const c of all) await c.query('ROLLBACK').catch(() => {});
    throw new ApplyError(`${t.key}: COPY of generated rows failed: ${redactError(e).message}`);
  }
  return total;
}

/** A column's distinct values (most common first, then the pool), for a composite key's enumeration. */
function valueList(shape: TypeShape, s: ColumnStats, count: number, r: () => number): string[] {
  const mcv = s.mostCommon.map((m) => m.value).slice(0, count);
  const pool = distinctPool(shape, s, Math.max(0, count - mcv.length), new Set(mcv), r, textLen(s, shape, 0, 0));
  return [...mcv, ...pool].map(copyEscape);
}

/** Target text length of the non-most-common values, from avg_width (bytes, with a 1-byte header for short values). */
function textLen(s: ColumnStats, shape: TypeShape, mcvLen: number, restFrac: number): number {
  const nonNull = 1 - s.nullFrac;
  const avg = Math.max(1, s.avgWidth - (shape.family === 'text' || shape.family === 'json' || shape.family === 'bytea' || shape.family === 'array' ? 1 : 0));
  if (restFrac <= 0) return avg;
  const len = (avg * nonNull - mcvLen) / restFrac;
  return Math.max(1, Number.isFinite(len) ? Math.round(len) : avg);
}

function bsearch(cum: number[], y: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > y) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A plain column name from an index key element (`"a b"`, `a`), or null for an expression. */
function unquote(k: string): string | null {
  if (/^"(?:[^"]|"")*"$/.test(k)) return k.slice(1, -1).replace(/""/g, '"');
  if (/^[a-z_][a-z0-9_$]*$/.test(k)) return k;
  return null;
}

/** Deletes the rows a CHECK, a domain CHECK, a unique index or a foreign key would refuse. */
async function dropViolations(client: Client, defs: SchemaDefinitions, t: TableDef): Promise<{ dropped: number; repaired: number }> {
  const target = qkey(t.key);
  let count = 0;
  let repaired = 0;
  const del = async (where: string) => {
    const r = await client.query(`DELETE FROM ${target} WHERE ${where}`);
    count += r.rowCount ?? 0;
  };
  // A CHECK over columns that are no key: the refused rows take those columns' values from
  // rows it accepts (chosen by a hash of their position, so the result is deterministic);
  // what is still refused is deleted.
  const keyCols = new Set<string>();
  for (const k of constraintsOf(defs, t)) if (k.type !== 'c') k.columns.forEach((c) => keyCols.add(c));
  for (const ix of defs.indexes) if (ix.table === t.key && ix.unique) ix.keys.forEach((k) => keyCols.add(unquote(k) ?? k));
  for (const k of constraintsOf(defs, t)) {
    if (k.type !== 'c') continue;
    const expr = checkExpression(k.def);
    if (!expr) continue;
    const used = columnsOf(expr).filter((c) => t.columns.some((x) => x.name === c && !x.generated));
    if (used.length && !used.some((c) => keyCols.has(c))) {
      const list = used.map(qi).join(', ');
      const r = await client.query(
        `WITH bad AS (SELECT ctid AS bad, row_number() OVER (ORDER BY ctid) AS rn FROM ${target} WHERE NOT (${expr})),
              good AS (SELECT ${list}, row_number() OVER (ORDER BY pg_catalog.hashtext(ctid::text)) AS rn FROM ${target} WHERE (${expr}) IS NOT FALSE)
         UPDATE ${target} SET (${list}) = (SELECT ${used.map((c) => `good.${qi(c)}`).join(', ')}) FROM bad JOIN good USING (rn) WHERE ${target}.ctid = bad.bad`,
      );
      repaired += r.rowCount ?? 0;
    }
    await del(`NOT (${expr})`);
  }
  for (const c of t.columns) {
    for (const d of domainChain(defs, c.typeOid)) {
      for (const chk of d.checks) {
        const expr = domainCheckOnColumn(chk.def, c.name);
        if (expr) await del(`NOT (${expr})`);
      }
    }
  }
  for (const ix of defs.indexes) {
    if (ix.table !== t.key || !ix.unique) continue;
    const keys = ix.keys.join(', ');
    const notNull = ix.nullsNotDistinct ? 'true' : ix.keys.map((k) => `(${k}) IS NOT NULL`).join(' AND ');
    await del(
      `ctid = ANY (ARRAY(SELECT ctid FROM (SELECT ctid, row_number() OVER (PARTITION BY ${keys} ORDER BY ctid) AS rn FROM ${target} WHERE ${notNull}${ix.predicate ? ` AND (${ix.predicate})` : ''}) s WHERE rn > 1))`,
    );
  }
  for (const k of constraintsOf(defs, t)) {
    if (k.type !== 'f' || !k.refTable) continue;
    const pcols = refColumns(defs, k);
    const present = k.columns.map((c) => `${target}.${qi(c)} IS NOT NULL`).join(' AND ');
    const match = k.columns.map((c, i) => `p.${qi(pcols[i]!)} = ${target}.${qi(c)}`).join(' AND ');
    await del(`${present} AND NOT EXISTS (SELECT 1 FROM ${qkey(k.refTable)} p WHERE ${match})`);
  }
  return { dropped: count, repaired };
}

/** Column names an expression refers to (unqualified). */
function columnsOf(expr: string): string[] {
  const out = new Set<string>();
  let tree: unknown;
  try {
    tree = parseRaw(`SELECT ${expr}`);
  } catch {
    return [];
  }
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
      if (k === 'ColumnRef') {
        const fields = ((v as { fields?: Array<{ String?: { sval?: string } }> }).fields ?? []).map((f) => f.String?.sval).filter((x): x is string => !!x);
        if (fields.length) out.add(fields[fields.length - 1]!);
      } else walk(v);
    }
  };
  walk(tree);
  return [...out];
}

/**
 * `SynthOptions.rows` for `--scale` or `--rows`: every table at `scale` x its production rows,
 * or scaled so the largest of `tables` (default all) gets `rows` rows and the others keep
 * their proportion to it. Returns the factor too, for the report.
 */
export function rowsOption(stats: ProductionStats, opt: { scale?: number; rows?: number; tables?: string[] }): { factor: number; rows: SynthOptions['rows'] } {
  let factor = opt.scale ?? 1;
  if (opt.rows !== undefined) {
    const keys = opt.tables?.length ? opt.tables : [...(stats.definitions?.tables.keys() ?? [])];
    const largest = Math.max(0, ...keys.map((k) => stats.model.relations.get(k)?.size?.rows ?? 0));
    factor = largest > 0 ? opt.rows / largest : 0;
  }
  return { factor, rows: (_t, n) => Math.round((n ?? 0) * factor) };
}
