import {
  cloneTree,
  eol,
  independentOf,
  lastTokenEnd,
  lineEndAfter,
  parseOne,
  placement,
  sameTree,
  statementTokens,
  terminator,
  verifyRewrite,
  type Fix,
  type FixFile,
  type Insertion,
  type TextEdit,
} from '../src/lint/fix.js';
import { effectsOf, ident, lockPhrase, mainLock, onPreExisting, relSql } from '../src/lint/rule-kit.js';
import { addColumnParts } from '../src/sql/statement-text.js';
import type { Rule, RuleContext, RuleReport } from '../src/lint/types.js';
import { qnameFromList, qnameFromRangeVar, stringValue, walk } from '../src/sql/ast.js';
import { createdHere, listed } from './_drops.js';
import { identifierBytes, MAX_IDENTIFIER_BYTES, quoteIdent } from '../src/sql/quote.js';

/**
 * Split `ALTER TABLE t ADD CONSTRAINT c CHECK|FOREIGN KEY ...` (one subcommand) into
 * `... NOT VALID;` and `ALTER TABLE t VALIDATE CONSTRAINT c;` run in a separate transaction:
 * right after the ADD when the file runs in autocommit mode, or after the COMMIT of the
 * explicit block holding the ADD when nothing later in the block mentions the table or the
 * constraint. Withheld when the file runs in one transaction (framework wrapper, or one
 * multi-statement query string, which the VALIDATE would join): validating in the same
 * transaction keeps the strong lock during the scan, which is what the rule is about.
 * An unnamed constraint is given PostgreSQL's default name (`<table>_<column>_check` for a
 * CHECK on one column, `<table>_<column>_fkey` for a one-column foreign key) so VALIDATE can
 * name it; when that name cannot be derived reliably (several columns, unknown table, name
 * already taken in the schema, too long) there is no fix.
 */
function fix(ctx: RuleContext, file: FixFile): Fix | null {
  const stmt = ctx.stmt;
  const n = stmt.node;
  if (stmt.kind !== 'AlterTableStmt' || (n.cmds ?? []).length !== 1 || stmt.inDoBlock !== null) return null;
  const cmd = n.cmds[0]?.AlterTableCmd;
  const con = cmd?.def?.Constraint;
  if (cmd?.subtype !== 'AT_AddConstraint' || !con || con.skip_validation) return null;
  if (con.contype !== 'CONSTR_CHECK' && con.contype !== 'CONSTR_FOREIGN') return null;
  if (file.transaction !== 'none' || n.relation?.catalogname) return null;
  const where = placement(ctx, file);
  if (!where) return null;
  const rel = ctx.model.relation(qnameFromRangeVar(n.relation));
  // NOT VALID foreign keys on partitioned tables arrived in PostgreSQL 18.
  if (rel?.kind === 'partitioned-table' && con.contype === 'CONSTR_FOREIGN' && ctx.pgVersion < 18) return null;
  const name: string | null = con.conname ?? defaultName(ctx, con);
  if (!name) return null;

  const tokens = statementTokens(file, stmt);
  const end = lastTokenEnd(file, stmt);
  if (!tokens || end === null) return null;
  const term = terminator(file, stmt);
  const inserts: Insertion[] = [{ at: end, text: term === null ? ' NOT VALID;' : ' NOT VALID' }];
  if (!con.conname) {
    const kw = tokens.find((t) => t.upper === 'CHECK' || t.upper === 'FOREIGN');
    if (!kw) return null;
    inserts.push({ at: kw.start, text: `CONSTRAINT ${quoteIdent(name)} ` });
  }
  const want = cloneTree(n);
  const wcon = want.cmds[0].AlterTableCmd.def.Constraint;
  wcon.conname = name;
  wcon.skip_validation = true;
  delete wcon.initially_valid;
  if (verifyRewrite(stmt, inserts, (node) => sameTree(node, want)) === null) return null;

  const rv = n.relation;
  const validate = `ALTER TABLE ${n.missing_ok ? 'IF EXISTS ' : ''}${rv.inh ? '' : 'ONLY '}${rv.schemaname ? `${quoteIdent(rv.schemaname)}.` : ''}${quoteIdent(rv.relname)} VALIDATE CONSTRAINT ${quoteIdent(name)};`;
  const v = parseOne(validate);
  const vcmd = v?.node.cmds?.[0]?.AlterTableCmd;
  if (v?.kind !== 'AlterTableStmt' || !sameTree(v.node.relation, rv) || Boolean(v.node.missing_ok) !== Boolean(n.missing_ok) || vcmd?.subtype !== 'AT_ValidateConstraint' || vcmd.name !== name) return null;

  const edits: TextEdit[] = inserts.map((i) => ({ start: i.at, end: i.at, text: i.text }));
  if (where.kind === 'autocommit') {
    const after = term === null ? end : term + 1;
    const lineEnd = lineEndAfter(file, after);
    edits.push(lineEnd === null ? { start: after, end: after, text: ` ${validate}` } : { start: lineEnd, end: lineEnd, text: `${eol(file)}${validate}` });
  } else {
    if (!independentOf(where.later, [String(rv.relname), name])) return null;
    const cterm = terminator(file, where.commit);
    const lineEnd = cterm === null ? null : lineEndAfter(file, cterm + 1);
    if (lineEnd === null) return null;
    edits.push({ start: lineEnd, end: lineEnd, text: `${eol(file)}${validate}` });
  }
  return { edits };
}

