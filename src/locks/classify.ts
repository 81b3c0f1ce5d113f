/**
 * Map a parsed statement to the lock facts it triggers, bound to the relations
 * it touches. This decides *which* table entry applies (reading the schema model
 * for things like the column's current type); the facts themselves come from
 * table.ts.
 */
import {
  columnRefs,
  formatQName,
  formatType,
  rangeVars,
  qnameFromList,
  qnameFromRangeVar,
  stringValue,
  typeRefFromTypeName,
  type QName,
  type TypeRef,
} from '../sql/ast.js';
import type { ParsedStatement } from '../sql/statement.js';
import { checksReading, generatedReading, rebuiltByColumnTypeChange, viewsReading, type RelationModel, type SchemaModel } from '../schema/model.js';
import { dropReach, type DropReach } from '../schema/replay.js';
import { strongest, type LockMode, LOCK_MODES } from './modes.js';
import { lockFact, type LockTarget, type ResolvedFact } from './table.js';
import { typeChange, type TypeChangeVerdict } from './type-change.js';
import { expressionVolatility } from '../sql/volatility.js';

export interface RelationRef {
  key: string;
  display: string;
  /** Present in the schema model (created by a replayed migration). */
  known: boolean;
  /** Created earlier in the file being linted: nobody else uses it yet. */
  createdInFile: boolean;
  /** Existed before this file (or unknown, which is assumed to exist). */
  preExisting: boolean;
}

export interface EffectLock {
  relation: RelationRef;
  target: LockTarget;
  mode: LockMode;
}

export interface Effect {
  fact: ResolvedFact;
  /** The relation the statement is about (table, index's table, view). */
  table: RelationRef | null;
  locks: EffectLock[];
  rewrite: boolean;
  scan: boolean;
  /** The sub-node that triggered this effect (AlterTableCmd, Constraint, ColumnDef ...). */
  node: any;
  column: string | null;
  constraint: string | null;
  typeChange: TypeChangeVerdict | null;
  /** The function that makes a DEFAULT volatile. */
  volatileFunction: string | null;
  /** For foreign keys: the referenced table. */
  referenced: RelationRef | null;
  /** DROP statements: what the drop removes as far as the model knows (with CASCADE, what depends on it). */
  reach: DropReach | null;
}

export interface StatementEffects {
  effects: Effect[];
  /** Strongest lock per relation. */
  locks: EffectLock[];
  /** False when some part of the statement cannot run inside a transaction block. */
  transactional: boolean;
}

export interface ClassifyContext {
  model: SchemaModel;
  pgVersion: number;
  /** Index of the file being linted in the ordered run. */
  fileIndex: number;
}

const LOCK_MODE_BY_NUMBER: Record<number, LockMode> = Object.fromEntries(LOCK_MODES.map((m, i) => [i + 1, m]));

/** The lock fact of LOCK TABLE in each mode. */
const LOCK_TABLE_FACT: Record<LockMode, string> = {
  'ACCESS SHARE': 'lock-table-access-share',
  'ROW SHARE': 'lock-table-row-share',
  'ROW EXCLUSIVE': 'lock-table-row-exclusive',
  'SHARE UPDATE EXCLUSIVE': 'lock-table-share-update-exclusive',
  'SHARE': 'lock-table-share',
  'SHARE ROW EXCLUSIVE': 'lock-table-share-row-exclusive',
  'EXCLUSIVE': 'lock-table-exclusive',
  'ACCESS EXCLUSIVE': 'lock-table',
};

/**
 * ALTER TABLE subcommands that recurse to the partitions of a partitioned table (unless ONLY)
 * with the same lock on each (traced).
 */
const RECURSING_SUBCOMMANDS = new Set([
  'AT_AddColumn',
  'AT_DropColumn',
  'AT_AlterColumnType',
  'AT_ColumnDefault',
  'AT_SetNotNull',
  'AT_DropNotNull',
  'AT_AddConstraint',
  'AT_ValidateConstraint',
  'AT_DropConstraint',
  'AT_SetStatistics',
  'AT_SetStorage',
]);

/** Index storage parameters whose change takes ACCESS EXCLUSIVE on the index (GIN, GiST, BRIN; traced). */
const EXCLUSIVE_INDEX_PARAMS = new Set(['fastupdate', 'gin_pending_list_limit', 'buffering', 'pages_per_range', 'autosummarize']);

const DROP_FACT: Record<string, [string, string]> = {
  OBJECT_SCHEMA: ['drop-schema', 'drop-schema-cascade'],
  OBJECT_FUNCTION: ['drop-function', 'drop-function-cascade'],
  OBJECT_PROCEDURE: ['drop-function', 'drop-function-cascade'],
  OBJECT_ROUTINE: ['drop-function', 'drop-function-cascade'],
  OBJECT_TYPE: ['drop-type', 'drop-type-cascade'],
  OBJECT_DOMAIN: ['drop-type', 'drop-type-cascade'],
  OBJECT_SEQUENCE: ['drop-sequence', 'drop-sequence-cascade'],
};

export function classifyStatement(stmt: ParsedStatement, ctx: ClassifyContext): StatementEffects {
  const c = new Classifier(ctx);
  c.statement(stmt.kind, stmt.node);
  return c.result();
}

class Classifier {
  private readonly effects: Effect[] = [];
  constructor(private readonly ctx: ClassifyContext) {}

  result(): StatementEffects {
    const byRel = new Map<string, EffectLock>();
    for (const e of this.effects) {
      for (const l of e.locks) {
        const prev = byRel.get(l.relation.key);
        if (!prev || strongest([prev.mode, l.mode]) !== prev.mode) byRel.set(l.relation.key, l);
      }
    }
    return {
      effects: this.effects,
      locks: [...byRel.values()],
      transactional: this.effects.every((e) => e.fact.transactional),
    };
  }

  relation(q: QName): RelationRef {
    const model = this.ctx.model;
    const key = model.resolveKey(q);
    const rel = model.relations.get(key);
    const createdInFile = rel?.origin?.fileIndex === this.ctx.fileIndex;
    return { key, display: rel ? key : formatQName(q), known: Boolean(rel), createdInFile, preExisting: !createdInFile };
  }

