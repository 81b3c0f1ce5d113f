import { judgeWriters, withLines } from '../src/lint/compat.js';
import { effectsOf, ident, lockPhrase, mainLock, onPreExisting, relSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleContext, RuleReport } from '../src/lint/types.js';
import { derivedName } from '../src/sql/quote.js';
import { SUPPLY_SCHEMA } from '../src/schema/model.js';

export function notNullSteps(table: string, bareTable: string, column: string, pgVersion: number): string {
  const check = derivedName(`${bareTable}_${column}`, '_not_null');
  if (pgVersion >= 18) {
    return [
      `ALTER TABLE ${table} ADD CONSTRAINT ${ident(check)} NOT NULL ${ident(column)} NOT VALID;`,
      '-- separate transaction:',
      `ALTER TABLE ${table} VALIDATE CONSTRAINT ${ident(check)};`,
    ].join('\n');
  }
  return [
    `ALTER TABLE ${table} ADD CONSTRAINT ${ident(check)} CHECK (${ident(column)} IS NOT NULL) NOT VALID;`,
    '-- separate transaction:',
    `ALTER TABLE ${table} VALIDATE CONSTRAINT ${ident(check)};`,
    `ALTER TABLE ${table} ALTER COLUMN ${ident(column)} SET NOT NULL; -- no scan: the validated CHECK proves it`,
    `ALTER TABLE ${table} DROP CONSTRAINT ${ident(check)};`,
  ].join('\n');
}