/** PostgreSQL's name for an unnamed one-column CHECK / foreign key, when it is certain. */
function defaultName(ctx: RuleContext, con: any): string | null {
  const rel = ctx.model.relation(qnameFromRangeVar(ctx.stmt.node.relation));
  // The model must know the table: PostgreSQL appends a number when the name is taken.
  if (!rel) return null;
  let column: string | null = null;
  if (con.contype === 'CONSTR_FOREIGN') {
    const cols: string[] = (con.fk_attrs ?? []).map(stringValue);
    if (cols.length !== 1) return null;
    column = cols[0] ?? null;
  } else {
    // <table>_<column>_check when the expression reads exactly one column (no sub-selects).
    const cols = new Set<string>();
    let unsure = false;
    walk(con.raw_expr, (k, v) => {
      if (k === 'SubLink') unsure = true;
      if (k === 'ColumnRef') {
        const fields = v?.fields ?? [];
        if (fields.length !== 1 || !fields[0]?.String) unsure = true;
        else cols.add(stringValue(fields[0]));
      }
    });
    if (unsure || cols.size !== 1) return null;
    column = [...cols][0] ?? null;
  }
  if (!column) return null;
  const name = `${rel.name}_${column}_${con.contype === 'CONSTR_FOREIGN' ? 'fkey' : 'check'}`;
  if (identifierBytes(name) > MAX_IDENTIFIER_BYTES) return null;
  for (const r of ctx.model.relations.values()) if (r.schema === rel.schema && r.constraints.has(name)) return null;
  return name;
}