  relationByKey(key: string): RelationRef {
    const rel = this.ctx.model.relations.get(key);
    const createdInFile = rel?.origin?.fileIndex === this.ctx.fileIndex;
    return { key, display: key, known: Boolean(rel), createdInFile, preExisting: !createdInFile };
  }

  add(
    factId: string,
    table: RelationRef | null,
    extra: Partial<Omit<Effect, 'fact' | 'table' | 'locks' | 'rewrite' | 'scan'>> & {
      /** The relation(s) each lock target means; several for `dependent` and `using-table`. */
      targets?: Partial<Record<LockTarget, RelationRef | RelationRef[] | null>>;
      mode?: LockMode;
    } = {},
  ): Effect {
    const fact = lockFact(factId, this.ctx.pgVersion);
    const targets: Partial<Record<LockTarget, RelationRef | RelationRef[] | null>> = { table, index: table, ...extra.targets };
    const locks: EffectLock[] = [];
    for (const l of fact.locks) {
      const t = targets[l.target];
      if (t === null || t === undefined) continue;
      const mode = extra.mode ?? l.mode;
      if (Array.isArray(t)) for (let i = 0; i < t.length; i++) locks.push({ relation: t[i]!, target: l.target, mode });
      else locks.push({ relation: t, target: l.target, mode });
    }
    const referenced = targets['referenced-table'];
    const effect: Effect = {
      fact,
      table,
      locks,
      rewrite: fact.rewrite,
      scan: fact.scan,
      node: extra.node ?? null,
      column: extra.column ?? null,
      constraint: extra.constraint ?? null,
      typeChange: extra.typeChange ?? null,
      volatileFunction: extra.volatileFunction ?? null,
      referenced: extra.referenced ?? (Array.isArray(referenced) ? (referenced[0] ?? null) : (referenced ?? null)),
      reach: extra.reach ?? null,
    };
    this.effects.push(effect);
    return effect;
  }

  statement(kind: string, n: any): void {
    switch (kind) {
      case 'IndexStmt': {
        const table = this.relation(qnameFromRangeVar(n.relation));
        // ON ONLY on a partitioned table builds nothing: an (invalid) parent index for partitions' indexes to attach to.
        const onOnly = n.relation?.inh !== true && this.ctx.model.relations.get(table.key)?.kind === 'partitioned-table';
        const e = this.add(onOnly ? 'create-index-on-only' : n.concurrent ? 'create-index-concurrently' : 'create-index', table, { node: n });
        this.recurseToPartitions(e, table, n.relation?.inh === true);
        return;
      }
      case 'DropStmt':
        return this.drop(n);
      case 'ReindexStmt':
        return this.reindex(n);
      case 'RefreshMatViewStmt':
        this.add(
          n.skipData ? 'refresh-materialized-view-with-no-data' : n.concurrent ? 'refresh-materialized-view-concurrently' : 'refresh-materialized-view',
          this.relation(qnameFromRangeVar(n.relation)),
          { node: n },
        );
        return;
      case 'CreateTableAsStmt':
        if (n.objtype === 'OBJECT_MATVIEW') {
          // The work is the query over the tables it reads; the effect is about the first one that existed before.
          const reads = rangeVars(n.query).map((q) => this.relation(q)).filter((r) => r.known && r.preExisting);
          this.add(n.into?.skipData ? 'create-materialized-view-no-data' : 'create-materialized-view', reads[0] ?? null, { node: n });
        }
        return;
      case 'AlterTableStmt':
        return this.alterTable(n);
      case 'RenameStmt':
        return this.rename(n);
      case 'AlterObjectSchemaStmt':
        if (n.relation) this.add('set-schema', this.relation(qnameFromRangeVar(n.relation)), { node: n });
        return;
      case 'TruncateStmt':
        for (const r of n.relations ?? []) if (r.RangeVar) this.add('truncate', this.relation(qnameFromRangeVar(r.RangeVar)), { node: n });
        return;
      case 'VacuumStmt':
        return this.vacuum(n);
      case 'ClusterStmt':
        if (n.relation) this.add('cluster', this.relation(qnameFromRangeVar(n.relation)), { node: n });
        return;
      case 'LockStmt': {
        const mode = LOCK_MODE_BY_NUMBER[Number(n.mode ?? 8)] ?? 'ACCESS EXCLUSIVE';
        for (const r of n.relations ?? []) if (r.RangeVar) this.add(LOCK_TABLE_FACT[mode], this.relation(qnameFromRangeVar(r.RangeVar)), { node: n });
        return;
      }
      case 'CreateTrigStmt':
        if (n.relation) this.add(n.replace ? 'create-or-replace-trigger' : 'create-trigger', this.relation(qnameFromRangeVar(n.relation)), { node: n });
        return;
      case 'RuleStmt':
        if (n.relation) this.add('create-rule', this.relation(qnameFromRangeVar(n.relation)), { node: n });
        return;
      case 'CreatePolicyStmt':
      case 'AlterPolicyStmt':
        if (n.table) this.add(kind === 'CreatePolicyStmt' ? 'create-policy' : 'alter-policy', this.relation(qnameFromRangeVar(n.table)), { node: n });
        return;
      case 'GrantStmt':
        return this.grant(n);
      case 'GrantRoleStmt':
        this.add('grant-role', null, { node: n });
        return;
      case 'AlterDomainStmt':
        return this.alterDomain(n);
      case 'CommentStmt':
        return this.comment(n);
      case 'ViewStmt': {
        const view = this.relation(qnameFromRangeVar(n.view));
        // An unknown view is assumed to exist, as every unknown relation is: OR REPLACE then takes its lock.
        if (n.replace) this.add('create-view', view, { node: n });
        return;
      }
      case 'AlterEnumStmt':
        if (n.oldVal) this.add('enum-rename-value', null, { node: n });
        else if (n.newVal) this.add(n.newValNeighbor ? 'enum-add-value-before' : 'enum-add-value', null, { node: n });
        return;
      case 'CreateStmt':
        return this.createTable(n);
      case 'UpdateStmt': {
        if (!n.relation) return;
        const table = this.relation(qnameFromRangeVar(n.relation));
        this.add('update', table, { node: n, targets: { 'referenced-table': this.referencedTables(table) } });
        return;
      }
      case 'DeleteStmt':
        if (n.relation) this.add('delete', this.relation(qnameFromRangeVar(n.relation)), { node: n });
        return;
      case 'InsertStmt': {
        if (!n.relation) return;
        const sel = n.selectStmt?.SelectStmt;
        const isSelect = sel && !sel.valuesLists;
        const table = this.relation(qnameFromRangeVar(n.relation));
        this.add(isSelect ? 'insert-select' : 'insert', table, { node: n, targets: { 'referenced-table': this.referencedTables(table) } });
        return;
      }
      default:
        return;
    }
  }

