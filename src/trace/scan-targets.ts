/**
 * What a lock fact's `scan` claim is about: the relation read in full while
 * the lock is held. The conformance suite checks the claim on that relation
 * (test/trace/conformance.test.ts) and docs/locks.md names it. No I/O, no
 * driver: the docs generator imports it.
 */
import type { LockFact, LockTarget } from '../locks/table.js';

/** A lock target, or `query`: the tables a materialized view's query reads. */
export type ScanTarget = LockTarget | 'query';

export function scanTarget(fact: Pick<LockFact, 'id' | 'variants'>): ScanTarget {
  if (fact.id.startsWith('refresh-materialized-view')) return 'query';
  const targets = new Set(fact.variants.flatMap((v) => v.locks.map((l) => l.target)));
  if (targets.has('default-partition')) return 'default-partition';
  // ALTER DOMAIN checks the columns of the domain in every table that uses it.
  if (targets.has('using-table')) return 'using-table';
  if (targets.has('partition')) return 'partition';
  return 'table';
}

const WORDS: Record<ScanTarget, string> = {
  table: 'the table',
  index: 'the index',
  'referenced-table': 'the referenced table',
  parent: 'the partitioned table',
  partition: 'the partition',
  'default-partition': 'the default partition',
  query: "the view's query",
  'partition-index': "the partition's index",
  'using-table': 'each table with a column of the domain',
  dependent: 'what the cascade reaches',
};

/** How docs/locks.md says what is read: "the partition", "the table; the referenced table in full or by key". */
export function scanTargetWords(fact: Pick<LockFact, 'id' | 'variants'>): string {
  const t = scanTarget(fact);
  const references = fact.variants.some((v) => v.locks.some((l) => l.target === 'referenced-table'));
  return references && t === 'table' ? `${WORDS[t]}; the referenced table in full or by key` : WORDS[t];
}
