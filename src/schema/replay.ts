/**
 * Replay one statement into the schema model. Only effects that later rules
 * depend on are modelled; anything else is ignored rather than guessed.
 */
import {
  columnRefs,
  isNotNullTestColumn,
  qnameFromList,
  qnameFromRangeVar,
  stringValue,
  typeRefFromTypeName,
  type QName,
} from '../sql/ast.js';
import type { ParsedStatement } from '../sql/statement.js';
import { expressionVolatility, type Volatility } from '../locks/volatility.js';
import {
  relKey,
  type ColumnModel,
  type ConstraintModel,
  type Origin,
  type RelationModel,
  type SchemaModel,
} from './model.js';

export function replayStatement(model: SchemaModel, stmt: ParsedStatement, origin: Origin): void {
  const n = stmt.node;
  switch (stmt.kind) {
    case 'CreateSchemaStmt':
      if (n.schemaname) model.schemas.add(n.schemaname);
      for (const el of n.schemaElts ?? []) {
        const kind = Object.keys(el)[0];
        if (kind) replayStatement(model, { ...stmt, kind, node: el[kind] }, origin);
      }
      return;
    case 'CreateStmt':
      return createTable(model, n, origin);
    case 'CreateTableAsStmt': {
      const into = n.into?.rel;
      if (!into) return;
      const key = model.resolveKey(qnameFromRangeVar(into));
      if (model.relations.has(key) && n.if_not_exists) return;
      const kind = n.objtype === 'OBJECT_MATVIEW' ? 'materialized-view' : 'table';
      const rel = model.newRelation(key, kind, origin);
      for (const c of n.into?.colNames ?? []) addColumn(rel, plainColumn(stringValue(c), origin));
      return;
    }
    case 'ViewStmt': {
      const key = model.resolveKey(qnameFromRangeVar(n.view));
      if (model.relations.has(key)) return;
      model.newRelation(key, 'view', origin);
      return;
    }
    case 'CreateSeqStmt': {
      const key = model.resolveKey(qnameFromRangeVar(n.sequence));
      if (!model.relations.has(key)) model.newRelation(key, 'sequence', origin);
      return;
    }
    case 'CreateForeignTableStmt':
      createTable(model, n.base, origin, 'foreign-table');
      return;
    case 'IndexStmt':
      return createIndex(model, n, origin);
    case 'AlterTableStmt':
      return alterTable(model, n, origin);
    case 'RenameStmt':
      return rename(model, n);
    case 'DropStmt':
      return drop(model, n);
    case 'CreateEnumStmt': {
      const q = qnameFromList(n.typeName);
      const key = model.resolveKey(q, (k) => model.enums.has(k));
      model.enums.set(key, { key, values: (n.vals ?? []).map(stringValue), origin });
      return;
    }
    case 'AlterEnumStmt': {
      const e = model.enumType(qnameFromList(n.typeName));
      if (e && n.newVal && !n.oldVal && !e.values.includes(n.newVal)) e.values.push(n.newVal);
      return;
    }
    case 'CreateDomainStmt': {
      const q = qnameFromList(n.domainname);
      const key = model.resolveKey(q, (k) => model.domains.has(k));
      model.domains.set(key, {
        key,
        base: typeRefFromTypeName(n.typeName),
        hasConstraints: (n.constraints ?? []).some((c: any) => c?.Constraint?.contype === 'CONSTR_CHECK' || c?.Constraint?.contype === 'CONSTR_NOTNULL'),
      });
      return;
    }
    case 'CreateFunctionStmt': {
      const name = qnameFromList(n.funcname).name.toLowerCase();
      let vol: Volatility = 'volatile';
      for (const o of n.options ?? []) {
        const d = o?.DefElem;
        if (d?.defname === 'volatility') vol = stringValue(d.arg) as Volatility;
      }
      model.functions.set(name, vol);
      return;
    }
    case 'AlterObjectSchemaStmt': {
      if (!n.relation || !n.newschema) return;
      const rel = model.relation(qnameFromRangeVar(n.relation));
      if (!rel) return;
      moveRelation(model, rel, relKey(n.newschema, rel.name));
      return;
    }
    case 'VariableSetStmt':
      if (n.name === 'search_path' && n.kind === 'VAR_SET_VALUE') {
        model.searchPath = (n.args ?? []).map((a: any) => String(a?.A_Const?.sval?.sval ?? stringValue(a)));
      } else if (n.name === 'search_path' && (n.kind === 'VAR_RESET' || n.kind === 'VAR_SET_DEFAULT')) {
        model.searchPath = ['public'];
      }
      return;
    default:
      return;
  }
}