  private createTable(n: any): void {
    const self = this.ctx.model.resolveKey(qnameFromRangeVar(n.relation));
    if (n.partbound && n.inhRelations?.[0]?.RangeVar) {
      const parent = this.relation(qnameFromRangeVar(n.inhRelations[0].RangeVar));
      this.add('create-partition-of', null, { node: n, targets: { parent } });
      const prel = this.ctx.model.relations.get(parent.key);
      // A DEFAULT partition is scanned for rows that belong to the new partition (unless the new one is the default).
      const def = n.partbound.is_default ? undefined : this.defaultPartition(parent.key);
      if (def) this.add('create-partition-of-default', def, { node: n, targets: { 'default-partition': def } });
      // The parent's foreign keys are cloned onto the partition: their referenced tables are locked too.
      for (const c of prel?.constraints.values() ?? []) {
        if (c.kind !== 'foreign-key' || !c.references || c.references === parent.key) continue;
        const referenced = this.relationByKey(c.references);
        this.add('create-table-references', null, { node: n, targets: { 'referenced-table': referenced }, referenced });
      }
    }
    const refs: any[] = [];
    for (const el of n.tableElts ?? []) {
      if (el.Constraint?.contype === 'CONSTR_FOREIGN') refs.push(el.Constraint);
      for (const c of el.ColumnDef?.constraints ?? []) if (c?.Constraint?.contype === 'CONSTR_FOREIGN') refs.push(c.Constraint);
    }
    for (const con of refs) {
      const referenced = this.relation(qnameFromRangeVar(con.pktable));
      if (referenced.key === self) continue;
      this.add('create-table-references', null, { node: con, targets: { 'referenced-table': referenced }, referenced });
    }
  }

  /** The DEFAULT partition of a partitioned table, if the model knows one. */
  private defaultPartition(parentKey: string): RelationRef | null {
    for (const p of this.ctx.model.relations.get(parentKey)?.partitions ?? []) {
      if (this.ctx.model.relations.get(p)?.partitionBound === 'DEFAULT') return this.relationByKey(p);
    }
    return null;
  }

  private drop(n: any): void {
    const cascade = n.behavior === 'DROP_CASCADE';
    const pair = DROP_FACT[n.removeType];
    if (pair) {
      // One effect for the statement: what it drops, and (CASCADE) the relations the cascade drops or alters.
      const reach = dropReach(this.ctx.model, n);
      const seq = n.removeType === 'OBJECT_SEQUENCE';
      const named = seq ? reach.named.map((k) => this.relationByKey(k)) : [];
      const dependent = [...reach.relations.filter((k) => !reach.named.includes(k)), ...reach.altered].map((k) => this.relationByKey(k));
      if (seq && named.length === 0) {
        for (const obj of n.objects ?? []) named.push(this.relation(qnameFromList(obj?.List?.items ?? [])));
      }
      const table = seq ? (named[0] ?? null) : null;
      this.add(cascade ? pair[1] : pair[0], table, { node: n, reach, targets: { table: seq ? named : null, dependent } });
      return;
    }
    if ((n.removeType === 'OBJECT_TABLE' || n.removeType === 'OBJECT_VIEW' || n.removeType === 'OBJECT_MATVIEW' || n.removeType === 'OBJECT_FOREIGN_TABLE') && cascade) {
      const reach = dropReach(this.ctx.model, n);
      for (const obj of n.objects ?? []) {
        const table = this.relation(qnameFromList(obj?.List?.items ?? []));
        const own = new Set([table.key, ...(this.ctx.model.relations.get(table.key)?.partitions ?? [])]);
        const dependent = [...reach.relations.filter((k) => !reach.named.includes(k) && !own.has(k)), ...reach.altered].map((k) => this.relationByKey(k));
        this.add(n.removeType === 'OBJECT_TABLE' || n.removeType === 'OBJECT_FOREIGN_TABLE' ? 'drop-table-cascade' : 'drop-view-cascade', table, { node: n, reach, targets: { dependent } });
        if (n.removeType === 'OBJECT_TABLE') this.foreignKeyDrops(table, n);
      }
      return;
    }
    for (const obj of n.objects ?? []) {
      const items = obj?.List?.items ?? [];
      switch (n.removeType) {
        case 'OBJECT_INDEX': {
          const ix = this.ctx.model.index(qnameFromList(items));
          const table = ix ? this.relationByKey(ix.table) : this.unknownTableOfIndex(qnameFromList(items));
          this.add(n.concurrent ? 'drop-index-concurrently' : 'drop-index', table, { node: n, targets: { index: this.indexRelation(qnameFromList(items)) } });
          break;
        }
        case 'OBJECT_TABLE': {
          const table = this.relation(qnameFromList(items));
          if (!this.foreignKeyDrops(table, n)) this.add('drop-table', table, { node: n, reach: dropReach(this.ctx.model, { ...n, objects: [obj] }) });
          break;
        }
        case 'OBJECT_VIEW':
        case 'OBJECT_MATVIEW':
          this.add('drop-view', this.relation(qnameFromList(items)), { node: n, reach: dropReach(this.ctx.model, { ...n, objects: [obj] }) });
          break;
        case 'OBJECT_TRIGGER':
        case 'OBJECT_POLICY':
        case 'OBJECT_RULE': {
          // objects: [schema?, table, name]
          const tableParts = items.slice(0, -1);
          if (tableParts.length === 0) break;
          const table = this.relation(qnameFromList(tableParts));
          this.add(n.removeType === 'OBJECT_TRIGGER' ? 'drop-trigger' : n.removeType === 'OBJECT_RULE' ? 'create-rule' : 'drop-policy', table, { node: n });
          break;
        }
        default:
          break;
      }
    }
  }

