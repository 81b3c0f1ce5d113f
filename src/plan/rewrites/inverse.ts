/**
 * The rollback of a statement kept as written (src/plan/rewrites/guard.ts): the statement
 * that undoes it exactly, read from the parse tree and the schema model as it was before it;
 * nothing, for statements that change nothing a rollback must restore; or, when neither is
 * known, no rollback and irreversible, with a `no rollback: ...` note saying why (so
 * `ddlguard rollback` refuses instead of leaving it in place).
 */
import { columnRefs, qnameFromList, qnameFromRangeVar, stringValue, typeRefFromTypeName, type QName } from '../../sql/ast.js';
import { derivedName, quoteIdent } from '../../sql/quote.js';
import { typeChange } from '../../locks/type-change.js';
import type { RelationModel } from '../../schema/model.js';
import { qrel, type RewriteContext } from '../context.js';
import { typeSql } from './rename-column.js';
import { unvalidateSql } from './common.js';
import { NO_ROLLBACK_NOTE } from './undo.js';

export interface Inverse {
  rollback: string | null;
  irreversible: boolean;
  notes: string[];
}

const NOTHING: Inverse = { rollback: null, irreversible: false, notes: [] };

function undo(sql: string): Inverse {
  return { rollback: sql, irreversible: false, notes: [] };
}

function cannot(why: string): Inverse {
  return { rollback: null, irreversible: true, notes: [`${NO_ROLLBACK_NOTE}${why}`] };
}

/** Statements that change nothing a rollback must restore (maintenance, settings, reads). */
const CHANGES_NOTHING = new Set([
  'VacuumStmt',
  'ReindexStmt',
  'RefreshMatViewStmt',
  'ClusterStmt',
  'VariableSetStmt',
  'VariableShowStmt',
  'ExplainStmt',
  'CheckPointStmt',
  'NotifyStmt',
  'ListenStmt',
  'UnlistenStmt',
  'LockStmt',
  'DiscardStmt',
]);

/**
 * The inverse of the statement in `ctx`. `small`: the table is new in this migration or
 * small, so an inverse that scans or rewrites it is acceptable.
 */
export function inverseOf(ctx: RewriteContext, small: boolean): Inverse {
  const { kind, node: n } = ctx.stmt;
  if (CHANGES_NOTHING.has(kind)) return NOTHING;
  if (kind === 'SelectStmt') return n.intoClause ? cannot('SELECT INTO creates a table ddlguard does not undo') : NOTHING;
  switch (kind) {
    case 'CreateStmt': {
      const q = qnameFromRangeVar(n.relation);
      return createRelation(ctx, q, 'TABLE', Boolean(n.if_not_exists));
    }
    case 'CreateTableAsStmt': {
      const q = qnameFromRangeVar(n.into?.rel);
      return createRelation(ctx, q, n.objtype === 'OBJECT_MATVIEW' ? 'MATERIALIZED VIEW' : 'TABLE', Boolean(n.if_not_exists));
    }
    case 'ViewStmt': {
      const q = qnameFromRangeVar(n.view);
      if (n.replace) return cannot(`CREATE OR REPLACE VIEW: the previous definition of ${q.name}, if it had one, is not in the plan`);
      return undo(`DROP VIEW IF EXISTS ${qrel(q)}`);
    }
    case 'CreateSeqStmt':
      return createRelation(ctx, qnameFromRangeVar(n.sequence), 'SEQUENCE', Boolean(n.if_not_exists));
    case 'IndexStmt':
      return createIndex(ctx, n);
    case 'CreateTrigStmt': {
      if (n.replace) return cannot(`CREATE OR REPLACE TRIGGER: the previous trigger ${n.trigname}, if there was one, is not in the plan`);
      return undo(`DROP TRIGGER IF EXISTS ${quoteIdent(String(n.trigname))} ON ${qrel(qnameFromRangeVar(n.relation))}`);
    }
    case 'CreateEnumStmt':
      return undo(`DROP TYPE IF EXISTS ${qrel(qnameFromList(n.typeName))}`);
    case 'CreateDomainStmt':
      return undo(`DROP DOMAIN IF EXISTS ${qrel(qnameFromList(n.domainname))}`);
    case 'CreateSchemaStmt':
      if (n.if_not_exists) return cannot(`CREATE SCHEMA IF NOT EXISTS: the plan cannot tell whether schema ${n.schemaname} existed before`);
      if ((n.schemaElts ?? []).length) return cannot('CREATE SCHEMA with the objects in it: write the objects as statements of their own');
      return undo(`DROP SCHEMA IF EXISTS ${quoteIdent(String(n.schemaname))}`);
    case 'RenameStmt':
      return rename(n);
    case 'AlterTableStmt':
      return alterTable(ctx, n, small);
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt': {
      const q = qnameFromRangeVar(n.relation);
      const key = ctx.model.resolveKey(q);
      if (ctx.isNew(key)) return NOTHING; // the table's own rollback drops its rows
      return cannot(`its changes to the rows of ${q.name} cannot be undone`);
    }
    case 'CommentStmt':
      return cannot('the previous comment is not in the plan');
    case 'DropStmt':
      return cannot('what it drops is gone');
    case 'AlterEnumStmt':
      return cannot('PostgreSQL cannot remove a value from an enum');
    default:
      return cannot(`ddlguard does not know how to undo ${kind.replace(/Stmt$/, '')}`);
  }
}

