/**
 * Replay one statement into the schema model. Only effects that later rules
 * depend on are modelled; anything else is ignored rather than guessed.
 */
import {
  columnRefs,
  formatQName,
  isNotNullTestColumn,
  qnameFromList,
  qnameFromRangeVar,
  stringValue,
  typeRefFromTypeName,
  walk,
  type QName,
} from '../sql/ast.js';
import type { ParsedStatement } from '../sql/statement.js';
import { expressionVolatility, type Volatility } from '../sql/volatility.js';
import {
  indexRecord,
  indexUsesColumn,
  relKey,
  type ColumnModel,
  type ConstraintModel,
  type DomainConstraint,
  type IndexModel,
  type Origin,
  type PolicyModel,
  type RelationModel,
  type SchemaModel,
} from './model.js';

export function replayStatement(model: SchemaModel, stmt: ParsedStatement, origin: Origin): void {
  const n = stmt.node;
  switch (stmt.kind) {
    case 'CreateSchemaStmt':
      if (n.schemaname && !(n.if_not_exists && model.schemas.has(n.schemaname))) {
        model.schemas.add(n.schemaname);
        model.schemaOrigins.set(n.schemaname, origin);
      }
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
      rel.readsColumns = queryColumnReads(model, n.query);
      setOutputColumns(rel, outputColumns(model, n.query), (n.into?.colNames ?? []).map(stringValue));
      return;
    }
    case 'ViewStmt': {
      const key = model.resolveKey(qnameFromRangeVar(n.view));
      const existing = model.relations.get(key);
      // CREATE OR REPLACE VIEW keeps the view and changes what it reads (and may add columns at the end).
      if (existing) {
        if (n.replace) {
          const names = outputColumns(model, n.query);
          const aliases: string[] = (n.aliases ?? []).map(stringValue);
          const next = names ? names.map((c, i) => aliases[i] ?? c) : null;
          const before = existing.columns.size > 0 && !existing.placeholder ? [...existing.columns.keys()] : existing.outputColumns;
          // PostgreSQL refuses a replacement that drops, renames or reorders columns: the view stays as it was.
          if (next && before && before.some((c, i) => next[i] !== c)) return;
          existing.dependsOn = queryDependencies(model, n.query);
          existing.readsColumns = queryColumnReads(model, n.query);
          setOutputColumns(existing, names, aliases);
        }
        return;
      }
      const view = model.newRelation(key, 'view', origin);
      view.dependsOn = queryDependencies(model, n.query);
      view.readsColumns = queryColumnReads(model, n.query);
      setOutputColumns(view, outputColumns(model, n.query), (n.aliases ?? []).map(stringValue));
      return;
    }
    case 'CreateSeqStmt': {
      const key = model.resolveKey(qnameFromRangeVar(n.sequence));
      if (model.relations.has(key) && n.if_not_exists) return;
      if (!model.relations.has(key)) model.newRelation(key, 'sequence', origin);
      setOwnedBy(model, model.relations.get(key)!, n.options);
      return;
    }
    case 'AlterSeqStmt': {
      const seq = model.relation(qnameFromRangeVar(n.sequence));
      if (seq) setOwnedBy(model, seq, n.options);
      return;
    }
    case 'SelectStmt': {
      // pg_dump: SELECT pg_catalog.set_config('search_path', '', false);
      const path = setConfigSearchPath(n);
      if (path) model.searchPath = path;
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
    case 'CreatePolicyStmt': {
      const rel = n.table ? model.touch(qnameFromRangeVar(n.table), origin.file) : undefined;
      if (!rel || !n.policy_name) return;
      const policy: PolicyModel = {
        name: String(n.policy_name),
        command: String(n.cmd_name ?? 'all').toLowerCase(),
        roles: policyRoles(n.roles),
        permissive: n.permissive !== false,
        origin,
      };
      rel.policies = new Map(rel.policies ?? []).set(policy.name, policy);
      return;
    }
    case 'AlterPolicyStmt': {
      const rel = n.table ? model.relation(qnameFromRangeVar(n.table)) : undefined;
      const old = rel?.policies?.get(String(n.policy_name));
      if (!rel || !old || !n.roles) return;
      rel.policies = new Map(rel.policies).set(old.name, { ...old, roles: policyRoles(n.roles) });
      return;
    }
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
      if (!(n.replace && model.functions.has(name))) model.functionOrigins.set(name, origin);
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
        model.searchPath = (n.args ?? []).map((a: any) => String(a?.A_Const?.sval?.sval ?? stringValue(a))).filter((s: string) => s !== '');
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
  // A table this statement makes has no policies and row security off: both are known.
  rel.policies = new Map();
  rel.rowSecurity = { enabled: false, forced: false };
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
  const parent = rel.partitionOf ? model.relations.get(rel.partitionOf) : undefined;
  if (parent) inheritFromParent(model, parent, rel, origin);
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
  const serialBase = type.schema || type.array ? undefined : SERIAL_TYPES[type.name];
  if (serialBase) {
    // serial is integer + NOT NULL + DEFAULT nextval() of a sequence the column owns.
    col.type = { ...type, name: serialBase };
    col.hasDefault = true;
    col.defaultVolatile = true;
    col.notNull = true;
    ownedSequence(model, rel, col.name, null, origin);
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
        ownedSequence(model, rel, col.name, sequenceNameOption(con.options), origin);
        break;
      case 'CONSTR_GENERATED':
        col.generated = con.generated_kind === 'v' ? 'virtual' : 'stored';
        col.generatedFrom = [...new Set(columnRefs(con.raw_expr))];
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
      expressionColumns: [...new Set(params.flatMap((p) => (p.expr ? columnRefs(p.expr) : [])))],
      partial: Boolean(n.whereClause),
      ...(n.whereClause ? { predicateColumns: [...new Set(columnRefs(n.whereClause))] } : {}),
      valid: !onOnly || rel.partitions.size === 0,
      method: n.accessMethod ?? 'btree',
      origin,
    }),
  );
  rel.indexes.add(key);
  // Without ONLY, PostgreSQL gives every partition an index of its own, attached to this one.
  if (rel.kind === 'partitioned-table' && !onOnly) {
    const ix = model.indexes.get(key)!;
    for (const p of [...rel.partitions]) {
      const part = model.relations.get(p);
      if (part) cloneIndex(model, rel, ix, part, origin);
    }
  }
}