  /** DROP TABLE of a table with foreign keys: one effect per referenced table (its triggers go). Returns whether there were any. */
  /** The other tables of the foreign keys a column takes part in: those it references, those that reference it. */
  private foreignKeyPartners(tableKey: string, column: string): RelationRef[] {
    const keys = new Set<string>();
    const rel = this.ctx.model.relations.get(tableKey);
    for (const c of rel?.constraints.values() ?? []) if (c.kind === 'foreign-key' && c.references && c.references !== tableKey && c.columns.includes(column)) keys.add(c.references);
    const pk = [...(rel?.constraints.values() ?? [])].find((c) => c.kind === 'primary-key')?.columns ?? [];
    for (const other of this.ctx.model.relations.values()) {
      if (other.key === tableKey) continue;
      for (const c of other.constraints.values()) {
        if (c.kind !== 'foreign-key' || c.references !== tableKey) continue;
        if ((c.referencesColumns.length ? c.referencesColumns : pk).includes(column)) keys.add(other.key);
      }
    }
    return [...keys].map((k) => this.relationByKey(k));
  }

  /** The tables the table's foreign keys (as the model knows them) reference, itself excluded. */
  private referencedTables(table: RelationRef): RelationRef[] {
    const rel = this.ctx.model.relations.get(table.key);
    const keys = new Set([...(rel?.constraints.values() ?? [])].flatMap((c) => (c.kind === 'foreign-key' && c.references && c.references !== table.key ? [c.references] : [])));
    return [...keys].map((k) => this.relationByKey(k));
  }

  private foreignKeyDrops(table: RelationRef, n: any): boolean {
    const rel = this.ctx.model.relations.get(table.key);
    const fks = [...(rel?.constraints.values() ?? [])].filter((c) => c.kind === 'foreign-key' && c.references && c.references !== table.key);
    for (const fk of fks) {
      const referenced = this.relationByKey(fk.references!);
      this.add('drop-table-with-foreign-keys', table, { node: n, targets: { 'referenced-table': referenced }, referenced });
    }
    return fks.length > 0;
  }

  private grant(n: any): void {
    if (n.objtype !== 'OBJECT_TABLE' && n.objtype !== 'OBJECT_SEQUENCE') {
      this.add('grant-object', null, { node: n });
      return;
    }
    if (n.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
      for (const s of n.objects ?? []) {
        const schema = stringValue(s);
        const kind = n.objtype === 'OBJECT_SEQUENCE' ? 'sequence' : null;
        const rels = [...this.ctx.model.relations.values()].filter((r) => r.schema === schema && (kind ? r.kind === kind : r.kind !== 'sequence'));
        const scope: RelationRef = { key: `grant:${schema}`, display: `every ${kind ?? 'table'} in schema ${schema}`, known: false, createdInFile: false, preExisting: true };
        this.add('grant-table', scope, { node: n, targets: { table: rels.length ? rels.map((r) => this.relationByKey(r.key)) : scope } });
      }
      return;
    }
    for (const o of n.objects ?? []) if (o?.RangeVar) this.add('grant-table', this.relation(qnameFromRangeVar(o.RangeVar)), { node: n });
  }

