import { effectsOf, lockPhrase, mainLock } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'attach-partition-scan',
    category: 'blocking',
    defaultSeverity: 'warning',
    summary: 'ATTACH PARTITION scans the partition under ACCESS EXCLUSIVE unless a validated CHECK already proves the bound.',
    lock: 'ACCESS EXCLUSIVE on the partition (SHARE UPDATE EXCLUSIVE on the parent, PG12+)',
    docs: {
      description:
        'ATTACH PARTITION verifies that every row of the table being attached fits the partition bound, scanning it while holding ACCESS EXCLUSIVE on it (and, before PostgreSQL 12, on the parent too). If the table already has a validated CHECK constraint that implies the bound, the scan is skipped. Add that CHECK NOT VALID, VALIDATE it, attach, then drop the CHECK.',
      bad: "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
      good: "ALTER TABLE events_2024 ADD CONSTRAINT events_2024_bound CHECK (created_at >= '2024-01-01' AND created_at < '2025-01-01') NOT VALID;\nALTER TABLE events_2024 VALIDATE CONSTRAINT events_2024_bound;\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nALTER TABLE events_2024 DROP CONSTRAINT events_2024_bound;",
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-ATTACH-PARTITION'],
    },
  },
  check(ctx) {
    return effectsOf(ctx, 'attach-partition').flatMap((effect) => {
      const part = effect.locks.find((l) => l.target === 'partition');
      if (!part || !part.relation.preExisting) return [];
      const rel = ctx.model.relations.get(part.relation.key);
      const parent = effect.table ? ctx.model.relations.get(effect.table.key) : undefined;
      const keyCols = parent?.partitionKey ?? [];
      // A validated CHECK over the partition key columns is taken as the proof PostgreSQL looks for.
      const proven = rel && [...rel.constraints.values()].some((c) => c.kind === 'check' && c.validated && keyCols.length > 0 && keyCols.every((k) => c.columns.includes(k)));
      if (proven) return [];
      return [
        {
          effect,
          message: `ATTACH PARTITION scans ${part.relation.display} to verify the partition bound while holding ${lockPhrase(mainLock(effect))}.`,
          help: 'Add a CHECK constraint matching the bound NOT VALID, VALIDATE it, then ATTACH (the scan is skipped) and drop the CHECK.',
        },
      ];
    });
  },
};

export default rule;
