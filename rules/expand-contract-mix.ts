import { pendingExpand } from '../src/lint/compat.js';
import { effectsOf, ident, relSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport } from '../src/lint/types.js';

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
    const out: RuleReport[] = [];
    for (const effect of effectsOf(ctx, 'drop-column', 'rename-column')) {
      const t = effect.table;
      const col = effect.column;
      if (!t?.preExisting || !col) continue;
      const verb = effect.fact.id === 'drop-column' ? 'drops' : 'renames';
      const contract = `${ctx.stmt.text.replace(/;\s*$/, '')};`;
      const split = (replacement: string, where: string) =>
        [
          `-- release N (expand): ${where} - add ${replacement}, keep it in sync (trigger), backfill in batches; deploy code that reads and writes ${replacement}`,
          `-- release N+1 (contract), a separate migration once no deployed code reads ${col}:`,
          `-- ddlguard: contract ${relSql(effect).replace(/"/g, '')}.${col} after <release N>`,
          contract,
        ].join('\n');
      const added = ctx.fileState.columnsAdded.get(t.key);
      const copy = added && added.size > 0 && !added.has(col) ? ctx.fileState.backfills.find((b) => b.table === t.key && b.read.includes(col) && b.set.some((s) => added.has(s))) : undefined;
      if (copy) {
        const replacement = copy.set.find((s) => added!.has(s))!;
        out.push({
          effect,
          message: `This migration adds ${replacement}, copies ${col} into it and ${verb} ${col}: expand and contract in one release breaks the code that is running.`,
          help: `Ship the expand (add ${replacement}, sync trigger, backfill) in this release and the ${verb === 'drops' ? 'drop' : 'rename'} of ${col} in a later one, after the code has switched.`,
          suggestion: split(ident(replacement), 'the ADD COLUMN and backfill of this migration, without the contract step'),
        });
        continue;
      }
      // lint --base: the expand is in another migration of the same pending release.
      const mark = pendingExpand(ctx, t.key, col);
      if (mark) {
        out.push({
          effect,
          message: `The pending release expands ${col} (${mark.file}:${mark.line}: ${mark.text}) and this migration ${verb} ${col}: expand and contract in one release breaks the code that is running.`,
          help: `Release the expand first; ${verb === 'drops' ? 'drop' : 'rename'} ${col} in a later release, after the code has switched to the replacement.`,
          suggestion: split('the replacement', `${mark.file}`),
        });
      }
    }
    return out;
  },
};

export default rule;