function createRelation(ctx: RewriteContext, q: QName, what: string, ifNotExists: boolean): Inverse {
  if (ifNotExists) {
    if (ctx.model.relation(q)) return NOTHING; // it existed: the statement did nothing
    return cannot(`CREATE ${what} IF NOT EXISTS: the plan cannot tell whether ${q.name} existed before (leave out IF NOT EXISTS to get a rollback)`);
  }
  return undo(`DROP ${what} IF EXISTS ${qrel(q)}`);
}

function createIndex(ctx: RewriteContext, n: any): Inverse {
  if (!n.idxname) return cannot('the index has no name, so the plan does not know which name PostgreSQL gives it: name it');
  const table = qnameFromRangeVar(n.relation);
  const index = { schema: table.schema, name: String(n.idxname) };
  const rel = ctx.model.relation(table);
  if (n.if_not_exists) {
    if (ctx.model.index(index)) return NOTHING;
    if (!rel || !ctx.isNew(rel.key)) return cannot(`CREATE INDEX IF NOT EXISTS: the plan cannot tell whether ${index.name} existed before (leave out IF NOT EXISTS to get a rollback)`);
  }
  return undo(`DROP INDEX${n.concurrent ? ' CONCURRENTLY' : ''} IF EXISTS ${qrel(index)}`);
}

const RENAMED_KIND: Record<string, string> = {
  OBJECT_TABLE: 'TABLE',
  OBJECT_VIEW: 'VIEW',
  OBJECT_MATVIEW: 'MATERIALIZED VIEW',
  OBJECT_SEQUENCE: 'SEQUENCE',
  OBJECT_INDEX: 'INDEX',
  OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE',
};

function rename(n: any): Inverse {
  if (n.missing_ok) return cannot('ALTER ... IF EXISTS: the plan cannot tell whether it renamed anything');
  const rv = n.relation ? qnameFromRangeVar(n.relation) : null;
  const newName = String(n.newname ?? '');
  if (!rv || !newName) return cannot(`ddlguard does not know how to undo this RENAME`);
  if (n.renameType === 'OBJECT_COLUMN' && n.relationType === 'OBJECT_TABLE') {
    return undo(`ALTER TABLE ${qrel(rv)} RENAME COLUMN ${quoteIdent(newName)} TO ${quoteIdent(String(n.subname))}`);
  }
  if (n.renameType === 'OBJECT_TABCONSTRAINT') {
    return undo(`ALTER TABLE ${qrel(rv)} RENAME CONSTRAINT ${quoteIdent(newName)} TO ${quoteIdent(String(n.subname))}`);
  }
  const what = RENAMED_KIND[n.renameType];
  if (what) return undo(`ALTER ${what} ${qrel({ schema: rv.schema, name: newName })} RENAME TO ${quoteIdent(rv.name)}`);
  return cannot(`ddlguard does not know how to undo a RENAME of a ${String(n.renameType).replace(/^OBJECT_/, '').toLowerCase()}`);
}