function alterTable(model: SchemaModel, n: any, origin: Origin): void {
  if (n.objtype === 'OBJECT_INDEX') return alterIndex(model, n);
  const q = qnameFromRangeVar(n.relation);
  // IF EXISTS on a relation no source defined: it may well not exist.
  if (n.missing_ok && !model.relation(q)) return;
  const rel = model.touch(q, origin.file, n.objtype === 'OBJECT_VIEW' ? 'view' : n.objtype === 'OBJECT_MATVIEW' ? 'materialized-view' : 'table');
  // Without ONLY, most subcommands on a partitioned table apply to every partition too.
  const inh = n.relation?.inh === true;
  for (const c of n.cmds ?? []) {
    const cmd = c?.AlterTableCmd;
    if (cmd) alterTableCmd(model, rel, cmd, origin, inh);
  }
}

/** Subcommands PostgreSQL applies to the partitions as well (unless ONLY). */
const RECURSING = new Set([
  'AT_AddColumn',
  'AT_DropColumn',
  'AT_AlterColumnType',
  'AT_SetNotNull',
  'AT_DropNotNull',
  'AT_ColumnDefault',
  'AT_AddConstraint',
  'AT_ValidateConstraint',
  'AT_DropConstraint',
]);

function alterTableCmd(model: SchemaModel, rel: RelationModel, cmd: any, origin: Origin, inh: boolean): void {
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
        for (const other of [...model.relations.values()]) {
          if (other.ownedBy?.table === rel.key && other.ownedBy.column === cmd.name) model.dropRelation(other.key);
        }
        for (const [k, con] of rel.constraints) if (con.columns.includes(cmd.name)) rel.constraints.delete(k);
        // Indexes that use the column go with it, in a key expression or a predicate too.
        for (const ix of [...rel.indexes]) {
          const m = model.indexes.get(ix);
          if (m && indexUsesColumn(m, cmd.name)) {
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
    case 'AT_SetExpression':
      if (col?.generated && cmd.def) col.generatedFrom = [...new Set(columnRefs(cmd.def))];
      break;
    case 'AT_DropExpression':
      if (col) {
        col.generated = null;
        delete col.generatedFrom;
      }
      break;
    case 'AT_AddIdentity':
      if (col) {
        col.identity = true;
        col.notNull = true;
        col.hasDefault = true;
        ownedSequence(model, rel, col.name, sequenceNameOption(cmd.def?.Constraint?.options), origin);
      }
      break;
    case 'AT_DropIdentity':
      if (col) {
        col.identity = false;
        col.hasDefault = false;
        for (const other of [...model.relations.values()]) {
          if (other.ownedBy?.table === rel.key && other.ownedBy.column === col.name) model.dropRelation(other.key);
        }
      }
      break;
    case 'AT_AddConstraint': {
      const def = cmd.def?.Constraint;
      if (!def) break;
      // A partition already has a CHECK, FOREIGN KEY or NOT NULL of that name: PostgreSQL merges them.
      if (rel.partitionOf && def.conname && rel.constraints.has(def.conname) && !INDEX_BACKED.has(def.contype)) break;
      const con = applyConstraint(model, rel, def, origin, false);
      // ONLY on a partitioned table: its index stays invalid until every partition's index is attached.
      const ix = con?.index ? model.indexes.get(relKey(rel.schema, con.index)) : undefined;
      if (ix && rel.kind === 'partitioned-table' && !inh && rel.partitions.size > 0) ix.valid = false;
      if (con && inh && rel.kind === 'partitioned-table') {
        for (const p of [...rel.partitions]) {
          const part = model.relations.get(p);
          if (part) cloneConstraint(model, rel, con, part, def, origin);
        }
        return;
      }
      break;
    }
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
        const ixKey = relKey(rel.schema, con?.index ?? cmd.name);
        if (con && (con.kind === 'primary-key' || con.kind === 'unique' || con.kind === 'exclude')) {
          // The partitions' constraints go with the partitioned index they are attached to.
          dropIndexTree(model, ixKey);
          return;
        }
        if (con?.kind === 'not-null' && con.notNullColumn) {
          const target = rel.columns.get(con.notNullColumn);
          if (target) target.notNull = false;
        }
      }
      break;
    case 'AT_EnableRowSecurity':
    case 'AT_DisableRowSecurity':
    case 'AT_ForceRowSecurity':
    case 'AT_NoForceRowSecurity': {
      const was = rel.rowSecurity ?? { enabled: false, forced: false };
      rel.rowSecurity = {
        enabled: cmd.subtype === 'AT_EnableRowSecurity' ? true : cmd.subtype === 'AT_DisableRowSecurity' ? false : was.enabled,
        forced: cmd.subtype === 'AT_ForceRowSecurity' ? true : cmd.subtype === 'AT_NoForceRowSecurity' ? false : was.forced,
      };
      break;
    }
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
      inheritFromParent(model, rel, part, origin);
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
  if (inh && rel.partitions.size > 0 && RECURSING.has(cmd.subtype)) {
    for (const p of [...rel.partitions]) {
      const part = model.relations.get(p);
      if (!part) continue;
      if (cmd.subtype === 'AT_AddColumn') addColumnToPartition(model, rel, part, String(cmd.def?.ColumnDef?.colname ?? ''), origin);
      else alterTableCmd(model, part, cmd, origin, true);
    }
  }
}

/**
 * A column added to a partitioned table, on one partition: the parent's column as it is
 * (a serial or identity column's sequence stays the parent's), and what its constraints
 * and indexes give partitions.
 */
function addColumnToPartition(model: SchemaModel, parent: RelationModel, part: RelationModel, name: string, origin: Origin): void {
  const col = parent.columns.get(name);
  if (col && !part.columns.has(name)) part.columns.set(name, { ...col, type: { ...col.type, mods: [...col.type.mods] }, origin });
  inheritFromParent(model, parent, part, origin);
  for (const p of [...part.partitions]) {
    const sub = model.relations.get(p);
    if (sub) addColumnToPartition(model, part, sub, name, origin);
  }
}

const INDEX_BACKED = new Set(['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_EXCLUSION']);

/** Drops an index and every partition index attached to it, with the constraints they back. */
function dropIndexTree(model: SchemaModel, key: string): void {
  const ix = model.indexes.get(key);
  for (const child of [...model.indexes.values()]) if (child.parent === key) dropIndexTree(model, child.key);
  if (!ix) return;
  model.indexes.delete(key);
  const table = model.relations.get(ix.table);
  if (!table) return;
  table.indexes.delete(key);
  for (const [name, con] of table.constraints) if (con.index === ix.name && INDEX_KINDS.has(con.kind)) table.constraints.delete(name);
}

const INDEX_KINDS = new Set<ConstraintModel['kind']>(['primary-key', 'unique', 'exclude']);

/**
 * A constraint of a partitioned table as PostgreSQL clones it onto a partition: CHECK,
 * FOREIGN KEY and NOT NULL under the same name (merged with one the partition already
 * has); PRIMARY KEY, UNIQUE and EXCLUDE as the partition's own constraint and index,
 * named for the partition and attached to the parent's index. Recurses into
 * sub-partitions.
 */
function cloneConstraint(model: SchemaModel, parent: RelationModel, con: ConstraintModel, part: RelationModel, def: any, origin: Origin): void {
  let made: ConstraintModel | undefined;
  if (INDEX_KINDS.has(con.kind)) {
    const parentIx = con.index ? model.indexes.get(relKey(parent.schema, con.index)) : undefined;
    // An equal index the partition already has is attached instead (and its constraint kept).
    const existing = [...part.constraints.values()].find((c) => c.kind === con.kind && c.columns.join(',') === con.columns.join(','));
    if (existing) {
      const ix = existing.index ? model.indexes.get(relKey(part.schema, existing.index)) : undefined;
      if (ix && parentIx) ix.parent = parentIx.key;
      made = existing;
    } else {
      const suffix = con.kind === 'primary-key' ? 'pkey' : con.kind === 'unique' ? 'key' : 'excl';
      const name = chooseRelationName(model, part.schema, part.name, con.kind === 'primary-key' ? null : con.columns.join('_') || null, suffix);
      made = applyConstraint(model, part, { ...def, conname: name }, origin, true) ?? undefined;
      const ix = made?.index ? model.indexes.get(relKey(part.schema, made.index)) : undefined;
      if (ix && parentIx) ix.parent = parentIx.key;
    }
  } else if (!part.constraints.has(con.name)) {
    made = { ...con, columns: [...con.columns], referencesColumns: [...con.referencesColumns], origin };
    part.constraints.set(made.name, made);
    if (made.kind === 'not-null' && made.validated && made.notNullColumn) {
      const col = part.columns.get(made.notNullColumn);
      if (col) col.notNull = true;
    }
  } else {
    made = part.constraints.get(con.name);
  }
  for (const p of [...part.partitions]) {
    const sub = model.relations.get(p);
    if (sub && made) cloneConstraint(model, part, made, sub, def, origin);
  }
}

/**
 * What a partition gets from its parent when it is created (PARTITION OF) or attached:
 * the parent's CHECK, FOREIGN KEY and NOT NULL constraints, and an index for each of the
 * parent's indexes (an equal one the partition has is attached instead).
 */
function inheritFromParent(model: SchemaModel, parent: RelationModel, part: RelationModel, origin: Origin): void {
  for (const con of parent.constraints.values()) {
    if (con.kind === 'check' || con.kind === 'foreign-key' || con.kind === 'not-null') cloneConstraint(model, parent, con, part, null, origin);
  }
  for (const ixKey of [...parent.indexes]) {
    const pix = model.indexes.get(ixKey);
    if (pix) cloneIndex(model, parent, pix, part, origin);
  }
}

/**
 * A partitioned table's index on one partition: an equal index the partition has is
 * attached; else one is made (with its PRIMARY KEY / UNIQUE / EXCLUDE constraint when the
 * parent's index backs one), named for the partition. Recurses into sub-partitions.
 */
function cloneIndex(model: SchemaModel, parent: RelationModel, pix: IndexModel, part: RelationModel, origin: Origin): void {
  if ([...part.indexes].some((k) => model.indexes.get(k)?.parent === pix.key)) return;
  const same = [...part.indexes]
    .map((k) => model.indexes.get(k))
    .find((ix) => ix && !ix.parent && ix.columns.join(',') === pix.columns.join(',') && ix.unique === pix.unique && ix.method === pix.method && ix.expressions === pix.expressions && ix.partial === pix.partial);
  if (same) {
    same.parent = pix.key;
    return;
  }
  const backing = [...parent.constraints.values()].find((c) => c.index === pix.name && INDEX_KINDS.has(c.kind));
  let name: string;
  if (backing) {
    const suffix = backing.kind === 'primary-key' ? 'pkey' : backing.kind === 'unique' ? 'key' : 'excl';
    name = chooseRelationName(model, part.schema, part.name, backing.kind === 'primary-key' ? null : backing.columns.join('_') || null, suffix);
    part.constraints.set(name, { ...backing, name, columns: [...backing.columns], referencesColumns: [], index: name, origin });
    if (backing.kind === 'primary-key') for (const c of backing.columns) if (part.columns.get(c)) part.columns.get(c)!.notNull = true;
  } else {
    name = chooseRelationName(model, part.schema, part.name, pix.columns.join('_') || 'expr', pix.unique ? 'key' : 'idx');
  }
  const key = relKey(part.schema, name);
  const ix: IndexModel = { ...pix, key, schema: part.schema, name, table: part.key, columns: [...pix.columns], parent: pix.key, valid: true, origin };
  model.indexes.set(key, ix);
  part.indexes.add(key);
  for (const p of [...part.partitions]) {
    const sub = model.relations.get(p);
    if (sub) cloneIndex(model, part, ix, sub, origin);
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
      const renameIn = (cols: string[]) => cols.map((c) => (c === n.subname ? newName : c));
      for (const other of rel.columns.values()) if (other.generatedFrom) other.generatedFrom = renameIn(other.generatedFrom);
      for (const view of model.relations.values()) {
        const read = view.readsColumns?.[rel.key];
        if (read) view.readsColumns = { ...view.readsColumns, [rel.key]: renameIn(read) };
      }
      for (const ix of rel.indexes) {
        const m = model.indexes.get(ix);
        if (!m) continue;
        m.columns = renameIn(m.columns);
        if (m.expressionColumns) m.expressionColumns = renameIn(m.expressionColumns);
        if (m.predicateColumns) m.predicateColumns = renameIn(m.predicateColumns);
      }
      for (const other of model.relations.values()) {
        if (other.ownedBy?.table === rel.key && other.ownedBy.column === n.subname) other.ownedBy = { ...other.ownedBy, column: newName };
      }
      // Partitions' columns are renamed with their parent's (unless ONLY).
      if (n.relation?.inh === true) {
        for (const p of [...rel.partitions]) {
          const part = model.relations.get(p);
          if (part) rename(model, { ...n, relation: { schemaname: part.schema, relname: part.name, inh: true } }, origin);
        }
      }
      return;
    }
    case 'OBJECT_POLICY': {
      const rel = model.relation(qnameFromRangeVar(n.relation));
      const old = rel?.policies?.get(n.subname);
      if (!rel || !old) return;
      const next = new Map(rel.policies);
      next.delete(old.name);
      rel.policies = next.set(newName, { ...old, name: newName });
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
    if (other.ownedBy?.table === oldKey) other.ownedBy = { ...other.ownedBy, table: newKey };
    for (let i = 0; i < other.dependsOn.length; i++) if (other.dependsOn[i] === oldKey) other.dependsOn[i] = newKey;
    if (other.readsColumns?.[oldKey]) {
      other.readsColumns = { ...other.readsColumns, [newKey]: other.readsColumns[oldKey]! };
      delete other.readsColumns[oldKey];
    }
  }
}

/**
 * What a DROP statement removes, as far as the model knows: the objects it names and, with
 * CASCADE, what depends on them (PostgreSQL's dependency walk, over the dependencies the
 * model records). `unknown` says what the model cannot see, in words, for messages.
 */
export interface DropReach {
  cascade: boolean;
  /** The objects the statement names that the model knows (relation, enum or domain keys; function or schema names). */
  named: string[];
  /** Named objects the model does not know (no source defined them). */
  unnamed: string[];
  /** Every relation dropped: the named ones, their partitions and owned sequences, the contents of a schema and (CASCADE) the views over them. */
  relations: string[];
  /** Enums and domains dropped (a schema's, or named). */
  types: string[];
  /** Columns dropped because their type goes (CASCADE), `table.column`. */
  columns: Array<{ table: string; column: string; type: string }>;
  /** Foreign keys dropped from tables that stay, because the table they reference goes (CASCADE). */
  foreignKeys: Array<{ table: string; name: string; references: string }>;
  /** Tables that stay but lose something (a column, a foreign key, a default): locked too. */
  altered: string[];
  /** Dependencies the model does not record, for the message ("column defaults that call it"). */
  unknown: string[];
}

const RELATION_DROPS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE', 'OBJECT_SEQUENCE']);
const FUNCTION_DROPS = new Set(['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE', 'OBJECT_AGGREGATE']);

/** The enum or domain key a type name resolves to, if the model knows it. */
function typeKey(model: SchemaModel, q: QName): string | null {
  const key = model.resolveKey(q, (k) => model.enums.has(k) || model.domains.has(k));
  return model.enums.has(key) || model.domains.has(key) ? key : null;
}

export function dropReach(model: SchemaModel, n: any): DropReach {
  const cascade = n.behavior === 'DROP_CASCADE';
  const r: DropReach = { cascade, named: [], unnamed: [], relations: [], types: [], columns: [], foreignKeys: [], altered: [], unknown: [] };
  const rels = new Set<string>();
  const types = new Set<string>();
  const unknown = new Set<string>();
  const addRelation = (key: string) => {
    if (rels.has(key) || !model.relations.has(key)) return;
    rels.add(key);
    const rel = model.relations.get(key)!;
    for (const p of rel.partitions) addRelation(p);
    for (const other of model.relations.values()) if (other.ownedBy?.table === key) addRelation(other.key);
    if (rel.placeholder) unknown.add(`what depends on ${key} (no source defined it)`);
  };
  for (const obj of n.objects ?? []) {
    const type = n.removeType;
    if (RELATION_DROPS.has(type)) {
      const rel = model.relation(qnameFromList(obj?.List?.items ?? []));
      if (rel) {
        r.named.push(rel.key);
        addRelation(rel.key);
      } else r.unnamed.push(formatQName(qnameFromList(obj?.List?.items ?? [])));
      if (type === 'OBJECT_SEQUENCE' && cascade) unknown.add('column defaults that call nextval() on it (the model does not record default expressions)');
    } else if (type === 'OBJECT_TYPE' || type === 'OBJECT_DOMAIN') {
      const q = qnameFromList(obj?.TypeName?.names ?? obj?.List?.items ?? []);
      const key = typeKey(model, q);
      if (key) {
        r.named.push(key);
        types.add(key);
      } else r.unnamed.push(formatQName(q));
    } else if (type === 'OBJECT_SCHEMA') {
      const schema = stringValue(obj);
      if (!model.schemas.has(schema)) {
        r.unnamed.push(schema);
        continue;
      }
      r.named.push(schema);
      for (const rel of model.relations.values()) if (rel.schema === schema) addRelation(rel.key);
      for (const k of [...model.enums.keys(), ...model.domains.keys()]) if (k.startsWith(`${schema}.`)) types.add(k);
      unknown.add(`the functions and procedures in ${schema} (the model knows functions by name only) and what uses them`);
    } else if (FUNCTION_DROPS.has(type)) {
      const name = qnameFromList(obj?.ObjectWithArgs?.objname ?? []).name.toLowerCase();
      if (model.functions.has(name)) r.named.push(name);
      else r.unnamed.push(name);
      if (cascade) unknown.add('the column defaults, triggers, views, indexes and constraints that call it (the model does not record them)');
    }
  }
  if (cascade) {
    // Domains over a dropped type go too, and so does every column of a dropped type.
    for (let grew = true; grew; ) {
      grew = false;
      for (const d of model.domains.values()) {
        const base = typeKey(model, { schema: d.base.schema, name: d.base.name });
        if (base && types.has(base) && !types.has(d.key)) {
          types.add(d.key);
          grew = true;
        }
      }
    }
    if (types.size > 0) {
      for (const rel of model.relations.values()) {
        if (rels.has(rel.key) || rel.kind === 'view') continue;
        for (const c of rel.columns.values()) {
          const k = typeKey(model, { schema: c.type.schema, name: c.type.name });
          if (k && types.has(k)) r.columns.push({ table: rel.key, column: c.name, type: k });
        }
      }
      if (r.columns.length) unknown.add('the views that read those columns');
    }
    // Views over anything dropped, transitively.
    for (let grew = true; grew; ) {
      grew = false;
      for (const v of model.relations.values()) {
        if (rels.has(v.key) || !v.dependsOn.some((d) => rels.has(d))) continue;
        addRelation(v.key);
        grew = true;
      }
    }
    for (const rel of model.relations.values()) {
      if (rels.has(rel.key)) continue;
      for (const c of rel.constraints.values()) {
        if (c.kind === 'foreign-key' && c.references && rels.has(c.references)) r.foreignKeys.push({ table: rel.key, name: c.name, references: c.references });
      }
    }
    // DROP SEQUENCE ... CASCADE removes the owning column's default (the only use the model records).
    if (n.removeType === 'OBJECT_SEQUENCE') {
      for (const k of r.named) {
        const owner = model.relations.get(k)?.ownedBy?.table;
        if (owner && !rels.has(owner)) r.altered.push(owner);
      }
    }
  }
  r.relations = [...rels];
  r.types = [...types];
  const altered = new Set([...r.altered, ...r.columns.map((c) => c.table), ...r.foreignKeys.map((f) => f.table)]);
  r.altered = [...altered].filter((k) => !rels.has(k)).sort();
  r.unknown = [...unknown];
  return r;
}

function drop(model: SchemaModel, n: any): void {
  if (n.removeType === 'OBJECT_INDEX') {
    for (const obj of n.objects ?? []) {
      const ix = model.index(qnameFromList(obj?.List?.items ?? []));
      if (ix) {
        model.indexes.delete(ix.key);
        model.relations.get(ix.table)?.indexes.delete(ix.key);
      }
    }
    return;
  }
  if (n.removeType === 'OBJECT_POLICY') {
    for (const obj of n.objects ?? []) {
      const items = obj?.List?.items ?? [];
      const rel = model.relation(qnameFromList(items.slice(0, -1)));
      const name = stringValue(items[items.length - 1]);
      if (!rel?.policies?.has(name)) continue;
      const next = new Map(rel.policies);
      next.delete(name);
      rel.policies = next;
    }
    return;
  }
  const reach = dropReach(model, n);
  for (const fk of reach.foreignKeys) model.relations.get(fk.table)?.constraints.delete(fk.name);
  for (const c of reach.columns) {
    const rel = model.relations.get(c.table);
    if (!rel) continue;
    rel.columns.delete(c.column);
    for (const [k, con] of rel.constraints) if (con.columns.includes(c.column)) rel.constraints.delete(k);
    for (const ix of [...rel.indexes]) {
      if (model.indexes.get(ix)?.columns.includes(c.column)) {
        model.indexes.delete(ix);
        rel.indexes.delete(ix);
      }
    }
  }
  for (const key of reach.relations) model.dropRelation(key);
  for (const key of reach.types) {
    model.enums.delete(key);
    model.domains.delete(key);
  }
  if (n.removeType === 'OBJECT_SCHEMA') {
    for (const s of reach.named) {
      model.schemas.delete(s);
      model.schemaOrigins.delete(s);
    }
  }
  if (FUNCTION_DROPS.has(n.removeType)) {
    for (const f of reach.named) {
      model.functions.delete(f);
      model.functionOrigins.delete(f);
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
  // One walk for both (view queries are the largest trees the replay sees).
  const ctes = new Set<string>();
  const refs: QName[] = [];
  walk(query, (k, v) => {
    if (k === 'RangeVar') refs.push(qnameFromRangeVar(v));
    else if (k === 'CommonTableExpr' && v && typeof v === 'object') {
      const name = (v as { ctename?: string }).ctename;
      if (name) ctes.add(name);
    }
  });
  const out = new Set<string>();
  for (const q of refs) {
    if (!q.schema && ctes.has(q.name)) continue;
    // System catalogs are not the schema's (and PostgreSQL records no dependency on most of
    // them): explicit pg_catalog, or an unknown pg_ name, which resolves to pg_catalog first.
    if (q.schema === 'pg_catalog' || (!q.schema && q.name.startsWith('pg_') && !model.relation(q))) continue;
    out.add(model.resolveKey(q));
  }
  return [...out].sort();
}

/**
 * The columns a view's query names, per relation it reads ('*' for all of them), resolved the
 * way PostgreSQL scopes them: a SELECT's own FROM first, then the enclosing ones (a correlated
 * subquery); a bare `*` is its own FROM's. A qualified reference goes to the relation of that
 * name or alias; an unqualified one to the nearest relation that has such a column. A name the
 * model cannot place (a relation whose columns it does not know) is left out.
 */
function queryColumnReads(model: SchemaModel, query: unknown): Record<string, string[]> {
  // CTE names, as each SELECT declares them (before its FROM is read): not relations.
  const ctes = new Set<string>();
  const out = new Map<string, Set<string>>();
  const add = (key: string, col: string) => {
    if (!out.has(key)) out.set(key, new Set());
    out.get(key)!.add(col);
  };
  type Scope = Map<string, string>;
  const hasColumn = (key: string, col: string) => model.relations.get(key)?.columns.has(col) === true;
  const resolve = (fields: Array<string | null>, scopes: Scope[]) => {
    const col = fields[fields.length - 1];
    if (fields.length === 1) {
      const own = scopes[0];
      if (col === null || col === undefined) {
        for (const key of new Set(own?.values() ?? [])) add(key, '*');
        return;
      }
      for (const scope of scopes) {
        const keys = [...new Set(scope.values())].filter((key) => hasColumn(key, col));
        if (keys.length) {
          for (const key of keys) add(key, col);
          return;
        }
      }
      return;
    }
    const qualifier = fields.slice(0, -1).filter((f): f is string => f !== null);
    const names = [qualifier[qualifier.length - 1], qualifier.join('.')].filter((n): n is string => Boolean(n));
    for (const scope of scopes) {
      const key = names.map((n) => scope.get(n)).find(Boolean);
      if (key) {
        add(key, col ?? '*');
        return;
      }
    }
  };
  const select = (stmt: any, outer: Scope[]) => {
    if (stmt?.larg) select(stmt.larg, outer);
    if (stmt?.rarg) select(stmt.rarg, outer);
    for (const c of stmt?.withClause?.ctes ?? []) if (c?.CommonTableExpr?.ctename) ctes.add(String(c.CommonTableExpr.ctename));
    const scope: Scope = new Map();
    walk(stmt?.fromClause, (k, v) => {
      if (k === 'RangeSubselect' || k === 'SelectStmt') return false;
      if (k !== 'RangeVar') return;
      const q = qnameFromRangeVar(v);
      if (!q.schema && ctes.has(q.name)) return;
      if (q.schema === 'pg_catalog' || (!q.schema && q.name.startsWith('pg_') && !model.relation(q))) return;
      const key = model.resolveKey(q);
      const alias: string | undefined = v?.alias?.aliasname;
      scope.set(alias ?? q.name, key);
      if (!alias) scope.set(key, key);
    });
    const scopes = [scope, ...outer];
    const visit = (k: string, v: any): void | false => {
      if (k === 'SelectStmt') {
        select(v, scopes);
        return false;
      }
      if (k === 'ColumnRef') {
        resolve(((v?.fields ?? []) as unknown[]).map((f) => (f && typeof f === 'object' && 'A_Star' in f ? null : stringValue(f))), scopes);
        return false;
      }
    };
    for (const part of [stmt?.withClause, stmt?.fromClause, stmt?.targetList, stmt?.whereClause, stmt?.groupClause, stmt?.havingClause, stmt?.windowClause, stmt?.sortClause, stmt?.distinctClause, stmt?.valuesLists]) walk(part, visit);
  };
  walk(query, (k, v) => {
    if (k === 'SelectStmt') {
      select(v, []);
      return false;
    }
  });
  return Object.fromEntries([...out].map(([k, cols]) => [k, [...cols].sort()]));
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

const SERIAL_TYPES: Record<string, string> = { serial: 'int4', bigserial: 'int8', smallserial: 'int2' };

/** CREATE / ALTER POLICY ... TO roles: names as written, `public` for PUBLIC (the default). */
function policyRoles(roles: any[] | undefined): string[] {
  const out = (roles ?? []).map((r: any) => {
    const spec = r?.RoleSpec;
    if (!spec || spec.roletype === 'ROLESPEC_PUBLIC') return 'public';
    if (spec.roletype === 'ROLESPEC_CSTRING') return String(spec.rolename);
    return String(spec.roletype).replace('ROLESPEC_', '').toLowerCase();
  });
  return out.length ? out : ['public'];
}

/** A view's output column names: its column list over the query's names; unknown (absent) when a name cannot be told. */
function setOutputColumns(rel: RelationModel, names: string[] | null, aliases: string[]): void {
  if (names) rel.outputColumns = names.map((c, i) => aliases[i] ?? c);
  else delete rel.outputColumns;
}

/**
 * The output column names of a query the way PostgreSQL names them (FigureColname): an alias,
 * a column reference's last name, a function's name, a cast's argument (else its type); `*`
 * expanded from a relation the model knows. Null when one cannot be told for sure.
 */
export function outputColumns(model: SchemaModel, query: any): string[] | null {
  let sel = query?.SelectStmt;
  while (sel && sel.op && sel.op !== 'SETOP_NONE') sel = sel.larg;
  if (!sel || sel.valuesLists) return null;
  const from: any[] = sel.fromClause ?? [];
  const out: string[] = [];
  for (const t of sel.targetList ?? []) {
    const rt = t?.ResTarget;
    if (!rt) return null;
    if (rt.name) {
      out.push(String(rt.name));
      continue;
    }
    const star = rt.val?.ColumnRef?.fields?.some((f: any) => f?.A_Star !== undefined);
    if (star) {
      const fields = rt.val.ColumnRef.fields;
      const qual = fields.length > 1 ? fields.slice(0, -1).map(stringValue) : null;
      // `t.*` names one relation of the FROM list (joins included); a bare `*` only a single, unjoined one.
      const rvs = fromRangeVars(from);
      const source = qual ? rvs.find((rv) => (rv.alias?.aliasname ?? rv.relname) === qual[qual.length - 1]) : from.length === 1 && from[0]?.RangeVar ? from[0].RangeVar : undefined;
      const rel = source ? model.relation(qnameFromRangeVar(source)) : undefined;
      if (!rel || rel.placeholder || rel.columns.size === 0) return null;
      out.push(...rel.columns.keys());
      continue;
    }
    const name = figureColname(rt.val);
    if (name === null) return null;
    out.push(name);
  }
  return out;
}

/** The RangeVars of a FROM list, through joins (not into subqueries). */
function fromRangeVars(from: any[]): any[] {
  const out: any[] = [];
  const visit = (n: any) => {
    if (n?.RangeVar) out.push(n.RangeVar);
    else if (n?.JoinExpr) {
      visit(n.JoinExpr.larg);
      visit(n.JoinExpr.rarg);
    }
  };
  for (const f of from) visit(f);
  return out;
}

function figureColname(e: any): string | null {
  if (e?.ColumnRef) {
    const last = e.ColumnRef.fields?.[e.ColumnRef.fields.length - 1];
    return last?.String ? stringValue(last) : null;
  }
  if (e?.FuncCall) return qnameFromList(e.FuncCall.funcname ?? []).name || null;
  if (e?.TypeCast) {
    const inner = figureColname(e.TypeCast.arg);
    if (inner !== null && inner !== '?column?') return inner;
    const names: string[] = (e.TypeCast.typeName?.names ?? []).map(stringValue);
    return names[names.length - 1] ?? null;
  }
  if (e?.A_Expr) return e.A_Expr.kind === 'AEXPR_NULLIF' ? 'nullif' : '?column?';
  if (e?.A_Const || e?.BoolExpr || e?.NullTest) return '?column?';
  if (e?.CaseExpr) return 'case';
  if (e?.CoalesceExpr) return 'coalesce';
  return null;
}

/**
 * The sequence of a serial or identity column: the name given (identity's SEQUENCE NAME),
 * else `<table>_<column>_seq` made unique the way PostgreSQL chooses it; in the table's
 * schema unless qualified.
 */
function ownedSequence(model: SchemaModel, rel: RelationModel, column: string, given: QName | null, origin: Origin): RelationModel {
  const key = given
    ? relKey(given.schema ?? rel.schema, given.name)
    : relKey(rel.schema, chooseRelationName(model, rel.schema, rel.name, column, 'seq'));
  const seq = model.relations.get(key) ?? model.newRelation(key, 'sequence', origin);
  seq.ownedBy = { table: rel.key, column };
  return seq;
}

/** Identity options: `SEQUENCE NAME [schema.]name`. */
function sequenceNameOption(options: any[] | undefined): QName | null {
  for (const o of options ?? []) {
    const d = o?.DefElem;
    if (d?.defname === 'sequence_name') return qnameFromList(d.arg?.List?.items ?? []);
  }
  return null;
}

/** CREATE / ALTER SEQUENCE ... OWNED BY table.column (or NONE). */
function setOwnedBy(model: SchemaModel, seq: RelationModel, options: any[] | undefined): void {
  for (const o of options ?? []) {
    const d = o?.DefElem;
    if (d?.defname !== 'owned_by') continue;
    const parts: string[] = (d.arg?.List?.items ?? []).map(stringValue);
    if (parts.length === 1 && parts[0]?.toLowerCase() === 'none') {
      seq.ownedBy = null;
      continue;
    }
    const column = parts[parts.length - 1];
    const table = qnameFromList(parts.slice(0, -1));
    const rel = model.relation(table);
    if (column && rel) seq.ownedBy = { table: rel.key, column };
  }
}

/** `SELECT [pg_catalog.]set_config('search_path', 'a, b', ...)` -> ['a', 'b']; null for any other SELECT. */
function setConfigSearchPath(n: any): string[] | null {
  const targets = n?.targetList ?? [];
  if (targets.length !== 1 || n.fromClause) return null;
  const fn = targets[0]?.ResTarget?.val?.FuncCall;
  const name = qnameFromList(fn?.funcname ?? []);
  if (name.name !== 'set_config' || (name.schema && name.schema !== 'pg_catalog')) return null;
  const [what, value] = fn.args ?? [];
  if (what?.A_Const?.sval?.sval !== 'search_path' || value?.A_Const?.sval === undefined) return null;
  return String(value.A_Const.sval.sval ?? '')
    .split(',')
    .map((s) => s.trim())
    .map((s) => (s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1).replace(/""/g, '"') : s.toLowerCase()))
    .filter((s) => s !== '');
}

/** PostgreSQL's makeObjectName: `name1_name2_label`, the longer of name1 and name2 shortened until it fits 63 bytes. */
export function makeObjectName(name1: string, name2: string | null, label: string | null): string {
  const overhead = (name2 ? 1 : 0) + (label ? label.length + 1 : 0);
  let a = Buffer.from(name1, 'utf8');
  let b = Buffer.from(name2 ?? '', 'utf8');
  const avail = 63 - overhead;
  let la = a.length;
  let lb = b.length;
  while (la + lb > avail) {
    if (la > lb) la--;
    else lb--;
  }
  const clip = (buf: Buffer, len: number) => {
    // Never cut a multi-byte character in half.
    while (len > 0 && len < buf.length && (buf[len]! & 0xc0) === 0x80) len--;
    return buf.subarray(0, len).toString('utf8');
  };
  let out = clip(a, la);
  if (name2) out += '_' + clip(b, lb);
  if (label) out += '_' + label;
  return out;
}

/** PostgreSQL's ChooseRelationName: makeObjectName, then `label1`, `label2`, ... until no relation or index of the schema has it. */
export function chooseRelationName(model: SchemaModel, schema: string, name1: string, name2: string | null, label: string): string {
  for (let pass = 0; ; pass++) {
    const name = makeObjectName(name1, name2, pass === 0 ? label : `${label}${pass}`);
    if (!model.hasObject(relKey(schema, name))) return name;
  }
}
