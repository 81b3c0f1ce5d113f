/**
 * Replay one statement into the schema model. Only effects that later rules
 * depend on are modelled; anything else is ignored rather than guessed.
 */
import {
  columnRefs,
  isNotNullTestColumn,
  rangeVars,
  qnameFromList,
  qnameFromRangeVar,
  stringValue,
  typeRefFromTypeName,
  type QName,
} from '../sql/ast.js';
import type { ParsedStatement } from '../sql/statement.js';
import { expressionVolatility, type Volatility } from '../sql/volatility.js';
import {
  indexRecord,
  relKey,
  type ColumnModel,
  type ConstraintModel,
  type DomainConstraint,
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
      rel.dependsOn = queryDependencies(model, n.query);
      return;
    }
    case 'ViewStmt': {
      const key = model.resolveKey(qnameFromRangeVar(n.view));
      const existing = model.relations.get(key);
      // CREATE OR REPLACE VIEW keeps the view and changes what it reads.
      if (existing) {
        if (n.replace) existing.dependsOn = queryDependencies(model, n.query);
        return;
      }
      model.newRelation(key, 'view', origin).dependsOn = queryDependencies(model, n.query);
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
      return rename(model, n, origin);
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
      if (!e || !n.newVal) return;
      if (n.oldVal) {
        // RENAME VALUE old TO new
        const i = e.values.indexOf(n.oldVal);
        if (i >= 0) e.values[i] = n.newVal;
        return;
      }
      if (e.values.includes(n.newVal)) return;
      const at = n.newValNeighbor ? e.values.indexOf(n.newValNeighbor) : -1;
      if (at < 0) e.values.push(n.newVal);
      else e.values.splice(n.newValIsAfter ? at + 1 : at, 0, n.newVal);
      return;
    }
    case 'CreateDomainStmt': {
      const q = qnameFromList(n.domainname);
      const key = model.resolveKey(q, (k) => model.domains.has(k));
      const constraints: DomainConstraint[] = [];
      let notNull = false;
      const domainName = key.slice(key.indexOf('.') + 1);
      for (const c of n.constraints ?? []) {
        const con = c?.Constraint;
        if (con?.contype === 'CONSTR_NOTNULL') {
          notNull = true;
          constraints.push({ name: con.conname ?? `${domainName}_not_null`, kind: 'not-null', validated: true });
        } else if (con?.contype === 'CONSTR_CHECK') {
          constraints.push({ name: con.conname ?? `${domainName}_check`, kind: 'check', validated: !con.skip_validation });
        }
      }
      model.domains.set(key, { key, base: typeRefFromTypeName(n.typeName), notNull, constraints, hasConstraints: constraints.length > 0, origin });
      return;
    }
    case 'AlterDomainStmt': {
      const d = model.domains.get(model.resolveKey(qnameFromList(n.typeName), (k) => model.domains.has(k)));
      if (!d) return;
      const con = n.def?.Constraint;
      if (n.subtype === 'C' && con) {
        const name = con.conname ?? `${d.key.slice(d.key.indexOf('.') + 1)}_check`;
        d.constraints.push({ name, kind: con.contype === 'CONSTR_NOTNULL' ? 'not-null' : 'check', validated: !con.skip_validation });
      } else if (n.subtype === 'X' && n.name) {
        d.constraints = d.constraints.filter((c) => c.name !== n.name);
      } else if (n.subtype === 'V' && n.name) {
        for (const c of d.constraints) if (c.name === n.name) c.validated = true;
      } else if (n.subtype === 'O') {
        d.notNull = true;
      } else if (n.subtype === 'N') {
        d.notNull = false;
        d.constraints = d.constraints.filter((c) => c.kind !== 'not-null');
      }
      d.hasConstraints = d.notNull || d.constraints.length > 0;
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
    rel.partitionStrategy = PARTITION_STRATEGY[String(n.partspec.strategy)] ?? null;
  }
  if (n.partbound && n.inhRelations?.[0]?.RangeVar) {
    rel.partitionBound = partitionBoundText(n.partbound);
    const parent = model.touch(qnameFromRangeVar(n.inhRelations[0].RangeVar), origin.file, 'partitioned-table');
    rel.partitionOf = parent.key;
    parent.partitions.add(key);
    for (const c of parent.columns.values()) addColumn(rel, { ...c, origin });
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
    referencesColumns: [],
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
    referencesColumns: kind === 'foreign-key' ? (con.pk_attrs ?? []).map(stringValue) : [],
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
    // The backing index takes the constraint's name (PostgreSQL names an unnamed PK `<table>_pkey`).
    const ixName = con.indexname ?? name;
    model_.index = con.indexname && con.conname ? con.conname : ixName;
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
      const method = kind === 'exclude' ? String(con.access_method ?? 'gist') : 'btree';
      model.indexes.set(key, indexRecord({ key, schema: rel.schema, name: ixName, table: rel.key, columns, unique: kind !== 'exclude', method, origin }));
      rel.indexes.add(key);
    }
  }
  return model_;
}