function alterTable(ctx: RewriteContext, n: any, small: boolean): Inverse {
  const cmds = n.cmds ?? [];
  if (n.objtype !== 'OBJECT_TABLE' || cmds.length !== 1) return cannot('ddlguard does not know how to undo this ALTER');
  if (n.missing_ok) return cannot('ALTER TABLE IF EXISTS: the plan cannot tell whether it changed anything');
  const cmd = cmds[0]?.AlterTableCmd ?? {};
  const q = qnameFromRangeVar(n.relation);
  const t = qrel(q);
  const rel = ctx.model.relation(q);
  const known = rel !== undefined && !rel.placeholder;
  const col = cmd.name ? rel?.columns.get(String(cmd.name)) : undefined;
  const c = cmd.name ? quoteIdent(String(cmd.name)) : '';
  const unknownColumn = () => cannot(`the previous state of column ${q.name}.${String(cmd.name)} is not known to the plan (pass --db, --schema or --history)`);
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const name = String(cmd.def?.ColumnDef?.colname ?? '');
      if (cmd.missing_ok) {
        if (rel?.columns.has(name)) return NOTHING;
        if (!rel || !ctx.isNew(rel.key)) return cannot(`ADD COLUMN IF NOT EXISTS: the plan cannot tell whether ${q.name}.${name} existed before (leave out IF NOT EXISTS to get a rollback)`);
      }
      return undo(`ALTER TABLE ${t} DROP COLUMN IF EXISTS ${quoteIdent(name)}`);
    }
    case 'AT_ColumnDefault': {
      if (!known || !col || col.inferred) return unknownColumn();
      if (cmd.def) return col.hasDefault ? cannot(`${q.name}.${String(cmd.name)} had a DEFAULT before, and the plan does not know its expression`) : undo(`ALTER TABLE ${t} ALTER COLUMN ${c} DROP DEFAULT`);
      return col.hasDefault ? cannot(`the dropped DEFAULT of ${q.name}.${String(cmd.name)} is not known to the plan`) : NOTHING;
    }
    case 'AT_SetNotNull':
      if (!known || !col || col.inferred) return unknownColumn();
      return col.notNull ? NOTHING : undo(`ALTER TABLE ${t} ALTER COLUMN ${c} DROP NOT NULL`);
    case 'AT_DropNotNull':
      if (!known || !col || col.inferred) return unknownColumn();
      if (!col.notNull) return NOTHING;
      if (!small) return cannot(`setting ${q.name}.${String(cmd.name)} NOT NULL again scans the table under ACCESS EXCLUSIVE: plan \`ALTER TABLE ${t} ALTER COLUMN ${c} SET NOT NULL\` to do it online`);
      return undo(`ALTER TABLE ${t} ALTER COLUMN ${c} SET NOT NULL`);
    case 'AT_AlterColumnType': {
      if (!known || !col || col.inferred) return unknownColumn();
      const old = typeSql(col.type);
      if (!old || cmd.def?.ColumnDef?.collClause) return cannot(`the previous type (or collation) of ${q.name}.${String(cmd.name)} is not known to the plan`);
      const back = typeChange(typeRefFromTypeName(cmd.def?.ColumnDef?.typeName), col.type, true);
      if (!small && back.cost !== 'none' && back.cost !== 'binary-compatible') return cannot(`changing ${q.name}.${String(cmd.name)} back to ${old} rewrites the table (${back.reason})`);
      return undo(`ALTER TABLE ${t} ALTER COLUMN ${c} TYPE ${old}`);
    }
    case 'AT_AddConstraint':
      return addConstraint(q, rel, cmd.def?.Constraint);
    case 'AT_ValidateConstraint': {
      const name = String(cmd.name ?? '');
      const con = rel?.constraints.get(name);
      if (!con) return cannot(`whether constraint ${name} was NOT VALID before is not known to the plan`);
      return con.validated ? NOTHING : undo(unvalidateSql({ schema: q.schema, name: q.name, key: rel!.key }, name));
    }
    case 'AT_AttachPartition': {
      const part = qnameFromRangeVar(cmd.def?.PartitionCmd?.name);
      return undo(`ALTER TABLE ${t} DETACH PARTITION ${qrel(part)}`);
    }
    case 'AT_DropColumn':
      return cannot("the old column's data is gone");
    case 'AT_DropConstraint':
      return cannot(`the definition of the dropped constraint ${String(cmd.name)} is not in the plan`);
    default:
      return cannot(`ddlguard does not know how to undo ALTER TABLE ${String(cmd.subtype ?? '').replace(/^AT_/, '')}`);
  }
}

/** The name PostgreSQL gives an unnamed constraint, or null when the plan cannot be sure of it. */
function constraintName(table: QName, rel: RelationModel | undefined, con: any): string | null {
  if (con.conname) return String(con.conname);
  let name: string | null = null;
  if (con.contype === 'CONSTR_PRIMARY') name = derivedName(table.name, '_pkey');
  else if (con.contype === 'CONSTR_UNIQUE') name = derivedName(`${table.name}_${(con.keys ?? []).map(stringValue).join('_')}`, '_key');
  else if (con.contype === 'CONSTR_FOREIGN') name = derivedName(`${table.name}_${(con.fk_attrs ?? []).map(stringValue).join('_')}`, '_fkey');
  else if (con.contype === 'CONSTR_CHECK') {
    const cols = [...new Set(columnRefs(con.raw_expr))];
    name = derivedName(cols.length === 1 ? `${table.name}_${cols[0]}` : table.name, '_check');
  }
  // A name already taken makes PostgreSQL pick another (…1): the plan would drop the wrong one.
  if (name === null || !rel || rel.placeholder || rel.constraints.has(name)) return null;
  return name;
}

function addConstraint(q: QName, rel: RelationModel | undefined, con: any): Inverse {
  if (!con) return cannot('ddlguard does not know how to undo this ADD CONSTRAINT');
  const name = constraintName(q, rel, con);
  if (!name) return cannot('the constraint has no name, and the plan cannot be sure which one PostgreSQL gives it: name it');
  const t = qrel(q);
  const out = [`ALTER TABLE ${t} DROP CONSTRAINT IF EXISTS ${quoteIdent(name)}`];
  if (con.contype === 'CONSTR_PRIMARY') {
    // ADD PRIMARY KEY makes its columns NOT NULL; dropping the key leaves them so.
    for (const k of (con.keys ?? []).map(stringValue)) {
      const col = rel?.columns.get(k);
      if (!col || col.inferred) return cannot(`whether ${q.name}.${k} was NOT NULL before the primary key is not known to the plan`);
      if (!col.notNull) out.push(`ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(k)} DROP NOT NULL`);
    }
  }
  return undo(out.join(';\n'));
}
