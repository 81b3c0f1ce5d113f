/**
 * First pass: replay the sources through the engine without rules and collect
 * what the pending (linted) files contract: columns and tables dropped or
 * renamed, and columns made NOT NULL (whose writers matter). The catalog (every
 * table's columns as the migrations left them before each change) is what SQL
 * found in code is resolved against.
 */
import { contractEffects } from './compat.js';
import { COLUMN_TYPE_CHANGE_FACTS } from '../locks/table.js';
import { lintSources, type EngineOptions, type SourceFile } from './engine.js';
import type { ParsedFile } from '../sql/statement.js';
import { targetKey, type ReaderTarget, type TargetKind } from '../readers/types.js';

export interface TargetSet {
  targets: ReaderTarget[];
  catalog: Map<string, Set<string>>;
  searchPath: string[];
}

const KIND: Record<string, { kind: TargetKind; change: string }> = {
  'drop-column': { kind: 'column', change: 'drop-column' },
  'rename-column': { kind: 'column', change: 'rename-column' },
  'drop-table': { kind: 'table', change: 'drop-table' },
  'drop-table-with-foreign-keys': { kind: 'table', change: 'drop-table' },
  'rename-table': { kind: 'table', change: 'rename-table' },
  'add-column-not-null': { kind: 'writer', change: 'add-column-required' },
  'set-not-null': { kind: 'writer', change: 'set-not-null' },
  'set-not-null-proven': { kind: 'writer', change: 'set-not-null' },
  'add-not-null-constraint': { kind: 'writer', change: 'set-not-null' },
  'add-not-null-constraint-not-valid': { kind: 'writer', change: 'set-not-null' },
  // Only narrowing type changes (contractEffects keeps no others): who writes the column.
  ...Object.fromEntries(COLUMN_TYPE_CHANGE_FACTS.map((id) => [id, { kind: 'column', change: 'type-narrowing' } as const])),
};

/** Cheap test: can these sources contain a contract step at all? */
export function mayContract(sources: readonly SourceFile[]): boolean {
  return sources.some((s) => s.role === 'lint' && /\b(drop|rename|not\s+null|type)\b/i.test(s.text));
}

export function collectTargets(sources: readonly SourceFile[], opts: Pick<EngineOptions, 'pgVersion' | 'model'> & { parseCache?: WeakMap<SourceFile, ParsedFile> }): TargetSet {
  const targets = new Map<string, ReaderTarget>();
  const catalog = new Map<string, Set<string>>();
  let searchPath: string[] = ['public'];
  const engine: EngineOptions = { pgVersion: opts.pgVersion, rules: [], severities: new Map() };
  if (opts.model) engine.model = opts.model;
  if (opts.parseCache) engine.parseCache = opts.parseCache;
  engine.onStatement = (ctx, source) => {
    if (source.role !== 'lint') return;
    const effects = contractEffects(ctx.effects);
    if (effects.length === 0) return;
    for (const e of effects) {
      const t = e.table;
      if (!t || !t.preExisting || t.key.includes(':')) continue;
      const k = KIND[e.fact.id];
      if (!k) continue;
      if (k.kind !== 'table' && !e.column) continue;
      const column = k.kind === 'table' ? null : e.column;
      const key = targetKey(k.kind, t.key, column);
      if (targets.has(key)) continue;
      const dot = t.key.indexOf('.');
      targets.set(key, { key, kind: k.kind, table: t.key, schema: t.key.slice(0, dot), name: t.key.slice(dot + 1), column, change: k.change });
    }
    // Snapshot what the model knows now (before the change), merged over time.
    for (const rel of ctx.model.relations.values()) {
      let cols = catalog.get(rel.key);
      if (!cols) catalog.set(rel.key, (cols = new Set()));
      for (const c of rel.columns.keys()) cols.add(c);
    }
    searchPath = [...ctx.model.searchPath];
  };
  lintSources(sources, engine);
  return { targets: [...targets.values()], catalog, searchPath };
}
