import { effectsOf } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'expand-contract-mix',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'One migration adds a replacement column, copies data into it and drops or renames the original.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'Expand/contract only protects running code when the phases ship in different releases: expand (add the new column, sync, backfill), switch the code, then contract (drop or rename the old column) once no deployed code reads it. Doing both in one migration breaks the code that is running while it applies, and leaves no release to roll back to.',
      bad: 'ALTER TABLE users ADD COLUMN email_new citext;\nUPDATE users SET email_new = email;\nALTER TABLE users DROP COLUMN email;\nALTER TABLE users RENAME COLUMN email_new TO email;',
      good: '-- release N (expand):\nALTER TABLE users ADD COLUMN email_new citext;\n-- sync trigger + batched backfill; deploy code reading email_new\n-- release N+1 (contract):\nALTER TABLE users DROP COLUMN email;',
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html'],
    },
  },
  check(ctx) {
    const out = [];
    for (const effect of effectsOf(ctx, 'drop-column', 'rename-column')) {
      const t = effect.table;
      const col = effect.column;
      if (!t?.preExisting || !col) continue;
      const added = ctx.fileState.columnsAdded.get(t.key);
      if (!added || added.size === 0 || added.has(col)) continue;
      const copy = ctx.fileState.backfills.find((b) => b.table === t.key && b.read.includes(col) && b.set.some((s) => added.has(s)));
      if (!copy) continue;
      const replacement = copy.set.find((s) => added.has(s))!;
      const verb = effect.fact.id === 'drop-column' ? 'drops' : 'renames';
      out.push({
        effect,
        message: `This migration adds ${replacement}, copies ${col} into it and ${verb} ${col}: expand and contract in one release breaks the code that is running.`,
        help: `Ship the expand (add ${replacement}, sync trigger, backfill) in this release and the ${verb === 'drops' ? 'drop' : 'rename'} of ${col} in a later one, after the code has switched.`,
      });
    }
    return out;
  },
};

export default rule;