const rule: Rule = {
  meta: {
    id: 'set-not-null-scan',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'SET NOT NULL scans the whole table under ACCESS EXCLUSIVE.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'ALTER COLUMN ... SET NOT NULL reads every row to prove there is no NULL while holding ACCESS EXCLUSIVE: no reads or writes meanwhile. On PostgreSQL 12+ the scan is skipped when a validated CHECK (col IS NOT NULL) constraint exists, so add that constraint NOT VALID, VALIDATE it (SHARE UPDATE EXCLUSIVE, reads and writes continue), then SET NOT NULL and drop the CHECK. On PostgreSQL 18, ADD CONSTRAINT ... NOT NULL col NOT VALID followed by VALIDATE does it directly.',
      bad: 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      good: 'ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;',
      links: [
        'https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DROP-NOT-NULL',
      ],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const effect of onPreExisting(effectsOf(ctx, 'set-not-null', 'set-not-null-proven', 'add-not-null-constraint'))) {
      if (!effect.scan) continue;
      const column = effect.column ?? '<column>';
      const table = relSql(effect);
      const bare = table.split('.').pop()!.replace(/"/g, '');
      const proven = effect.fact.id === 'set-not-null-proven';
      out.push({
        effect,
        message: proven
          ? `SET NOT NULL on ${column} scans the table under ${lockPhrase(mainLock(effect))}: before PostgreSQL 12 the validated CHECK does not skip the scan.`
          : `${effect.fact.id === 'add-not-null-constraint' ? 'ADD CONSTRAINT ... NOT NULL' : 'SET NOT NULL'} on ${column} scans the whole table while holding ${lockPhrase(mainLock(effect))}.`,
        help:
          ctx.pgVersion >= 18
            ? 'Add the NOT NULL constraint NOT VALID, then VALIDATE it in a separate transaction (reads and writes continue).'
            : ctx.pgVersion >= 12
              ? 'Prove it first with a CHECK (col IS NOT NULL) NOT VALID + VALIDATE; SET NOT NULL then skips the scan.'
              : 'Before PostgreSQL 12 there is no scan-free way: run it in a maintenance window or keep a validated CHECK (col IS NOT NULL) instead of NOT NULL.',
        suggestion: ctx.pgVersion >= 12 ? notNullSteps(table, bare, column, ctx.pgVersion) : undefined,
      } as RuleReport);
    }
    // ADD PRIMARY KEY USING INDEX runs SET NOT NULL on the index's columns that are not marked NOT NULL yet
    // (sql-altertable, ADD table_constraint_using_index); a validated CHECK (col IS NOT NULL) skips that scan on 12+.
    for (const effect of onPreExisting(effectsOf(ctx, 'add-primary-key-nullable'))) {
      const rel = effect.table ? ctx.model.relations.get(effect.table.key) : undefined;
      const indexName = effect.node?.def?.Constraint?.indexname;
      const ix = rel && indexName ? ctx.model.index({ schema: rel.schema, name: String(indexName) }) : undefined;
      if (!rel || !ix) continue;
      const nullable = ix.columns.filter((c) => ctx.model.columnNotNull(rel, c) !== true && !(ctx.pgVersion >= 12 && ctx.model.hasValidatedNotNullProof(rel, c)));
      if (nullable.length === 0) continue;
      const unknown = nullable.filter((c) => ctx.model.columnNotNull(rel, c) === null);
      const table = relSql(effect);
      const bare = table.split('.').pop()!.replace(/"/g, '');
      const r: RuleReport = {
        effect,
        message: unknown.length
          ? `ADD PRIMARY KEY USING INDEX sets NOT NULL on ${nullable.join(', ')} unless already set, scanning the whole table while holding ${lockPhrase(mainLock(effect))}: whether ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} NOT NULL is not known (${SUPPLY_SCHEMA}).`
          : `ADD PRIMARY KEY USING INDEX sets NOT NULL on ${nullable.join(', ')}, scanning the whole table while holding ${lockPhrase(mainLock(effect))}.`,
        help:
          ctx.pgVersion >= 12
            ? 'Prove the key columns NOT NULL first (CHECK (col IS NOT NULL) NOT VALID + VALIDATE, then SET NOT NULL); attaching the index is then catalog-only.'
            : 'Before PostgreSQL 12 there is no scan-free way to mark the key columns NOT NULL: run it in a maintenance window.',
      };
      if (ctx.pgVersion >= 12) r.suggestion = nullable.map((c) => notNullSteps(table, bare, c, ctx.pgVersion)).join('\n');
      out.push(r);
    }
    out.push(...writerReports(ctx));
    return out.map((r) => (r.suggestion === undefined && r.evidence === undefined ? { message: r.message, help: r.help, effect: r.effect! } : r));
  },
};

/**
 * With expand/contract evidence (lint --base, readers.paths, --db): SET NOT NULL breaks
 * the writers that leave the column out, and the deployed code when the column was only
 * added by the pending release (it does not write it yet). Without evidence: nothing.
 */
function writerReports(ctx: RuleContext): RuleReport[] {
  if (!ctx.compat) return [];
  const out: RuleReport[] = [];
  for (const effect of effectsOf(ctx, 'set-not-null', 'set-not-null-proven', 'add-not-null-constraint', 'add-not-null-constraint-not-valid')) {
    const t = effect.table;
    const column = effect.column;
    if (!t?.preExisting || !column) continue;
    // A default fills the column for writers that leave it out.
    if (ctx.model.relations.get(t.key)?.columns.get(column)?.hasDefault) continue;
    const w = judgeWriters(ctx, t.key, column);
    if (w.guarded) continue;
    const sameFile = Boolean(ctx.fileState.columnsAdded.get(t.key)?.has(column));
    if (!w.addedThisRelease && !sameFile && w.strong + w.weak === 0) continue;
    const table = relSql(effect);
    const bare = table.split('.').pop()!.replace(/"/g, '');
    const parts: string[] = [];
    if (w.addedThisRelease || sameFile) {
      parts.push(`${column} is added by this release (${w.addedThisRelease ? `${w.addedThisRelease.file}:${w.addedThisRelease.line}` : 'this file'}): the deployed code does not write it, so its INSERTs fail once ${column} is NOT NULL.`);
    }
    if (w.strong + w.weak > 0) parts.push(`${w.strong + w.weak} INSERT${w.strong + w.weak === 1 ? '' : 's'} in the code do${w.strong + w.weak === 1 ? 'es' : ''} not set ${column}${w.strong === 0 ? ' (weak matches)' : ''}.`);
    const r: RuleReport = {
      effect,
      message: `Making ${column} NOT NULL breaks writers that leave it NULL: ${parts.join(' ')}`,
      help: withLines('Ship code that always writes the column (or give it a DEFAULT) and backfill in one release; enforce NOT NULL in a later one.', w.helpLines),
      severity: w.strong > 0 || w.addedThisRelease || sameFile ? 'error' : 'warning',
      suggestion: [
        `-- release N (expand): add ${column} nullable (or with a DEFAULT), deploy code that writes it on every INSERT, backfill existing rows in batches;`,
        '-- release N+1 (contract), once every writer sets it:',
        notNullSteps(table, bare, column, ctx.pgVersion),
      ].join('\n'),
    };
    if (w.evidence) r.evidence = w.evidence;
    out.push(r);
  }
  return out;
}

export default rule;
