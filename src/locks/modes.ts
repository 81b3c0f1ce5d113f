/**
 * Table-level lock modes and their conflict matrix, from the PostgreSQL docs
 * (Explicit Locking, table 13.2). What a mode blocks is derived from the matrix,
 * never restated elsewhere.
 */

export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;

export type LockMode = (typeof LOCK_MODES)[number];

/** Strength order (index in LOCK_MODES); a stronger mode conflicts with at least as much. */
export function lockStrength(mode: LockMode): number {
  return LOCK_MODES.indexOf(mode);
}

export function strongest(modes: Iterable<LockMode>): LockMode | null {
  let best: LockMode | null = null;
  for (const m of modes) if (best === null || lockStrength(m) > lockStrength(best)) best = m;
  return best;
}

const CONFLICTS: Record<LockMode, readonly LockMode[]> = {
  'ACCESS SHARE': ['ACCESS EXCLUSIVE'],
  'ROW SHARE': ['EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'ROW EXCLUSIVE': ['SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'SHARE UPDATE EXCLUSIVE': ['SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'SHARE': ['ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'SHARE ROW EXCLUSIVE': ['ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'EXCLUSIVE': ['ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'ACCESS EXCLUSIVE': [...LOCK_MODES],
};

export function conflicts(a: LockMode, b: LockMode): boolean {
  return CONFLICTS[a].includes(b);
}

/** What an application would feel while this lock is held or queued. */
export interface Blocks {
  /** SELECT (ACCESS SHARE). */
  reads: boolean;
  /** INSERT / UPDATE / DELETE (ROW EXCLUSIVE). */
  writes: boolean;
  /** SELECT ... FOR UPDATE/SHARE (ROW SHARE). */
  lockingReads: boolean;
  /** VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and most DDL (SHARE UPDATE EXCLUSIVE). */
  ddl: boolean;
}

export function blocks(mode: LockMode): Blocks {
  return {
    reads: conflicts(mode, 'ACCESS SHARE'),
    writes: conflicts(mode, 'ROW EXCLUSIVE'),
    lockingReads: conflicts(mode, 'ROW SHARE'),
    ddl: conflicts(mode, 'SHARE UPDATE EXCLUSIVE'),
  };
}

/** "reads and writes", "writes", "other DDL and VACUUM", for messages. */
export function describeBlocks(mode: LockMode): string {
  const b = blocks(mode);
  if (b.reads) return 'blocks reads and writes';
  if (b.writes && b.lockingReads) return 'blocks writes and SELECT FOR UPDATE/SHARE; plain reads continue';
  if (b.writes) return 'blocks writes, reads continue';
  if (b.ddl) return 'blocks other DDL, VACUUM and ANALYZE; reads and writes continue';
  switch (mode) {
    case 'ACCESS SHARE':
      return 'blocks only ACCESS EXCLUSIVE operations (most ALTER TABLE, DROP, TRUNCATE, VACUUM FULL)';
    case 'ROW SHARE':
      return 'blocks only EXCLUSIVE and ACCESS EXCLUSIVE operations (most ALTER TABLE, REFRESH ... CONCURRENTLY)';
    default:
      // ROW EXCLUSIVE (data changes): conflicts with the modes schema changes take, not with reads or writes.
      return 'blocks plain CREATE INDEX and most ALTER TABLE; reads and writes continue';
  }
}

/** A lock that makes application queries queue behind it while it waits. */
export function blocksApplication(mode: LockMode): boolean {
  const b = blocks(mode);
  return b.reads || b.writes;
}