function plainColumn(name: string, origin: Origin | null): ColumnModel {
  return {
    name,
    type: { name: 'unknown', schema: null, mods: [], array: false },
    notNull: false,
    hasDefault: false,
    defaultVolatile: false,
    generated: null,
    identity: false,
    origin,
  };
}

function addColumn(rel: RelationModel, col: ColumnModel): void {
  rel.columns.set(col.name, col);
}

function createTable(model: SchemaModel, n: any, origin: Origin, kind?: 'foreign-table'): void {
  const key = model.resolveKey(qnameFromRangeVar(n.relation));
  if (model.relations.has(key)) {
    if (n.if_not_exists) return;
    model.dropRelation(key);
  }
  const rel = model.newRelation(key, kind ?? (n.partspec ? 'partitioned-table' : 'table'), origin);
  rel.unlogged = n.relation?.relpersistence === 'u';
  if (n.partspec) {
    rel.partitionKey = (n.partspec.partParams ?? [])
      .map((p: any) => p?.PartitionElem?.name)
      .filter((x: unknown): x is string => typeof x === 'string');
  }
  if (n.partbound && n.inhRelations?.[0]?.RangeVar) {
    const parent = model.relation(qnameFromRangeVar(n.inhRelations[0].RangeVar));
    if (parent) {
      rel.partitionOf = parent.key;
      parent.partitions.add(key);
      for (const c of parent.columns.values()) addColumn(rel, { ...c, origin });
    }
  } else {
    for (const inh of n.inhRelations ?? []) {
      const parent = inh?.RangeVar ? model.relation(qnameFromRangeVar(inh.RangeVar)) : undefined;
      for (const c of parent?.columns.values() ?? []) addColumn(rel, { ...c, origin });
    }
  }
  for (const el of n.tableElts ?? []) {
    if (el.ColumnDef) applyColumnDef(model, rel, el.ColumnDef, origin);
    else if (el.Constraint) applyConstraint(model, rel, el.Constraint, origin, true);
    else if (el.TableLikeClause) {
      const src = model.relation(qnameFromRangeVar(el.TableLikeClause.relation));
      for (const c of src?.columns.values() ?? []) addColumn(rel, { ...c, origin });
    }
  }
}

export function applyColumnDef(model: SchemaModel, rel: RelationModel, def: any, origin: Origin): ColumnModel {
  const type = typeRefFromTypeName(def.typeName);
  const col: ColumnModel = {
    name: String(def.colname),
    type,
    notNull: false,
    hasDefault: false,
    defaultVolatile: false,
    generated: null,
    identity: false,
    origin,
  };
  if (['serial', 'bigserial', 'smallserial'].includes(type.name) && !type.schema) {
    col.hasDefault = true;
    col.defaultVolatile = true;
    col.notNull = true;
  }
  if (def.raw_default) {
    col.hasDefault = true;
    col.defaultVolatile = expressionVolatility(def.raw_default, model.functions).volatile;
  }
  addColumn(rel, col);
  for (const c of def.constraints ?? []) {
    const con = c?.Constraint;
    if (!con) continue;
    switch (con.contype) {
      case 'CONSTR_NOTNULL':
        col.notNull = true;
        if (con.conname) addNotNullConstraint(rel, con.conname, col.name, !con.skip_validation, origin);
        break;
      case 'CONSTR_NULL':
        col.notNull = false;
        break;
      case 'CONSTR_DEFAULT':
        col.hasDefault = true;
        col.defaultVolatile = expressionVolatility(con.raw_expr, model.functions).volatile;
        break;
      case 'CONSTR_IDENTITY':
        col.identity = true;
        col.notNull = true;
        col.hasDefault = true;
        break;
      case 'CONSTR_GENERATED':
        col.generated = con.generated_kind === 'v' ? 'virtual' : 'stored';
        break;
      default:
        applyConstraint(model, rel, { ...con, keys: [{ String: { sval: col.name } }], fk_attrs: [{ String: { sval: col.name } }] }, origin, true);
    }
  }
  return col;
}