const rule: Rule = {
  meta: {
    id: 'constraint-requires-not-valid',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'Adding a CHECK or FOREIGN KEY to an existing table (or a constraint to a domain in use, or ENFORCED to a foreign key) validates every row while holding the lock.',
    lock: 'ACCESS EXCLUSIVE (CHECK, ENFORCED) / SHARE ROW EXCLUSIVE on both tables (FOREIGN KEY) / SHARE on every table of the domain',
    fixable: true,
    docs: {
      description:
        'ADD CONSTRAINT ... CHECK scans the whole table under ACCESS EXCLUSIVE (no reads or writes); ADD FOREIGN KEY scans it under SHARE ROW EXCLUSIVE on both tables (no writes to either). Add the constraint NOT VALID, which only checks new rows and needs the lock briefly, then VALIDATE CONSTRAINT in a separate transaction: validation takes SHARE UPDATE EXCLUSIVE, so reads and writes continue. The same holds for ALTER DOMAIN ... ADD CONSTRAINT and SET NOT NULL, which check every column of the domain in every table under SHARE (writes wait): add the constraint NOT VALID (validating it later still takes SHARE, see validate-domain-constraint). On PostgreSQL 18, ALTER CONSTRAINT ... ENFORCED validates a foreign key under ACCESS EXCLUSIVE: re-add it NOT VALID and VALIDATE it instead.',
      bad: 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);',
      good: 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n-- in a separate transaction:\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;',
      links: [
        'https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT',
        'https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES',
        'https://www.postgresql.org/docs/current/sql-alterdomain.html',
      ],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const effect of onPreExisting(effectsOf(ctx, 'add-check', 'add-foreign-key'))) {
      const name = effect.constraint ?? `${effect.table?.display.split('.').pop()}_${effect.fact.id === 'add-check' ? 'check' : 'fkey'}`;
      const kind = effect.fact.id === 'add-check' ? 'CHECK' : 'FOREIGN KEY';
      const single = (ctx.stmt.node.cmds ?? []).length === 1 && ctx.stmt.inDoBlock === null;
      const addSql = single ? `${ctx.stmt.text} NOT VALID;` : `ALTER TABLE ${relSql(effect)} ADD CONSTRAINT ${ident(name)} ${kind} (...) NOT VALID;`;
      out.push({
        effect,
        message: `Adding a ${kind} constraint validates every existing row while holding ${lockPhrase(mainLock(effect))}.`,
        help: 'Add it NOT VALID (new rows are checked at once), then VALIDATE CONSTRAINT in a separate transaction, which does not block reads or writes.',
        suggestion: `${addSql}\n-- then, in a separate transaction:\nALTER TABLE ${relSql(effect)} VALIDATE CONSTRAINT ${ident(name)};`,
        fix: (file: FixFile) => fix(ctx, file),
      });
    }
    for (const effect of onPreExisting(effectsOf(ctx, 'add-column-check', 'add-column-references-default'))) {
      const fk = effect.fact.id === 'add-column-references-default';
      out.push({
        effect,
        message: `ADD COLUMN with an inline ${fk ? 'REFERENCES' : 'CHECK'} validates every existing row while holding ${lockPhrase(mainLock(effect))}.`,
        help: 'Add the column without the constraint, then add the constraint NOT VALID and VALIDATE it in a separate transaction.',
        suggestion: (() => {
          const t = relSql(effect);
          const name = ident(`${effect.table?.display.split('.').pop()}_${effect.column}_${fk ? 'fkey' : 'check'}`);
          const parts = addColumnParts(ctx.stmt.text);
          const con = effect.node;
          const refCols: string[] = (con?.pk_attrs ?? []).map((a: any) => String(a?.String?.sval ?? '')).filter(Boolean);
          const ref = effect.referenced ? `${effect.referenced.key.startsWith('public.') ? ident(effect.referenced.key.slice(7)) : effect.referenced.display}${refCols.length ? ` (${refCols.map(ident).join(', ')})` : ''}` : '...';
          const what = fk ? `FOREIGN KEY (${ident(effect.column)}) REFERENCES ${ref}` : 'CHECK (...)';
          return `ALTER TABLE ${t} ADD COLUMN ${ident(effect.column)} ${parts?.type || '<type>'}${parts?.default ? ` DEFAULT ${parts.default}` : ''};\nALTER TABLE ${t} ADD CONSTRAINT ${name} ${what} NOT VALID;\n-- separate transaction:\nALTER TABLE ${t} VALIDATE CONSTRAINT ${name};`;
        })(),
      });
    }
    out.push(...domainReports(ctx), ...enforcedReports(ctx));
    return out;
  },
};

