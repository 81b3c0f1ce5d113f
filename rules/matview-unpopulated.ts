import { effectsOf, relSql, tableSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport } from '../src/lint/types.js';
import { qnameFromRangeVar } from '../src/sql/ast.js';

const rule: Rule = {
  meta: {
    id: 'matview-unpopulated',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'A materialized view left unpopulated (WITH NO DATA): every query on it fails until it is refreshed.',
    lock: 'ACCESS EXCLUSIVE on the view (REFRESH)',
    docs: {
      description:
        'A materialized view created or refreshed WITH NO DATA has no contents, and reading it fails with "materialized view has not been populated" until REFRESH MATERIALIZED VIEW runs. REFRESH ... WITH NO DATA on an existing view breaks every reader at once. Populate it in the same migration (CREATE ... WITH DATA, the default, or a REFRESH right after), before any code reads it.',
      bad: 'REFRESH MATERIALIZED VIEW daily_totals WITH NO DATA;',
      good: 'REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;',
      links: ['https://www.postgresql.org/docs/current/sql-creatematerializedview.html', 'https://www.postgresql.org/docs/current/sql-refreshmaterializedview.html'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const effect of effectsOf(ctx, 'refresh-materialized-view-with-no-data')) {
      if (!effect.table?.preExisting) continue;
      out.push({
        effect,
        message: `REFRESH MATERIALIZED VIEW ${effect.table.display} WITH NO DATA empties it: from the moment it commits, every query on it fails with "materialized view has not been populated" until the next REFRESH.`,
        help: 'Refresh it with data instead (CONCURRENTLY keeps it readable, given a unique index); to free its space, drop it once no code reads it.',
        suggestion: `REFRESH MATERIALIZED VIEW CONCURRENTLY ${relSql(effect)};`,
      });
    }
    for (const effect of effectsOf(ctx, 'create-materialized-view-no-data')) {
      const into = ctx.stmt.node.into?.rel;
      const name = into ? tableSql(ctx.model.resolveKey(qnameFromRangeVar(into))) : 'the view';
      out.push({
        effect,
        severity: 'warning',
        message: `Materialized view ${name} is created WITH NO DATA: every query on it fails with "materialized view has not been populated" until REFRESH MATERIALIZED VIEW ${name} runs.`,
        help: 'Refresh it in this migration, before any code reads it (or create it WITH DATA, the default); if this file refreshes it below, the finding can be ignored.',
        suggestion: `${ctx.stmt.text};\nREFRESH MATERIALIZED VIEW ${name};`,
      });
    }
    return out;
  },
};

export default rule;