function addNotNullConstraint(rel: RelationModel, name: string, column: string, validated: boolean, origin: Origin): void {
  rel.constraints.set(name, {
    name,
    kind: 'not-null',
    columns: [column],
    validated,
    notNullColumn: column,
    references: null,
    index: null,
    origin,
  });
}

/** Default constraint name the way PostgreSQL derives it (close enough for later lookups). */
function defaultConstraintName(rel: RelationModel, kind: ConstraintModel['kind'], cols: string[]): string {
  const suffix: Record<ConstraintModel['kind'], string> = {
    'check': 'check',
    'foreign-key': 'fkey',
    'unique': 'key',
    'primary-key': 'pkey',
    'exclude': 'excl',
    'not-null': 'not_null',
  };
  const middle = kind === 'primary-key' ? '' : cols.length ? '_' + cols.join('_') : '';
  return `${rel.name}${middle}_${suffix[kind]}`;
}

export function applyConstraint(model: SchemaModel, rel: RelationModel, con: any, origin: Origin, inCreate: boolean): ConstraintModel | null {
  const keys = (con.keys ?? []).map(stringValue);
  let kind: ConstraintModel['kind'];
  switch (con.contype) {
    case 'CONSTR_CHECK':
      kind = 'check';
      break;
    case 'CONSTR_FOREIGN':
      kind = 'foreign-key';
      break;
    case 'CONSTR_UNIQUE':
      kind = 'unique';
      break;
    case 'CONSTR_PRIMARY':
      kind = 'primary-key';
      break;
    case 'CONSTR_EXCLUSION':
      kind = 'exclude';
      break;
    case 'CONSTR_NOTNULL':
      kind = 'not-null';
      break;
    default:
      return null;
  }
  let columns: string[] = keys;
  if (kind === 'foreign-key') columns = (con.fk_attrs ?? []).map(stringValue);
  if (kind === 'check') columns = columnRefs(con.raw_expr);
  if (kind === 'exclude') columns = (con.exclusions ?? []).map((e: any) => e?.List?.items?.[0]?.IndexElem?.name).filter(Boolean);
  if (con.indexname && columns.length === 0) {
    const ix = model.index({ schema: rel.schema, name: con.indexname });
    if (ix) columns = ix.columns;
  }
  const name = con.conname ?? defaultConstraintName(rel, kind, columns);
  const validated = inCreate ? true : !con.skip_validation;
  const model_: ConstraintModel = {
    name,
    kind,
    columns,
    validated,
    notNullColumn: kind === 'check' ? isNotNullTestColumn(con.raw_expr) : kind === 'not-null' ? (columns[0] ?? null) : null,
    references: kind === 'foreign-key' && con.pktable ? model.resolveKey(qnameFromRangeVar(con.pktable)) : null,
    index: con.indexname ?? null,
    origin,
  };
  rel.constraints.set(name, model_);
  if (kind === 'primary-key' || (kind === 'not-null' && validated)) {
    for (const c of columns) {
      const col = rel.columns.get(c);
      if (col) col.notNull = true;
    }
  }
  if (kind === 'primary-key' || kind === 'unique' || kind === 'exclude') {
    const ixName = con.indexname ?? (kind === 'primary-key' ? `${rel.name}_pkey` : name);
    const key = relKey(rel.schema, ixName);
    if (con.indexname) {
      // USING INDEX: the index becomes the constraint's (and is renamed to it).
      const existing = model.indexes.get(key);
      if (existing && con.conname && con.conname !== ixName) {
        model.indexes.delete(key);
        rel.indexes.delete(key);
        const nk = relKey(rel.schema, con.conname);
        model.indexes.set(nk, { ...existing, key: nk, name: con.conname });
        rel.indexes.add(nk);
      }
    } else {
      model.indexes.set(key, { key, schema: rel.schema, name: ixName, table: rel.key, columns, unique: kind !== 'exclude', origin });
      rel.indexes.add(key);
    }
  }
  return model_;
}

function createIndex(model: SchemaModel, n: any, origin: Origin): void {
  const rel = model.relation(qnameFromRangeVar(n.relation));
  const schema = rel?.schema ?? n.relation?.schemaname ?? model.creationSchema();
  const columns: string[] = (n.indexParams ?? []).map((p: any) => p?.IndexElem?.name).filter(Boolean);
  const name = n.idxname ?? `${rel?.name ?? n.relation?.relname}_${columns.join('_') || 'expr'}_idx`;
  const key = relKey(schema, name);
  if (model.indexes.has(key) && n.if_not_exists) return;
  model.indexes.set(key, { key, schema, name, table: rel?.key ?? model.resolveKey(qnameFromRangeVar(n.relation)), columns, unique: Boolean(n.unique), origin });
  rel?.indexes.add(key);
}