/** ALTER DOMAIN ... ADD CONSTRAINT (validated) / SET NOT NULL: one report for the statement, naming every table scanned. */
function domainReports(ctx: RuleContext): RuleReport[] {
  const effects = effectsOf(ctx, 'alter-domain-add-constraint', 'alter-domain-set-not-null');
  const first = effects[0];
  if (!first) return [];
  const n = ctx.stmt.node;
  const m = ctx.model;
  const q = qnameFromList(n.typeName ?? []);
  const key = m.resolveKey(q, (k) => m.domains.has(k));
  const domain = m.domains.get(key);
  if (domain && createdHere(ctx, domain.origin)) return [];
  const tables = effects.filter((e) => e.table?.preExisting);
  // A known domain no known table uses: nothing is scanned.
  if (domain && tables.length === 0) return [];
  const dsql = q.schema ? `${ident(q.schema)}.${ident(q.name)}` : ident(q.name);
  const setNotNull = first.fact.id === 'alter-domain-set-not-null';
  const what = setNotNull ? 'SET NOT NULL' : 'ADD CONSTRAINT';
  const scanned = tables.length
    ? `scans ${listed(tables.map((e) => e.table!.display))} while holding ${lockPhrase(mainLock(tables[0]!))}${tables.length > 1 ? ' on each' : ''}`
    : `scans every table with a column of ${q.name} under SHARE (ddlguard knows none: its schema sources may not cover them)`;
  const name = n.def?.Constraint?.conname ?? `${q.name}_${setNotNull ? 'not_null' : 'check'}`;
  const add = setNotNull ? `ALTER DOMAIN ${dsql} ADD CONSTRAINT ${ident(name)} CHECK (VALUE IS NOT NULL) NOT VALID;` : /\bCONSTRAINT\b/i.test(ctx.stmt.text) ? `${ctx.stmt.text} NOT VALID;` : `ALTER DOMAIN ${dsql} ADD CONSTRAINT ${ident(name)} ${ctx.stmt.text.replace(/^[\s\S]*?\bADD\s+/i, '')} NOT VALID;`;
  return [
    {
      effect: tables[0] ?? first,
      ...(tables.length ? {} : { severity: 'warning' as const }),
      message: `ALTER DOMAIN ${q.name} ${what} checks every value of the domain: it ${scanned}, so writes wait until every row is checked.`,
      help: 'Add it NOT VALID: new and updated values are checked at once and no table is scanned. Validating it later still scans under SHARE (see validate-domain-constraint), or prove the existing rows with a table CHECK per column instead.',
      suggestion: `${add}
-- existing rows: ALTER DOMAIN ${dsql} VALIDATE CONSTRAINT ${ident(name)}; (scans under SHARE: writes wait) or a CHECK per table column, added NOT VALID and validated`,
    },
  ];
}

/** ALTER CONSTRAINT ... ENFORCED (PostgreSQL 18): validates the foreign key under ACCESS EXCLUSIVE. */
function enforcedReports(ctx: RuleContext): RuleReport[] {
  return onPreExisting(effectsOf(ctx, 'alter-constraint-enforced'))
    .filter((e) => !e.fact.unsupported)
    .map((effect) => {
      const t = relSql(effect);
      const con = effect.constraint ? ctx.model.relations.get(effect.table!.key)?.constraints.get(effect.constraint) : undefined;
      const name = ident(effect.constraint);
      const ref = con?.references ? `${con.references.startsWith('public.') ? ident(con.references.slice(7)) : con.references}${con.referencesColumns.length ? ` (${con.referencesColumns.map(ident).join(', ')})` : ''}` : '<table> (<columns>)';
      const fk = con?.kind === 'foreign-key' ? `FOREIGN KEY (${con.columns.map(ident).join(', ')}) REFERENCES ${ref}` : 'FOREIGN KEY (...) REFERENCES ...';
      return {
        effect,
        message: `ALTER CONSTRAINT ${effect.constraint ?? ''} ENFORCED validates every row of ${effect.table!.display} against the referenced table while holding ${lockPhrase(mainLock(effect))}.`,
        help: 'Re-add the foreign key NOT VALID in one statement (checked for new rows at once), then VALIDATE CONSTRAINT in a separate transaction, which does not block reads or writes.',
        suggestion: `ALTER TABLE ${t} DROP CONSTRAINT ${name}, ADD CONSTRAINT ${name} ${fk} NOT VALID;
-- then, in a separate transaction:
ALTER TABLE ${t} VALIDATE CONSTRAINT ${name};`,
      };
    });
}

export default rule;