function createIndex(model: SchemaModel, n: any, origin: Origin): void {
  const rel = model.touch(qnameFromRangeVar(n.relation), origin.file);
  const schema = rel.schema;
  const params: any[] = (n.indexParams ?? []).map((p: any) => p?.IndexElem).filter(Boolean);
  const columns: string[] = params.map((p) => p.name).filter(Boolean);
  const name = n.idxname ?? `${rel.name}_${columns.join('_') || 'expr'}_idx`;
  const key = relKey(schema, name);
  if (model.indexes.has(key) && n.if_not_exists) return;
  // ON ONLY on a partitioned table: an invalid parent index until every partition's index is attached.
  const onOnly = rel.kind === 'partitioned-table' && n.relation?.inh !== true;
  model.indexes.set(
    key,
    indexRecord({
      key,
      schema,
      name,
      table: rel.key,
      columns,
      unique: Boolean(n.unique),
      expressions: params.filter((p) => p.expr).length,
      partial: Boolean(n.whereClause),
      valid: !onOnly || rel.partitions.size === 0,
      method: n.accessMethod ?? 'btree',
      origin,
    }),
  );
  rel.indexes.add(key);
}

function alterTable(model: SchemaModel, n: any, origin: Origin): void {
  if (n.objtype === 'OBJECT_INDEX') return alterIndex(model, n);
  const q = qnameFromRangeVar(n.relation);
  // IF EXISTS on a relation no source defined: it may well not exist.
  if (n.missing_ok && !model.relation(q)) return;
  const rel = model.touch(q, origin.file, n.objtype === 'OBJECT_VIEW' ? 'view' : n.objtype === 'OBJECT_MATVIEW' ? 'materialized-view' : 'table');
  for (const c of n.cmds ?? []) {
    const cmd = c?.AlterTableCmd;
    if (!cmd) continue;
    let col = cmd.name ? rel.columns.get(cmd.name) : undefined;
    // A placeholder learns a column from the statements that name it; only the fact stated is known.
    if (!col && rel.placeholder && cmd.name && INFERRING.has(cmd.subtype)) {
      col = { ...plainColumn(String(cmd.name), origin), inferred: { type: false, notNull: false } };
      rel.columns.set(col.name, col);
    }
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
        if (col && cmd.def?.ColumnDef?.typeName) {
          col.type = typeRefFromTypeName(cmd.def.ColumnDef.typeName);
          if (col.inferred) col.inferred.type = true;
        }
        break;
      case 'AT_SetNotNull':
        if (col) {
          col.notNull = true;
          if (col.inferred) col.inferred.notNull = true;
        }
        break;
      case 'AT_DropNotNull':
        if (col) {
          col.notNull = false;
          if (col.inferred) col.inferred.notNull = true;
        }
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
        const part = model.touch(qnameFromRangeVar(cmd.def?.PartitionCmd?.name), origin.file);
        if (rel.placeholder && rel.kind === 'table') rel.kind = 'partitioned-table';
        part.partitionOf = rel.key;
        part.partitionBound = cmd.def?.PartitionCmd?.bound ? partitionBoundText(cmd.def.PartitionCmd.bound) : null;
        rel.partitions.add(part.key);
        break;
      }
      case 'AT_DetachPartition': {
        const part = model.relation(qnameFromRangeVar(cmd.def?.PartitionCmd?.name));
        if (part) {
          part.partitionOf = null;
          part.partitionBound = null;
          rel.partitions.delete(part.key);
        }
        break;
      }
      default:
        break;
    }
  }
}

/** The relation a RENAME names: a placeholder when no source defined it (unless IF EXISTS). */
function renamed(model: SchemaModel, n: any, origin: Origin, kind: RelationModel['kind'] = 'table'): RelationModel | undefined {
  const q = qnameFromRangeVar(n.relation);
  if (n.missing_ok) return model.relation(q);
  return model.touch(q, origin.file, kind);
}

const RENAME_KIND: Record<string, RelationModel['kind']> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized-view',
  OBJECT_FOREIGN_TABLE: 'foreign-table',
  OBJECT_SEQUENCE: 'sequence',
};