  /** Tables (and materialized views) with a column of the domain, or of a domain over it. */
  private domainTables(domainKey: string): RelationRef[] {
    const model = this.ctx.model;
    const keys = new Set([domainKey]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const d of model.domains.values()) {
        const base = model.resolveKey({ schema: d.base.schema, name: d.base.name }, (k) => model.domains.has(k));
        if (keys.has(base) && !keys.has(d.key)) {
          keys.add(d.key);
          grew = true;
        }
      }
    }
    const out: RelationRef[] = [];
    for (const rel of model.relations.values()) {
      if (rel.kind === 'view' || rel.kind === 'partitioned-table') continue;
      const uses = [...rel.columns.values()].some((c) => !c.type.array && keys.has(model.resolveKey({ schema: c.type.schema, name: c.type.name }, (k) => model.domains.has(k))));
      if (uses) out.push(this.relationByKey(rel.key));
    }
    return out;
  }

  private alterDomain(n: any): void {
    const model = this.ctx.model;
    const key = model.resolveKey(qnameFromList(n.typeName ?? []), (k) => model.domains.has(k));
    const con = n.def?.Constraint;
    let id: string;
    if (n.subtype === 'C' && con) id = con.skip_validation ? 'alter-domain-add-constraint-not-valid' : con.contype === 'CONSTR_NOTNULL' ? 'alter-domain-set-not-null' : 'alter-domain-add-constraint';
    else if (n.subtype === 'V') id = 'alter-domain-validate-constraint';
    else if (n.subtype === 'O') id = 'alter-domain-set-not-null';
    else id = 'alter-domain-other';
    const fact = lockFact(id, this.ctx.pgVersion);
    if (!fact.scan) {
      this.add(id, null, { node: n, constraint: con?.conname ?? n.name ?? null });
      return;
    }
    // One effect per table the validation scans (each is its own work); none known: one effect, no table.
    const tables = this.domainTables(key);
    if (tables.length === 0) this.add(id, null, { node: n, constraint: con?.conname ?? n.name ?? null });
    for (const t of tables) this.add(id, t, { node: n, constraint: con?.conname ?? n.name ?? null, targets: { 'using-table': t } });
  }

  /**
   * The index itself, for the `index` lock target (trace sees the lock on the index, not on its table).
   * Unknown to the model: resolved on the search path, assumed to exist.
   */
  private indexRelation(q: QName): RelationRef {
    const ix = this.ctx.model.index(q);
    if (!ix) return { key: this.ctx.model.resolveKey(q), display: formatQName(q), known: false, createdInFile: false, preExisting: true };
    const createdInFile = ix.origin?.fileIndex === this.ctx.fileIndex;
    return { key: ix.key, display: ix.key, known: true, createdInFile, preExisting: !createdInFile };
  }

  /** The indexes the model knows on a table (REINDEX TABLE locks each of them). */
  private indexesOf(tableKey: string): RelationRef[] {
    return [...this.ctx.model.indexes.values()].filter((ix) => ix.table === tableKey).map((ix) => this.indexRelation({ schema: ix.schema, name: ix.name }));
  }

  /**
   * A statement on a partitioned table that recurses (no ONLY) takes the same lock on every
   * partition the model knows, down the tree: each lock of the effect on the table is repeated
   * on each partition (traced: ADD COLUMN, ADD CONSTRAINT, CREATE INDEX).
   */
  private recurseToPartitions(effect: Effect, table: RelationRef, inh: boolean): void {
    if (!inh) return;
    const parts: string[] = [];
    const walk = (key: string) => {
      for (const p of this.ctx.model.relations.get(key)?.partitions ?? []) {
        parts.push(p);
        walk(p);
      }
    };
    walk(table.key);
    if (parts.length === 0) return;
    const own = effect.locks.filter((l) => l.relation.key === table.key && (l.target === 'table' || l.target === 'parent'));
    for (const p of parts) {
      const relation = this.relationByKey(p);
      for (const l of own) effect.locks.push({ relation, target: 'table', mode: l.mode });
    }
  }

  /** An index the history does not know: its table is unknown too; name the index. */
  private unknownTableOfIndex(q: QName): RelationRef {
    return { key: `index:${formatQName(q)}`, display: `(table of index ${formatQName(q)})`, known: false, createdInFile: false, preExisting: true };
  }

  private reindex(n: any): void {
    const concurrent = (n.params ?? []).some((p: any) => p?.DefElem?.defname === 'concurrently') || Boolean(n.concurrent);
    const factId = concurrent ? 'reindex-concurrently' : 'reindex';
    if (n.kind === 'REINDEX_OBJECT_INDEX' && n.relation) {
      const q = qnameFromRangeVar(n.relation);
      const ix = this.ctx.model.index(q);
      const table = ix ? this.relationByKey(ix.table) : this.unknownTableOfIndex(q);
      this.add(factId, table, { node: n, targets: { index: this.indexRelation(q) } });
    } else if (n.kind === 'REINDEX_OBJECT_TABLE' && n.relation) {
      const table = this.relation(qnameFromRangeVar(n.relation));
      this.add(factId, table, { node: n, targets: { index: this.indexesOf(table.key) } });
    } else {
      // SCHEMA / DATABASE / SYSTEM: every table in scope.
      const scope = n.name ? `all tables in ${n.name}` : 'every table';
      this.add(factId, { key: `reindex:${scope}`, display: scope, known: false, createdInFile: false, preExisting: true }, { node: n });
    }
  }

  private vacuum(n: any): void {
    const opts = (n.options ?? []).map((o: any) => String(o?.DefElem?.defname ?? ''));
    const full = opts.includes('full');
    const factId = !n.is_vacuumcmd ? 'analyze' : full ? 'vacuum-full' : 'vacuum';
    const rels = (n.rels ?? []).map((r: any) => r?.VacuumRelation?.relation).filter(Boolean);
    if (rels.length === 0) {
      this.add(factId, { key: 'vacuum:database', display: 'every table in the database', known: false, createdInFile: false, preExisting: true }, { node: n });
    }
    for (const r of rels) this.add(factId, this.relation(qnameFromRangeVar(r)), { node: n });
  }

  private comment(n: any): void {
    if (n.objtype === 'OBJECT_TABLE') {
      this.add('comment-on', this.relation(qnameFromList(n.object?.List?.items ?? [])), { node: n });
    } else if (n.objtype === 'OBJECT_COLUMN') {
      const items = n.object?.List?.items ?? [];
      this.add('comment-on', this.relation(qnameFromList(items.slice(0, -1))), { node: n, column: stringValue(items[items.length - 1]) });
    }
  }

  private rename(n: any): void {
    switch (n.renameType) {
      case 'OBJECT_COLUMN':
        this.add('rename-column', this.relation(qnameFromRangeVar(n.relation)), { node: n, column: n.subname ?? null });
        return;
      case 'OBJECT_TABLE':
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW':
      case 'OBJECT_FOREIGN_TABLE':
        this.add('rename-table', this.relation(qnameFromRangeVar(n.relation)), { node: n });
        return;
      case 'OBJECT_TABCONSTRAINT': {
        const table = this.relation(qnameFromRangeVar(n.relation));
        const con = this.ctx.model.relations.get(table.key)?.constraints.get(n.subname);
        const indexBacked = con?.kind === 'primary-key' || con?.kind === 'unique' || con?.kind === 'exclude';
        this.add(indexBacked ? 'rename-constraint-index' : 'rename-constraint', table, { node: n, constraint: n.subname ?? null });
        return;
      }
      case 'OBJECT_TRIGGER':
        if (n.relation) this.add('alter-trigger-rename', this.relation(qnameFromRangeVar(n.relation)), { node: n });
        return;
      case 'OBJECT_POLICY':
        if (n.relation) this.add('alter-policy', this.relation(qnameFromRangeVar(n.relation)), { node: n });
        return;
      case 'OBJECT_DOMCONSTRAINT':
        this.add('alter-domain-other', null, { node: n });
        return;
      case 'OBJECT_INDEX': {
        const q = qnameFromRangeVar(n.relation);
        const ix = this.ctx.model.index(q);
        const table = ix ? this.relationByKey(ix.table) : this.unknownTableOfIndex(q);
        this.add('alter-index-rename', table, { node: n, targets: { index: this.indexRelation(q) } });
        return;
      }
      default:
        return;
    }
  }

  private alterTable(n: any): void {
    const table = this.relation(qnameFromRangeVar(n.relation));
    if (n.objtype === 'OBJECT_INDEX') {
      const ix = this.ctx.model.index(qnameFromRangeVar(n.relation));
      const owner = ix ? this.relationByKey(ix.table) : this.unknownTableOfIndex(qnameFromRangeVar(n.relation));
      const index = this.indexRelation(qnameFromRangeVar(n.relation));
      for (const c of n.cmds ?? []) {
        const cmd = c?.AlterTableCmd;
        if (!cmd) continue;
        if (cmd.subtype === 'AT_SetTableSpace') this.add('alter-index-set-tablespace', owner, { node: cmd, targets: { index } });
        else if (cmd.subtype === 'AT_AttachPartition') {
          const q = qnameFromRangeVar(cmd.def?.PartitionCmd?.name);
          const child = this.ctx.model.index(q);
          // The lock is on the partition's index; planning any query on the partition waits for it.
          const partition = child ? { ...this.relationByKey(child.table), display: `${child.table} (its index ${child.name})` } : this.unknownTableOfIndex(q);
          this.add('alter-index-attach-partition', owner, { node: cmd, targets: { index, 'partition-index': partition } });
        } else {
          const params: string[] = (cmd.def?.List?.items ?? []).map((d: any) => String(d?.DefElem?.defname ?? '').toLowerCase());
          const exclusive = (cmd.subtype === 'AT_SetRelOptions' || cmd.subtype === 'AT_ResetRelOptions') && params.some((p) => EXCLUSIVE_INDEX_PARAMS.has(p));
          this.add(exclusive ? 'alter-index-set-exclusive' : 'alter-index-set', owner, { node: cmd, targets: { index } });
        }
      }
      return;
    }
    const rel = this.ctx.model.relations.get(table.key);
    const droppedHere = new Set<string>(
      (n.cmds ?? []).flatMap((c: any) => (c?.AlterTableCmd?.subtype === 'AT_DropConstraint' && c.AlterTableCmd.name ? [String(c.AlterTableCmd.name)] : [])),
    );
    const inh = n.relation?.inh === true; // false or absent: ONLY
    for (const c of n.cmds ?? []) {
      const cmd = c?.AlterTableCmd;
      if (!cmd) continue;
      const column: string | null = cmd.name ?? null;
      const first = this.effects.length;
      this.alterTableCmd(table, rel, cmd, column, droppedHere);
      if (RECURSING_SUBCOMMANDS.has(cmd.subtype)) for (const e of this.effects.slice(first)) if (e.table?.key === table.key) this.recurseToPartitions(e, table, inh);
    }
  }

  private alterTableCmd(table: RelationRef, rel: RelationModel | undefined, cmd: any, column: string | null, droppedHere: ReadonlySet<string>): void {
    {
      switch (cmd.subtype) {
        case 'AT_AddColumn':
          this.addColumn(table, cmd);
          break;
        case 'AT_DropColumn': {
          this.add('drop-column', table, { node: cmd, column });
          // A foreign key on the column goes with it: its RI triggers on the referenced table are dropped too.
          const fks = [...(rel?.constraints.values() ?? [])].filter((c) => c.kind === 'foreign-key' && c.references && c.references !== table.key && column !== null && c.columns.includes(column));
          for (const fk of fks) {
            const referenced = this.relationByKey(fk.references!);
            this.add('drop-foreign-key', table, { node: cmd, column, constraint: fk.name, targets: { 'referenced-table': referenced }, referenced });
          }
          break;
        }
        case 'AT_AlterColumnType': {
          // PostgreSQL refuses to change the type of a column a generated column reads (traced).
          if (column !== null && generatedReading(rel, column).length) {
            this.add('alter-column-type-generated-input', table, { node: cmd, column });
            break;
          }
          // And of a column a view reads (the views a replayed statement made: readsColumns).
          if (column !== null && viewsReading(this.ctx.model, table.key, column).length) {
            this.add('alter-column-type-view-input', table, { node: cmd, column });
            break;
          }
          const def = cmd.def?.ColumnDef;
          const to = typeRefFromTypeName(def?.typeName);
          const from: TypeRef | null = (column && rel?.columns.get(column)?.type) || null;
          // A domain is binary coercible to its base type, and a type to an unconstrained domain over it
          // (sql-altertable: "an unconstrained domain over the new type" needs no rewrite); compare the bases.
          const verdict = typeChange(from && this.domainBase(from, false), this.domainBase(to, true), usingIsTrivial(def?.raw_default, column));
          // An index on the column with an expression or a predicate is built again even when the
          // table is not rewritten (rebuiltByColumnTypeChange).
          let rebuilt = false;
          if (column !== null) {
            for (const ix of this.ctx.model.indexes.values()) {
              if (ix.table === table.key && rebuiltByColumnTypeChange(ix, column)) {
                rebuilt = true;
                break;
              }
            }
          }
          // A validated CHECK constraint that reads the column is added again and checked (traced).
          const checked = column !== null && checksReading(rel, column).length > 0;
          const changes = !(from && formatType(from) === formatType(to));
          const id = this.domainWithConstraints(to)
            ? 'alter-column-type-verify'
            : verdict.cost === 'none' || verdict.cost === 'binary-compatible'
              ? rebuilt && changes
                ? 'alter-column-type-expression-index'
                : checked && changes
                  ? 'alter-column-type-check'
                  : 'alter-column-type-binary-compatible'
              : 'alter-column-type';
          this.add(id, table, { node: cmd, column, typeChange: verdict });
          // A foreign key on the column (either side) is dropped and added again, and validated when the type really changes.
          if (column && rel && verdict.cost !== 'none' && verdict.cost !== 'binary-compatible') {
            for (const other of this.foreignKeyPartners(table.key, column)) this.add('alter-column-type-foreign-key', other, { node: cmd, column });
          }
          break;
        }
        case 'AT_ColumnDefault':
        case 'AT_CookedColumnDefault':
          this.add('set-default', table, { node: cmd, column });
          break;
        case 'AT_SetNotNull': {
          // A validated CHECK (col IS NOT NULL) skips the scan only if it "is not dropped in the same command" (sql-altertable).
          const proven = Boolean(
            rel &&
              column &&
              [...rel.constraints.values()].some(
                (c) => c.validated && c.notNullColumn === column && (c.kind === 'check' || c.kind === 'not-null') && !droppedHere.has(c.name),
              ),
          );
          const already = Boolean(column && rel?.columns.get(column)?.notNull);
          this.add(already ? 'set-not-null-noop' : proven ? 'set-not-null-proven' : 'set-not-null', table, { node: cmd, column });
          break;
        }
        case 'AT_DropNotNull':
          this.add('drop-not-null', table, { node: cmd, column });
          break;
        case 'AT_SetStatistics':
          this.add('set-statistics', table, { node: cmd, column });
          break;
        case 'AT_SetOptions':
        case 'AT_ResetOptions':
          this.add('set-column-options', table, { node: cmd, column });
          break;
        case 'AT_SetStorage':
          this.add('set-storage', table, { node: cmd, column });
          break;
        case 'AT_SetCompression':
          this.add('set-compression', table, { node: cmd, column });
          break;
        case 'AT_AlterConstraint': {
          const alter = cmd.def?.ATAlterConstraint ?? cmd.def?.Constraint;
          const name: string | null = alter?.conname ?? null;
          const con = name ? rel?.constraints.get(name) : undefined;
          const referenced = con?.kind === 'foreign-key' && con.references && con.references !== table.key ? this.relationByKey(con.references) : null;
          const id = alter?.alterEnforceability ? (alter.is_enforced ? 'alter-constraint-enforced' : 'alter-constraint-not-enforced') : 'alter-constraint';
          this.add(id, table, { node: cmd, constraint: name, targets: { 'referenced-table': referenced }, referenced });
          break;
        }
        case 'AT_AddIdentity':
        case 'AT_SetIdentity':
        case 'AT_DropIdentity':
          this.add('add-identity', table, { node: cmd, column });
          break;
        case 'AT_SetExpression':
          this.add('set-expression', table, { node: cmd, column });
          break;
        case 'AT_DropExpression':
          this.add('drop-expression', table, { node: cmd, column });
          break;
        case 'AT_AddConstraint':
          if (cmd.def?.Constraint) this.addConstraint(table, cmd.def.Constraint, cmd);
          break;
        case 'AT_AddIndexConstraint':
          this.add('add-constraint-using-index', table, { node: cmd });
          break;
        case 'AT_ValidateConstraint': {
          const con = column ? rel?.constraints.get(column) : undefined;
          if (con?.kind === 'foreign-key') {
            const referenced = con.references ? this.relationByKey(con.references) : null;
            this.add('validate-foreign-key', table, { node: cmd, constraint: column, targets: { 'referenced-table': referenced }, referenced });
          } else {
            this.add('validate-constraint', table, { node: cmd, constraint: column });
          }
          break;
        }
        case 'AT_DropConstraint': {
          const con = column ? rel?.constraints.get(column) : undefined;
          if (con?.kind === 'foreign-key' && con.references && con.references !== table.key) {
            const referenced = this.relationByKey(con.references);
            this.add('drop-foreign-key', table, { node: cmd, constraint: column, targets: { 'referenced-table': referenced }, referenced });
          } else {
            this.add('drop-constraint', table, { node: cmd, constraint: column });
          }
          break;
        }
        case 'AT_SetLogged':
        case 'AT_SetUnLogged': {
          // Already so (a table the model knows, not a placeholder): PostgreSQL copies nothing.
          const already = rel && !rel.placeholder && rel.unlogged === (cmd.subtype === 'AT_SetUnLogged');
          this.add(already ? 'set-logged-noop' : 'set-logged', table, { node: cmd });
          break;
        }
        case 'AT_SetTableSpace':
          this.add('set-tablespace', table, { node: cmd });
          break;
        case 'AT_SetAccessMethod':
          this.add('set-access-method', table, { node: cmd });
          break;
        case 'AT_SetRelOptions':
        case 'AT_ResetRelOptions':
        case 'AT_ReplaceRelOptions':
          this.add('set-storage-parameters', table, { node: cmd });
          break;
        case 'AT_ClusterOn':
        case 'AT_DropCluster':
          this.add('cluster-on', table, { node: cmd });
          break;
        case 'AT_EnableTrig':
        case 'AT_EnableAlwaysTrig':
        case 'AT_EnableReplicaTrig':
        case 'AT_DisableTrig':
        case 'AT_EnableTrigAll':
        case 'AT_DisableTrigAll':
        case 'AT_EnableTrigUser':
        case 'AT_DisableTrigUser':
          this.add('trigger-enable', table, { node: cmd });
          break;
        case 'AT_EnableRule':
        case 'AT_EnableAlwaysRule':
        case 'AT_EnableReplicaRule':
        case 'AT_DisableRule':
          this.add('rule-enable', table, { node: cmd });
          break;
        case 'AT_EnableRowSecurity':
        case 'AT_DisableRowSecurity':
          this.add('row-security', table, { node: cmd });
          break;
        case 'AT_ForceRowSecurity':
        case 'AT_NoForceRowSecurity':
          this.add('row-security-force', table, { node: cmd });
          break;
        case 'AT_ReplicaIdentity':
          this.add(cmd.def?.ReplicaIdentityStmt?.identity_type === 'i' ? 'replica-identity-index' : 'replica-identity', table, { node: cmd });
          break;
        case 'AT_AddInherit':
        case 'AT_DropInherit': {
          const parent = cmd.def?.RangeVar ? this.relation(qnameFromRangeVar(cmd.def.RangeVar)) : null;
          this.add(cmd.subtype === 'AT_AddInherit' ? 'inherit' : 'no-inherit', table, { node: cmd, targets: { parent } });
          break;
        }
        case 'AT_ChangeOwner':
          this.add('owner-to', table, { node: cmd });
          break;
        case 'AT_AttachPartition': {
          const partition = this.relation(qnameFromRangeVar(cmd.def?.PartitionCmd?.name));
          this.add('attach-partition', table, { node: cmd, targets: { parent: table, partition } });
          // The parent's DEFAULT partition is scanned for rows the new partition would hold.
          const def = cmd.def?.PartitionCmd?.bound?.is_default ? null : this.defaultPartition(table.key);
          if (def && def.key !== partition.key) this.add('attach-partition-default', def, { node: cmd, targets: { 'default-partition': def } });
          break;
        }
        case 'AT_DetachPartition': {
          const partition = this.relation(qnameFromRangeVar(cmd.def?.PartitionCmd?.name));
          const id = cmd.def?.PartitionCmd?.concurrent ? 'detach-partition-concurrently' : 'detach-partition';
          this.add(id, table, { node: cmd, targets: { parent: table, partition } });
          // The parent's DEFAULT partition is locked too (its implicit constraint changes).
          const def = id === 'detach-partition' ? this.defaultPartition(table.key) : null;
          if (def && def.key !== partition.key) this.add('detach-partition-default', def, { node: cmd, targets: { 'default-partition': def } });
          break;
        }
        case 'AT_DetachPartitionFinalize': {
          const partition = this.relation(qnameFromRangeVar(cmd.def?.PartitionCmd?.name));
          this.add('detach-partition-concurrently', table, { node: cmd, targets: { parent: table, partition } });
          break;
        }
        default:
          this.add('alter-table-other', table, { node: cmd });
      }
    }
  }

  /** The base type of a domain the model knows (down the chain); with `unconstrainedOnly`, only through domains without constraints. */
  private domainBase(type: TypeRef, unconstrainedOnly: boolean): TypeRef {
    let t = type;
    for (let i = 0; i < 10; i++) {
      const key = this.ctx.model.resolveKey({ schema: t.schema, name: t.name }, (k) => this.ctx.model.domains.has(k));
      const d = this.ctx.model.domains.get(key);
      if (!d || t.array || (unconstrainedOnly && d.hasConstraints)) return t;
      t = d.base;
    }
    return t;
  }

  /** A domain from the history that carries CHECK / NOT NULL constraints. */
  private domainWithConstraints(type: TypeRef): boolean {
    const key = this.ctx.model.resolveKey({ schema: type.schema, name: type.name }, (k) => this.ctx.model.domains.has(k));
    return Boolean(this.ctx.model.domains.get(key)?.hasConstraints);
  }

  private addColumn(table: RelationRef, cmd: any): void {
    const def = cmd.def?.ColumnDef;
    if (!def) return;
    const column: string = def.colname;
    const type = typeRefFromTypeName(def.typeName);
    const cons: any[] = (def.constraints ?? []).map((c: any) => c?.Constraint).filter(Boolean);
    const has = (t: string) => cons.find((c) => c.contype === t);
    const defaultExpr = def.raw_default ?? has('CONSTR_DEFAULT')?.raw_expr;
    const generated = has('CONSTR_GENERATED');
    const base = { node: cmd, column };
    if (['serial', 'bigserial', 'smallserial'].includes(type.name) && !type.schema) {
      this.add('add-column-serial', table, base);
    } else if (has('CONSTR_IDENTITY')) {
      this.add('add-column-identity', table, base);
    } else if (this.domainWithConstraints(type)) {
      this.add('add-column-domain-constraints', table, base);
    } else if (generated) {
      this.add(generated.generated_kind === 'v' ? 'add-column-generated-virtual' : 'add-column-generated-stored', table, base);
    } else if (defaultExpr) {
      const v = expressionVolatility(defaultExpr, this.ctx.model.functions);
      if (v.volatile) this.add('add-column-default-volatile', table, { ...base, volatileFunction: v.culprit });
      else this.add('add-column-default', table, base);
    } else if (has('CONSTR_NOTNULL') || has('CONSTR_PRIMARY')) {
      this.add('add-column-not-null', table, base);
    } else {
      this.add('add-column', table, base);
    }
    const check = has('CONSTR_CHECK');
    if (check && !check.skip_validation) this.add('add-column-check', table, { ...base, node: check });
    const fk = has('CONSTR_FOREIGN');
    if (fk) {
      const referenced = this.relation(qnameFromRangeVar(fk.pktable));
      // An all-NULL new column needs no validation; with a DEFAULT every row is checked.
      const id = defaultExpr || generated ? 'add-column-references-default' : 'add-column-references';
      this.add(id, table, { ...base, node: fk, targets: { 'referenced-table': referenced }, referenced });
    }
    const unique = has('CONSTR_UNIQUE') ?? has('CONSTR_PRIMARY');
    if (unique) this.add('add-unique', table, { ...base, node: unique });
  }

  private addConstraint(table: RelationRef, con: any, cmd: any): void {
    const constraint: string | null = con.conname ?? null;
    const base = { node: cmd, constraint };
    switch (con.contype) {
      case 'CONSTR_CHECK':
        this.add(con.skip_validation ? 'add-check-not-valid' : 'add-check', table, base);
        return;
      case 'CONSTR_FOREIGN': {
        const referenced = this.relation(qnameFromRangeVar(con.pktable));
        this.add(con.skip_validation ? 'add-foreign-key-not-valid' : 'add-foreign-key', table, { ...base, targets: { 'referenced-table': referenced }, referenced });
        return;
      }
      case 'CONSTR_UNIQUE':
      case 'CONSTR_PRIMARY': {
        if (con.indexname) {
          const rel = this.ctx.model.relations.get(table.key);
          const ix = this.ctx.model.index({ schema: table.key.split('.')[0] ?? null, name: con.indexname });
          const nullable = con.contype === 'CONSTR_PRIMARY' && (ix?.columns ?? []).some((c) => this.ctx.model.columnNotNull(rel, c) !== true);
          this.add(nullable && rel ? 'add-primary-key-nullable' : 'add-constraint-using-index', table, base);
          return;
        }
        this.add('add-unique', table, base);
        return;
      }
      case 'CONSTR_EXCLUSION':
        this.add('add-exclusion', table, base);
        return;
      case 'CONSTR_NOTNULL': {
        const column = stringValue(con.keys?.[0]);
        this.add(con.skip_validation ? 'add-not-null-constraint-not-valid' : 'add-not-null-constraint', table, { ...base, column });
        return;
      }
      default:
        this.add('alter-table-other', table, base);
    }
  }
}

/** USING absent, or `USING col` / `USING col::type`: the contents are unchanged. */
function usingIsTrivial(expr: any, column: string | null): boolean {
  if (!expr) return true;
  let e = expr;
  while (e?.TypeCast) e = e.TypeCast.arg;
  const refs = e?.ColumnRef ? columnRefs(e) : [];
  return refs.length === 1 && refs[0] === column;
}