function alterTable(model: SchemaModel, n: any, origin: Origin): void {
  if (n.objtype === 'OBJECT_INDEX') return;
  const rel = model.relation(qnameFromRangeVar(n.relation));
  if (!rel) return;
  for (const c of n.cmds ?? []) {
    const cmd = c?.AlterTableCmd;
    if (!cmd) continue;
    const col = cmd.name ? rel.columns.get(cmd.name) : undefined;
    switch (cmd.subtype) {
      case 'AT_AddColumn':
        if (cmd.def?.ColumnDef) {
          if (rel.columns.has(cmd.def.ColumnDef.colname) && cmd.missing_ok) break;
          applyColumnDef(model, rel, cmd.def.ColumnDef, origin);
        }
        break;
      case 'AT_DropColumn':
        if (cmd.name) {
          rel.columns.delete(cmd.name);
          for (const [k, con] of rel.constraints) if (con.columns.includes(cmd.name)) rel.constraints.delete(k);
          for (const ix of [...rel.indexes]) {
            if (model.indexes.get(ix)?.columns.includes(cmd.name)) {
              model.indexes.delete(ix);
              rel.indexes.delete(ix);
            }
          }
        }
        break;
      case 'AT_AlterColumnType':
        if (col && cmd.def?.ColumnDef?.typeName) col.type = typeRefFromTypeName(cmd.def.ColumnDef.typeName);
        break;
      case 'AT_SetNotNull':
        if (col) col.notNull = true;
        break;
      case 'AT_DropNotNull':
        if (col) col.notNull = false;
        for (const [k, con] of rel.constraints) if (con.kind === 'not-null' && con.notNullColumn === cmd.name) rel.constraints.delete(k);
        break;
      case 'AT_ColumnDefault':
        if (col) {
          col.hasDefault = Boolean(cmd.def);
          col.defaultVolatile = cmd.def ? expressionVolatility(cmd.def, model.functions).volatile : false;
        }
        break;
      case 'AT_AddIdentity':
        if (col) {
          col.identity = true;
          col.notNull = true;
        }
        break;
      case 'AT_DropIdentity':
        if (col) col.identity = false;
        break;
      case 'AT_AddConstraint':
        if (cmd.def?.Constraint) applyConstraint(model, rel, cmd.def.Constraint, origin, false);
        break;
      case 'AT_AddIndexConstraint':
        if (cmd.def?.IndexStmt) {
          const ix = cmd.def.IndexStmt;
          applyConstraint(model, rel, { contype: ix.primary ? 'CONSTR_PRIMARY' : 'CONSTR_UNIQUE', conname: ix.idxname, indexname: ix.idxname }, origin, false);
        }
        break;
      case 'AT_ValidateConstraint': {
        const con = cmd.name ? rel.constraints.get(cmd.name) : undefined;
        if (con) {
          con.validated = true;
          if (con.kind === 'not-null' && con.notNullColumn) {
            const target = rel.columns.get(con.notNullColumn);
            if (target) target.notNull = true;
          }
        }
        break;
      }
      case 'AT_DropConstraint':
        if (cmd.name) {
          const con = rel.constraints.get(cmd.name);
          rel.constraints.delete(cmd.name);
          const ixKey = relKey(rel.schema, cmd.name);
          if (con && (con.kind === 'primary-key' || con.kind === 'unique' || con.kind === 'exclude')) {
            model.indexes.delete(ixKey);
            rel.indexes.delete(ixKey);
          }
          if (con?.kind === 'not-null' && con.notNullColumn) {
            const target = rel.columns.get(con.notNullColumn);
            if (target) target.notNull = false;
          }
        }
        break;
      case 'AT_SetLogged':
        rel.unlogged = false;
        break;
      case 'AT_SetUnLogged':
        rel.unlogged = true;
        break;
      case 'AT_AttachPartition': {
        const part = model.relation(qnameFromRangeVar(cmd.def?.PartitionCmd?.name));
        if (part) {
          part.partitionOf = rel.key;
          rel.partitions.add(part.key);
        }
        break;
      }
      case 'AT_DetachPartition': {
        const part = model.relation(qnameFromRangeVar(cmd.def?.PartitionCmd?.name));
        if (part) {
          part.partitionOf = null;
          rel.partitions.delete(part.key);
        }
        break;
      }
      default:
        break;
    }
  }
}

