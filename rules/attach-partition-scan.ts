import { effectsOf, ident, lockPhrase, mainLock, tableSql } from '../src/lint/rule-kit.js';
import { partitionBoundText } from '../src/schema/replay.js';
import type { Rule, RuleContext, RuleReport } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'attach-partition-scan',
    category: 'blocking',
    defaultSeverity: 'warning',
    summary: 'ATTACH PARTITION scans the partition under ACCESS EXCLUSIVE unless a validated CHECK already proves the bound; ATTACH and CREATE TABLE ... PARTITION OF also scan a DEFAULT partition.',
    lock: 'ACCESS EXCLUSIVE on the partition (SHARE UPDATE EXCLUSIVE on the parent, PG12+) and on a DEFAULT partition',
    docs: {
      description:
        'ATTACH PARTITION verifies that every row of the table being attached fits the partition bound, scanning it while holding ACCESS EXCLUSIVE on it (and, before PostgreSQL 12, on the parent too). If the table already has a validated CHECK constraint that implies the bound, the scan is skipped. Add that CHECK NOT VALID, VALIDATE it, attach, then drop the CHECK. When the parent has a DEFAULT partition, both ATTACH PARTITION and CREATE TABLE ... PARTITION OF also scan it, under ACCESS EXCLUSIVE, for rows that belong to the new partition; a validated CHECK on the default partition that excludes the new range skips that scan.',
      bad: "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
      good: "ALTER TABLE events_2024 ADD CONSTRAINT events_2024_bound CHECK (created_at >= '2024-01-01' AND created_at < '2025-01-01') NOT VALID;\nALTER TABLE events_2024 VALIDATE CONSTRAINT events_2024_bound;\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nALTER TABLE events_2024 DROP CONSTRAINT events_2024_bound;",
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-ATTACH-PARTITION', 'https://www.postgresql.org/docs/current/sql-createtable.html#SQL-CREATETABLE-PARTITION'],
    },
  },
  check(ctx) {
    const defaults = effectsOf(ctx, 'attach-partition-default', 'create-partition-of-default').flatMap((effect) => {
      const def = effect.locks.find((l) => l.target === 'default-partition');
      if (!def || !def.relation.preExisting) return [];
      const rel = ctx.model.relations.get(def.relation.key);
      const parent = rel?.partitionOf ? ctx.model.relations.get(rel.partitionOf) : undefined;
      const keyCols = parent?.partitionKey ?? [];
      // A validated CHECK over the partition key on the default partition is taken as the proof that skips the scan.
      if (rel && [...rel.constraints.values()].some((c) => c.kind === 'check' && c.validated && keyCols.length > 0 && keyCols.every((k) => c.columns.includes(k)))) return [];
      const how = effect.fact.id === 'create-partition-of-default' ? 'CREATE TABLE ... PARTITION OF' : 'ATTACH PARTITION';
      return [
        {
          effect,
          message: `${how} scans the DEFAULT partition ${def.relation.display} for rows that belong to the new partition, while holding ${lockPhrase(def)}.`,
          help: `Add a CHECK to ${def.relation.display} that excludes the new partition's range NOT VALID and VALIDATE it (no blocking lock) first: the scan is then skipped. Rows of that range already in the default partition must be moved out first either way.`,
          suggestion: (() => {
            const t = tableSql(def.relation.key);
            const name = ident(`${def.relation.key.slice(def.relation.key.indexOf('.') + 1)}_excludes_new`.slice(0, 63));
            const bound = effect.fact.id === 'create-partition-of-default' ? ctx.stmt.node.partbound : effect.node?.def?.PartitionCmd?.bound;
            return [
              `-- move rows of the new range out of ${def.relation.display} first, then prove there are none (SHARE UPDATE EXCLUSIVE: reads and writes continue):`,
              `ALTER TABLE ${t} ADD CONSTRAINT ${name} CHECK (${excludes(keyCols, bound)}) NOT VALID;`,
              `ALTER TABLE ${t} VALIDATE CONSTRAINT ${name};`,
              `${ctx.stmt.text};  -- the default partition is no longer scanned`,
            ].join('\n');
          })(),
        },
      ];
    });
    return [...defaults, ...attachReports(ctx)];
  },
};

/** `NOT (key >= lo AND key < hi)` / `NOT (key IN (...))` for a one-column bound; placeholders otherwise. */
function excludes(keyCols: string[], bound: any): string {
  const text = bound ? partitionBoundText(bound) : '';
  const key = keyCols.length === 1 ? ident(keyCols[0]) : '<partition key>';
  const range = /^FOR VALUES FROM \((.+)\) TO \((.+)\)$/.exec(text);
  if (range && keyCols.length === 1 && !/,|MINVALUE|MAXVALUE/.test(`${range[1]}${range[2]}`)) return `NOT (${key} >= ${range[1]} AND ${key} < ${range[2]})`;
  const list = /^FOR VALUES IN \((.+)\)$/.exec(text);
  if (list && keyCols.length === 1 && !/NULL/.test(list[1]!)) return `NOT (${key} IN (${list[1]}))`;
  return `NOT (<the new partition's bound on ${key}>)`;
}

function attachReports(ctx: RuleContext): RuleReport[] {
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
}

export default rule;
