/**
 * The readers stage: given the objects pending migrations contract (from the
 * engine's first pass, see src/lint/compat.ts), find who still reads or writes
 * them in application code and in the live database. Runs before the rules;
 * its result reaches them through RuleContext.compat.readers.
 */
import { scanCode, type CodeScanOptions } from './code.js';
import type { Catalog, ObjectEvidence, ReaderIndex, ReaderTarget, SearchSummary } from './types.js';

export type { ReaderIndex, ReaderTarget, ObjectEvidence, CodeHit, DbHit, Catalog, SearchSummary } from './types.js';
export { targetKey } from './types.js';

export interface GatherOptions {
  targets: readonly ReaderTarget[];
  catalog: Catalog;
  searchPath?: readonly string[];
  code?: Pick<CodeScanOptions, 'baseDir' | 'paths' | 'exclude' | 'migrations' | 'displayDir'> | null;
  /** Live database URL (never printed with its password). */
  db?: string | null;
}

export async function gatherReaderEvidence(opts: GatherOptions): Promise<ReaderIndex> {
  const evidence = new Map<string, ObjectEvidence>();
  for (const t of opts.targets) evidence.set(t.key, { code: [], db: [] });
  const searched: SearchSummary = { code: null, db: null };
  const common = { targets: opts.targets, catalog: opts.catalog, ...(opts.searchPath ? { searchPath: opts.searchPath } : {}) };
  const [code, db] = await Promise.all([
    opts.code ? scanCode({ ...opts.code, ...common }) : null,
    opts.db ? import('./db.js').then((m) => m.scanDatabase({ url: opts.db!, ...common })) : null,
  ]);
  if (code) {
    searched.code = code.summary;
    for (const [k, e] of code.evidence) evidence.get(k)?.code.push(...e.code);
  }
  if (db) {
    searched.db = db.summary;
    for (const [k, e] of db.evidence) evidence.get(k)?.db.push(...e.db);
  }
  return { evidence, searched };
}