function rename(model: SchemaModel, n: any, origin: Origin): void {
  const newName: string = n.newname;
  switch (n.renameType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_FOREIGN_TABLE':
    case 'OBJECT_SEQUENCE': {
      const rel = renamed(model, n, origin, RENAME_KIND[n.renameType]);
      if (rel) moveRelation(model, rel, relKey(rel.schema, newName));
      return;
    }
    case 'OBJECT_COLUMN': {
      const rel = renamed(model, n, origin);
      if (!rel) return;
      const col = rel.columns.get(n.subname);
      if (col) {
        rel.columns.delete(n.subname);
        col.name = newName;
        rel.columns.set(newName, col);
      } else if (!rel.placeholder) {
        return;
      }
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
      const rel = renamed(model, n, origin);
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

/** ALTER TABLE subcommands that name an existing column: on a placeholder they reveal that it exists. */
const INFERRING = new Set(['AT_AlterColumnType', 'AT_SetNotNull', 'AT_DropNotNull', 'AT_ColumnDefault', 'AT_AddIdentity', 'AT_SetStatistics', 'AT_SetStorage']);

const PARTITION_STRATEGY: Record<string, RelationModel['partitionStrategy']> = {
  PARTITION_STRATEGY_RANGE: 'range',
  PARTITION_STRATEGY_LIST: 'list',
  PARTITION_STRATEGY_HASH: 'hash',
};

/** A partition bound in the form pg_get_expr prints it: `FOR VALUES FROM ('a') TO (10)`, `DEFAULT`. */
export function partitionBoundText(b: any): string {
  if (b?.is_default) return 'DEFAULT';
  const datums = (list: any[] | undefined) => `(${(list ?? []).map(boundDatum).join(', ')})`;
  switch (b?.strategy) {
    case 'r':
      return `FOR VALUES FROM ${datums(b.lowerdatums)} TO ${datums(b.upperdatums)}`;
    case 'l':
      return `FOR VALUES IN ${datums(b.listdatums)}`;
    case 'h':
      return `FOR VALUES WITH (modulus ${Number(b.modulus ?? 0)}, remainder ${Number(b.remainder ?? 0)})`;
    default:
      return '';
  }
}

function boundDatum(d: any): string {
  if (d?.ColumnRef) return stringValue(d.ColumnRef.fields?.[0]).toUpperCase();
  const c = d?.A_Const;
  if (c) {
    if (c.isnull) return 'NULL';
    if (c.ival !== undefined) return String(c.ival.ival ?? 0);
    if (c.fval !== undefined) return String(c.fval.fval);
    if (c.boolval !== undefined) return c.boolval.boolval ? 'true' : 'false';
    if (c.sval !== undefined) return `'${String(c.sval.sval ?? '').replace(/'/g, "''")}'`;
  }
  // A cast or expression: PostgreSQL stores its value; keep the parsed constant inside it.
  if (d?.TypeCast) return boundDatum(d.TypeCast.arg);
  return '?';
}

/** Keys of the relations a view's query reads (CTE names left out). */
function queryDependencies(model: SchemaModel, query: unknown): string[] {
  const ctes = new Set<string>();
  walkCtes(query, ctes);
  const out = new Set<string>();
  for (const q of rangeVars(query)) {
    if (!q.schema && ctes.has(q.name)) continue;
    out.add(model.resolveKey(q));
  }
  return [...out].sort();
}

function walkCtes(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) return node.forEach((n) => walkCtes(n, into));
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === 'CommonTableExpr' && v && typeof v === 'object') {
      const name = (v as { ctename?: string }).ctename;
      if (name) into.add(name);
    }
    walkCtes(v, into);
  }
}

/** ALTER INDEX parent ATTACH PARTITION child: the parent index becomes valid once every partition has one. */
function alterIndex(model: SchemaModel, n: any): void {
  const parent = model.index(qnameFromRangeVar(n.relation));
  if (!parent) return;
  for (const c of n.cmds ?? []) {
    const cmd = c?.AlterTableCmd;
    if (cmd?.subtype !== 'AT_AttachPartition') continue;
    const child = model.index(qnameFromRangeVar(cmd.def?.PartitionCmd?.name));
    if (!child) continue;
    child.parent = parent.key;
    const table = model.relations.get(parent.table);
    if (!table) continue;
    const covered = new Set<string>();
    for (const ix of model.indexes.values()) if (ix.parent === parent.key) covered.add(ix.table);
    if ([...table.partitions].every((p) => covered.has(p))) parent.valid = true;
  }
}