function rename(model: SchemaModel, n: any): void {
  const newName: string = n.newname;
  switch (n.renameType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_FOREIGN_TABLE':
    case 'OBJECT_SEQUENCE': {
      const rel = model.relation(qnameFromRangeVar(n.relation));
      if (rel) moveRelation(model, rel, relKey(rel.schema, newName));
      return;
    }
    case 'OBJECT_COLUMN': {
      const rel = model.relation(qnameFromRangeVar(n.relation));
      const col = rel?.columns.get(n.subname);
      if (!rel || !col) return;
      rel.columns.delete(n.subname);
      col.name = newName;
      rel.columns.set(newName, col);
      for (const con of rel.constraints.values()) {
        con.columns = con.columns.map((c) => (c === n.subname ? newName : c));
        if (con.notNullColumn === n.subname) con.notNullColumn = newName;
      }
      for (const ix of rel.indexes) {
        const m = model.indexes.get(ix);
        if (m) m.columns = m.columns.map((c) => (c === n.subname ? newName : c));
      }
      return;
    }
    case 'OBJECT_TABCONSTRAINT': {
      const rel = model.relation(qnameFromRangeVar(n.relation));
      const con = rel?.constraints.get(n.subname);
      if (!rel || !con) return;
      rel.constraints.delete(n.subname);
      con.name = newName;
      rel.constraints.set(newName, con);
      return;
    }
    case 'OBJECT_INDEX': {
      const q = qnameFromRangeVar(n.relation);
      const ix = model.index(q);
      if (!ix) return;
      model.indexes.delete(ix.key);
      model.relations.get(ix.table)?.indexes.delete(ix.key);
      const key = relKey(ix.schema, newName);
      model.indexes.set(key, { ...ix, key, name: newName });
      model.relations.get(ix.table)?.indexes.add(key);
      return;
    }
    case 'OBJECT_SCHEMA': {
      const old: string = n.subname;
      model.schemas.delete(old);
      model.schemas.add(newName);
      for (const rel of [...model.relations.values()]) if (rel.schema === old) moveRelation(model, rel, relKey(newName, rel.name));
      return;
    }
    default:
      return;
  }
}

function moveRelation(model: SchemaModel, rel: RelationModel, newKey: string): void {
  model.relations.delete(rel.key);
  const dot = newKey.indexOf('.');
  const oldKey = rel.key;
  rel.key = newKey;
  rel.schema = newKey.slice(0, dot);
  rel.name = newKey.slice(dot + 1);
  model.relations.set(newKey, rel);
  for (const ix of rel.indexes) {
    const m = model.indexes.get(ix);
    if (m) m.table = newKey;
  }
  for (const other of model.relations.values()) {
    if (other.partitionOf === oldKey) other.partitionOf = newKey;
    if (other.partitions.delete(oldKey)) other.partitions.add(newKey);
    for (const con of other.constraints.values()) if (con.references === oldKey) con.references = newKey;
  }
}

function drop(model: SchemaModel, n: any): void {
  for (const obj of n.objects ?? []) {
    switch (n.removeType) {
      case 'OBJECT_TABLE':
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW':
      case 'OBJECT_FOREIGN_TABLE':
      case 'OBJECT_SEQUENCE': {
        const q: QName = qnameFromList(obj?.List?.items ?? []);
        const rel = model.relation(q);
        if (rel) model.dropRelation(rel.key);
        break;
      }
      case 'OBJECT_INDEX': {
        const ix = model.index(qnameFromList(obj?.List?.items ?? []));
        if (ix) {
          model.indexes.delete(ix.key);
          model.relations.get(ix.table)?.indexes.delete(ix.key);
        }
        break;
      }
      case 'OBJECT_TYPE': {
        const items = obj?.TypeName?.names ?? obj?.List?.items ?? [];
        const q = qnameFromList(items);
        model.enums.delete(model.resolveKey(q, (k) => model.enums.has(k)));
        break;
      }
      case 'OBJECT_SCHEMA': {
        const s = stringValue(obj);
        model.schemas.delete(s);
        for (const rel of [...model.relations.values()]) if (rel.schema === s) model.dropRelation(rel.key);
        break;
      }
      default:
        break;
    }
  }
}
