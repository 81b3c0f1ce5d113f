/**
 * The differential generator (issue 13, item 3): seeded random migrations from
 * statement templates over a seeded schema that holds data. No I/O: a case is
 * plain data (SQL text and how to run it), replayed by ./check.ts on an engine
 * and saved as JSON under fixtures/oracle/ when it disagrees.
 *
 * The schema (SCHEMA_SQL): tables with primary keys and a foreign key, a
 * partitioned table with two partitions and a default one, a materialized view
 * with a unique index, an enum, two domains (one with a CHECK), indexes, and
 * rows in every table. Where it lives varies per case (`placement`):
 * - `database`: applied to the database only; the linter knows nothing of it
 *   (pre-existing objects known only to the database);
 * - `history`: given to the linter as a history file and applied by trace's
 *   history (objects created in history).
 * Templates may also create a table in the migration itself and alter it in a
 * later statement (objects created in the same file), or in a history file of
 * their own (`extraHistory`).
 *
 * Options varied by the templates: IF [NOT] EXISTS, ONLY, CONCURRENTLY, NOT
 * VALID, USING, defaults that are constant, stable, volatile or from a domain,
 * type changes that are binary-compatible or rewrite, the file in one
 * transaction or statement by statement, an explicit BEGIN ... COMMIT block
 * (where CONCURRENTLY must fail), and the PostgreSQL major (the case's
 * `major` is the one it is linted for: the engine's).
 */

/** A small, fast, seedable PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

export const ROWS = { parent: 60, child: 200, events: 150 } as const;

/** The seeded schema, with data (see the module comment). */
export const SCHEMA_SQL = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE DOMAIN plainint AS int;
CREATE DOMAIN code AS text DEFAULT 'none';
CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE child (
  id int PRIMARY KEY,
  parent_id int NOT NULL REFERENCES parent (id),
  qty int NOT NULL,
  note varchar(20) NOT NULL,
  price numeric(10,2) NOT NULL,
  m mood NOT NULL,
  d posint NOT NULL,
  tag text NOT NULL
);
CREATE INDEX child_qty_idx ON child (qty);
CREATE INDEX child_note_idx ON child (note);
CREATE TABLE events (id int NOT NULL, at date NOT NULL, v int NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_at_idx ON events (at);
INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, ${ROWS.parent}) AS s(g);
INSERT INTO child SELECT g, 1 + g % ${ROWS.parent}, g, 'n' || g, g * 1.5, (ARRAY['sad','ok','happy']::mood[])[1 + g % 3], 1 + g % 7, 't' || g
  FROM generate_series(1, ${ROWS.child}) AS s(g);
INSERT INTO events SELECT g, DATE '2024-01-01' + (g * 5), g FROM generate_series(1, ${ROWS.events}) AS s(g);
CREATE MATERIALIZED VIEW child_totals AS SELECT parent_id, sum(id) AS total FROM child GROUP BY parent_id;
CREATE UNIQUE INDEX child_totals_parent_idx ON child_totals (parent_id);
CREATE VIEW child_names AS SELECT id, m FROM child;
CREATE SEQUENCE ticket_seq;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
`;

/** Undoes SCHEMA_SQL and whatever a case created (every case runs on a fresh public schema). */
export const RESET_SQL = `
DROP SCHEMA IF EXISTS archive CASCADE;
DROP SCHEMA public CASCADE;
CREATE SCHEMA public;
`;

export type Placement = 'database' | 'history';

export interface OracleCase {
  /** The generator seed and the case's number under it (reproduce with generateCase(seed, n)). */
  seed: number;
  n: number;
  placement: Placement;
  /** A history file of the case's own (applied after the schema), or null. */
  extraHistory: string | null;
  /** The migration file. */
  sql: string;
  /** true: the whole file in one transaction; false: statement by statement (BEGIN ... COMMIT in it honoured). */
  inTransaction: boolean;
  /** The template of each statement of `sql`, in order (for counts by kind). */
  templates: string[];
}

interface Col {
  name: string;
  type: string;
}

/** What the generator knows of the schema while it writes one case (so the statements it writes can run). */
interface State {
  rng: Rng;
  cols: Col[]; // child's columns beyond the seeded ones
  childCols: Map<string, string>; // name -> type, every column of child
  childIndexes: Set<string>;
  childChecks: Set<string>; // CHECK constraints added NOT VALID (validatable)
  childConstraints: Set<string>;
  moodValues: string[];
  serial: number;
  /** A table created in this file (or in the case's history) with rows, or null. */
  own: { name: string; where: 'file' | 'history'; cols: Map<string, string> } | null;
  /** In a transaction: the file's, or an explicit BEGIN block. */
  inBlock: boolean;
  /** The whole file is one transaction (trace would run a CONCURRENTLY statement outside it). */
  fileTx: boolean;
  /** Forms that must not run again (a partition attached, a table dropped). */
  gone: Set<string>;
  major: number;
}

type Emit = (s: State) => string | null;

const q = (s: string) => s; // identifiers the generator writes are plain lowercase: no quoting needed

/** A column of child that still exists under its seeded name. */
function has(s: State, col: string): boolean {
  return s.childCols.has(col);
}

/** qty is still an integer column (not changed to text). */
function qtyOk(s: State): boolean {
  return has(s, 'qty') && !s.gone.has('col:qty');
}

/** CONCURRENTLY or not: never in the file's own transaction; sometimes in a BEGIN block (where it must fail). */
function concurrently(s: State): boolean {
  if (s.fileTx) return false;
  return s.inBlock ? s.rng.chance(0.3) : s.rng.chance(0.5);
}

function fresh(s: State, prefix: string): string {
  s.serial++;
  return `${prefix}_${s.serial}`;
}

const CONST_DEFAULTS: Record<string, string[]> = {
  int: ['0', '5', '-1'],
  text: [`'x'`, `''`],
  bigint: ['0', '7'],
  boolean: ['false', 'true'],
  timestamptz: [`'2024-01-01'`],
  mood: [`'ok'`],
  posint: ['1', '3'],
  plainint: ['0', '2'],
  code: [`'c'`],
};
const STABLE_DEFAULTS: Record<string, string[]> = { timestamptz: ['now()', 'current_timestamp'], text: ['current_user', `current_setting('search_path')`] };
const VOLATILE_DEFAULTS: Record<string, string[]> = {
  int: ['floor(random() * 10)::int'],
  text: ['gen_random_uuid()::text', 'md5(random()::text)'],
  timestamptz: ['clock_timestamp()'],
  bigint: [`nextval('ticket_seq')`],
};

/** Child columns whose type may be changed, with targets: [type, rewrites?, USING?]. */
const TYPE_CHANGES: Record<string, Array<[string, string | null]>> = {
  note: [
    ['varchar(40)', null],
    ['text', null],
    ['varchar(30)', `note::varchar(30)`],
    ['varchar(25)', `upper(note)`],
    ['char(30)', null],
  ],
  qty: [
    ['bigint', null],
    ['numeric', null],
    ['int', `qty + 1`],
    ['int8', `qty * 2`],
  ],
  price: [
    ['numeric(12,2)', null],
    ['numeric', null],
    ['numeric(10,3)', null],
    ['numeric(14,2)', `price::numeric(14,2)`],
  ],
  tag: [
    ['varchar', null],
    ['varchar(100)', null],
    ['code', null],
    ['plainint', `length(tag)`],
  ],
  d: [
    ['int', null],
    ['plainint', null],
    ['bigint', null],
  ],
};

const LOCK_MODES = ['ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'];

const onlyOpt = (s: State) => (s.rng.chance(0.3) ? 'ONLY ' : '');
const ifExists = (s: State) => (s.rng.chance(0.3) ? 'IF EXISTS ' : '');
const ifNotExists = (s: State) => (s.rng.chance(0.3) ? 'IF NOT EXISTS ' : '');

/** Templates by name: each returns one statement (without the semicolon), or null when it does not fit the state. */
export const TEMPLATES: Record<string, Emit> = {
  'add-column': (s) => {
    const r = s.rng;
    const type = r.pick(['int', 'text', 'bigint', 'boolean', 'timestamptz', 'mood', 'posint', 'plainint', 'code']);
    const name = fresh(s, 'c');
    let def = '';
    const kind = r.pick(['none', 'const', 'const', 'stable', 'volatile', 'notnull']);
    if (kind === 'const') def = ` DEFAULT ${r.pick(CONST_DEFAULTS[type]!)}`;
    else if (kind === 'stable' && STABLE_DEFAULTS[type]) def = ` DEFAULT ${r.pick(STABLE_DEFAULTS[type])}`;
    else if (kind === 'volatile' && VOLATILE_DEFAULTS[type]) def = ` DEFAULT ${r.pick(VOLATILE_DEFAULTS[type])}`;
    else if (kind === 'notnull') def = ` NOT NULL DEFAULT ${r.pick(CONST_DEFAULTS[type]!)}`;
    // posint may be made NOT NULL by ALTER DOMAIN: never leave a NULL in one.
    if (type === 'posint' && !def.includes('DEFAULT')) def = ` DEFAULT ${r.pick(CONST_DEFAULTS[type]!)}`;
    if (def.includes('ticket_seq')) {
      if (s.gone.has('seq')) return null;
      s.gone.add('seq-used');
    }
    s.childCols.set(name, type);
    return `ALTER TABLE ${onlyOpt(s)}child ADD COLUMN ${ifNotExists(s)}${name} ${type}${def}`;
  },
  'add-column-references': (s) => {
    const name = fresh(s, 'ref');
    s.childCols.set(name, 'int');
    const def = s.rng.pick(['', ' DEFAULT 1', ' DEFAULT 2']);
    return `ALTER TABLE child ADD COLUMN ${name} int${def} REFERENCES parent (id)`;
  },
  'add-column-check': (s) => {
    const name = fresh(s, 'chk');
    s.childCols.set(name, 'int');
    return `ALTER TABLE child ADD COLUMN ${name} int ${s.rng.pick(['DEFAULT 1 ', ''])}CHECK (${name} IS NULL OR ${name} > 0)`;
  },
  'add-column-generated': (s) => {
    const name = fresh(s, 'gen');
    s.childCols.set(name, 'int');
    s.gone.add('col:qty'); // a column a generated column uses cannot change its type
    return `ALTER TABLE child ADD COLUMN ${name} int GENERATED ALWAYS AS (${qtyOk(s) ? 'qty' : 'id'} * 2) STORED`;
  },
  'add-column-identity': (s) => {
    const name = fresh(s, 'ident');
    s.childCols.set(name, 'int');
    return `ALTER TABLE child ADD COLUMN ${name} int GENERATED BY DEFAULT AS IDENTITY`;
  },
  'alter-column-type': (s) => {
    const r = s.rng;
    const col = r.pick(Object.keys(TYPE_CHANGES).filter((c) => s.childCols.has(c) && !s.gone.has(`col:${c}`)));
    if (!col) return null;
    const [type, using] = r.pick(TYPE_CHANGES[col]!);
    s.gone.add(`col:${col}`); // one change per column per case: the next target depends on the new type
    s.childCols.set(col, type);
    return `ALTER TABLE child ALTER COLUMN ${col} ${r.chance(0.5) ? 'SET DATA ' : ''}TYPE ${type}${using ? ` USING ${using}` : ''}`;
  },
  'set-default': (s) => {
    const r = s.rng;
    const col = r.pick(['qty', 'note', 'tag']);
    if (!has(s, col) || s.gone.has(`col:${col}`)) return null;
    return r.chance(0.2) ? `ALTER TABLE child ALTER COLUMN ${col} DROP DEFAULT` : `ALTER TABLE child ALTER COLUMN ${col} SET DEFAULT ${col === 'qty' ? r.pick(['0', 'floor(random() * 3)::int']) : `'z'`}`;
  },
  'set-not-null': (s) => {
    const r = s.rng;
    const col = r.pick(['qty', 'note', 'price', 'tag']);
    if (s.gone.has(`nn:${col}`) || !has(s, col)) return null;
    s.gone.add(`nn:${col}`);
    return r.chance(0.5) ? `ALTER TABLE child ALTER COLUMN ${col} DROP NOT NULL` : `ALTER TABLE child ALTER COLUMN ${col} SET NOT NULL`;
  },
  'set-statistics-storage': (s) => {
    const r = s.rng;
    return r.pick([
      `ALTER TABLE child ALTER COLUMN qty SET STATISTICS ${r.pick([100, 500])}`,
      `ALTER TABLE child ALTER COLUMN tag SET STORAGE ${r.pick(['EXTERNAL', 'MAIN', 'EXTENDED'])}`,
      `ALTER TABLE child ALTER COLUMN note SET (n_distinct = 50)`,
      `ALTER TABLE child SET (fillfactor = ${r.pick([70, 90])})`,
      `ALTER TABLE child SET (autovacuum_enabled = false)`,
    ]);
  },
  'add-check': (s) => {
    const name = fresh(s, 'child_check');
    const notValid = s.rng.chance(0.5);
    if (notValid) s.childChecks.add(name);
    s.childConstraints.add(name);
    return `ALTER TABLE ${onlyOpt(s)}child ADD CONSTRAINT ${name} CHECK (${qtyOk(s) ? 'qty' : 'id'} > ${s.rng.pick(['0', '-5'])})${notValid ? ' NOT VALID' : ''}`;
  },
  'add-foreign-key': (s) => {
    const name = fresh(s, 'child_parent_fk');
    const notValid = s.rng.chance(0.5);
    if (notValid) s.childChecks.add(name);
    s.childConstraints.add(name);
    return `ALTER TABLE child ADD CONSTRAINT ${name} FOREIGN KEY (parent_id) REFERENCES parent (id)${notValid ? ' NOT VALID' : ''}`;
  },
  'validate-constraint': (s) => {
    const c = [...s.childChecks][0];
    if (!c) return null;
    s.childChecks.delete(c);
    return `ALTER TABLE child VALIDATE CONSTRAINT ${c}`;
  },
  'add-unique': (s) => {
    const name = fresh(s, 'child_uq');
    s.childConstraints.add(name);
    return `ALTER TABLE child ADD CONSTRAINT ${name} UNIQUE (id, qty)`;
  },
  'drop-constraint': (s) => {
    const c = [...s.childConstraints][0];
    if (!c) return s.rng.chance(0.5) ? `ALTER TABLE child DROP CONSTRAINT IF EXISTS nothing_here` : null;
    s.childConstraints.delete(c);
    s.childChecks.delete(c);
    return `ALTER TABLE child DROP CONSTRAINT ${ifExists(s)}${c}`;
  },
  'create-index': (s) => {
    const r = s.rng;
    const name = fresh(s, 'child_idx');
    const conc = concurrently(s);
    s.childIndexes.add(name);
    const col = r.pick(['qty', 'note', 'tag', 'price', 'lower(tag)'].filter((c) => has(s, c.replace(/^lower\((.*)\)$/, '$1'))));
    if (!col) return null;
    const expr = col.includes('(') ? `(${col})` : col;
    const where = r.chance(0.2) ? ' WHERE qty > 10' : '';
    return `CREATE ${r.chance(0.2) ? 'UNIQUE ' : ''}INDEX ${conc ? 'CONCURRENTLY ' : ''}${ifNotExists(s)}${name} ON child (${expr}${r.chance(0.2) ? ', id' : ''})${where}`;
  },
  'create-index-partitioned': (s) => {
    const r = s.rng;
    const name = fresh(s, 'events_idx');
    const only = r.chance(0.5);
    return `CREATE INDEX ${ifNotExists(s)}${name} ON ${only ? 'ONLY ' : ''}events (${r.pick(['v', 'id', 'at, v'])})`;
  },
  'drop-index': (s) => {
    const r = s.rng;
    const own = [...s.childIndexes];
    const conc = concurrently(s);
    const name = own.length && r.chance(0.5) ? own[0]! : r.pick(['child_qty_idx', 'child_note_idx', 'no_such_idx']);
    if (s.gone.has(`idx:${name}`)) return null;
    s.gone.add(`idx:${name}`);
    s.childIndexes.delete(name);
    return `DROP INDEX ${conc ? 'CONCURRENTLY ' : ''}${name === 'no_such_idx' ? 'IF EXISTS ' : ifExists(s)}${name}`;
  },
  reindex: (s) => {
    const r = s.rng;
    const conc = concurrently(s);
    if (s.gone.has('idx:child_qty_idx')) return null;
    return r.chance(0.5) ? `REINDEX INDEX ${conc ? 'CONCURRENTLY ' : ''}child_qty_idx` : `REINDEX TABLE ${conc ? 'CONCURRENTLY ' : ''}${r.pick(['child', 'parent'])}`;
  },
  'alter-index': (s) => {
    const r = s.rng;
    if (s.gone.has('idx:child_note_idx')) return null;
    s.gone.add('idx:child_note_idx');
    return r.pick([`ALTER INDEX child_note_idx RENAME TO ${fresh(s, 'child_note_idx')}`, `ALTER INDEX child_note_idx SET (fillfactor = 80)`, `ALTER INDEX ${ifExists(s)}child_note_idx ALTER COLUMN 1 SET STATISTICS 200`].slice(0, 2));
  },
  rename: (s) => {
    const r = s.rng;
    const what = r.pick(['column', 'constraint', 'view', 'sequence']);
    if (what === 'column') {
      if (s.gone.has('col:tag') || !s.childCols.has('tag')) return null;
      s.gone.add('col:tag');
      s.childCols.delete('tag');
      const to = fresh(s, 'label');
      s.childCols.set(to, 'text');
      return `ALTER TABLE child RENAME COLUMN tag TO ${to}`;
    }
    if (what === 'constraint') {
      if (s.gone.has('con:child_pkey')) return null;
      s.gone.add('con:child_pkey');
      return `ALTER TABLE child RENAME CONSTRAINT child_pkey TO ${fresh(s, 'child_pk')}`;
    }
    if (what === 'view') {
      if (s.gone.has('view')) return null;
      s.gone.add('view');
      return `ALTER VIEW ${ifExists(s)}child_names RENAME TO ${fresh(s, 'names')}`;
    }
    if (s.gone.has('seq')) return null;
    s.gone.add('seq');
    return `ALTER SEQUENCE ticket_seq RENAME TO ${fresh(s, 'seq')}`;
  },
  'drop-column': (s) => {
    const added = [...s.childCols.keys()].filter((c) => /^(c|ref|chk|gen|ident)_/.test(c));
    const col = added[0] ?? (s.rng.chance(0.3) && !s.gone.has('col:price') && s.childCols.has('price') ? 'price' : null);
    if (!col) return null;
    s.childCols.delete(col);
    s.gone.add(`col:${col}`);
    return `ALTER TABLE child DROP COLUMN ${ifExists(s)}${col}${s.rng.chance(0.2) ? ' CASCADE' : ''}`;
  },
  'partition-create': (s) => {
    const r = s.rng;
    const name = fresh(s, 'events_p');
    // Years with no rows in the default partition (its rows are 2024-2025): the default is scanned and passes.
    const y = 2030 + s.serial;
    return r.chance(0.5)
      ? `CREATE TABLE ${ifNotExists(s)}${name} PARTITION OF events FOR VALUES FROM ('${y}-01-01') TO ('${y + 1}-01-01')`
      : `CREATE TABLE ${name} (LIKE events INCLUDING ALL)`;
  },
  'partition-attach': (s) => {
    if (s.gone.has('attach') || s.gone.has('events-check')) return null;
    s.gone.add('attach');
    const y = 2040 + s.serial;
    const name = fresh(s, 'events_a');
    const check = s.rng.chance(0.4) ? `; ALTER TABLE ${name} ADD CONSTRAINT ${name}_range CHECK (at >= DATE '${y}-01-01' AND at < DATE '${y + 1}-01-01')` : '';
    // Two statements: the table (same file) then its ATTACH.
    return `CREATE TABLE ${name} (id int NOT NULL, at date NOT NULL, v int NOT NULL); INSERT INTO ${name} SELECT g, DATE '${y}-01-01' + g, g FROM generate_series(1, 20) g${check}; ALTER TABLE events ATTACH PARTITION ${name} FOR VALUES FROM ('${y}-01-01') TO ('${y + 1}-01-01')`;
  },
  'partition-detach': (s) => {
    if (s.gone.has('detach')) return null;
    s.gone.add('detach');
    // Not CONCURRENTLY: events has a DEFAULT partition, which PostgreSQL refuses to detach concurrently from.
    return `ALTER TABLE events DETACH PARTITION events_2025`;
  },
  'alter-partitioned': (s) => {
    const r = s.rng;
    const k = r.int(3);
    if (k === 0) {
      // Likewise its columns.
      if (s.gone.has('attach')) return `ALTER TABLE events ALTER COLUMN v SET DEFAULT 0`;
      s.gone.add('events-check');
      return `ALTER TABLE events ADD COLUMN ${fresh(s, 'ec')} int${r.chance(0.5) ? ' DEFAULT 0' : ''}`;
    }
    if (k === 1) {
      // A partition attached later must carry the parent's CHECK: one or the other per case.
      if (s.gone.has('attach')) return `ALTER TABLE events ALTER COLUMN v SET STATISTICS 150`;
      s.gone.add('events-check');
      return `ALTER TABLE events ADD CONSTRAINT ${fresh(s, 'events_chk')} CHECK (v > 0)`;
    }
    return `ALTER TABLE ${onlyOpt(s)}events_2024 ALTER COLUMN v SET STATISTICS 300`;
  },
  refresh: (s) => {
    const r = s.rng;
    if (s.gone.has('mv')) return null;
    const conc = !s.inBlock ? r.chance(0.4) : s.fileTx ? false : r.chance(0.2);
    const noData = !conc && r.chance(0.2);
    if (noData) s.gone.add('mv');
    return `REFRESH MATERIALIZED VIEW ${conc ? 'CONCURRENTLY ' : ''}child_totals${noData ? ' WITH NO DATA' : ''}`;
  },
  'enum-value': (s) => {
    const r = s.rng;
    const v = fresh(s, 'v');
    if (r.chance(0.25) && !s.gone.has('enum-rename')) {
      s.gone.add('enum-rename');
      return `ALTER TYPE mood RENAME VALUE 'sad' TO '${v}'`;
    }
    const pos = r.pick(['', ` BEFORE 'ok'`, ` AFTER 'happy'`]);
    return `ALTER TYPE mood ADD VALUE ${r.chance(0.3) ? 'IF NOT EXISTS ' : ''}'${v}'${pos}`;
  },
  'domain-constraint': (s) => {
    const r = s.rng;
    const name = fresh(s, 'posint_chk');
    return r.pick([
      `ALTER DOMAIN posint ADD CONSTRAINT ${name} CHECK (VALUE < 1000000)${r.chance(0.5) ? ' NOT VALID' : ''}`,
      `ALTER DOMAIN code SET DEFAULT 'other'`,
      `ALTER DOMAIN posint SET NOT NULL`,
    ]);
  },
  'table-maintenance': (s) => {
    const r = s.rng;
    return r.pick([
      `ANALYZE child`,
      `LOCK TABLE ${onlyOpt(s)}child IN ${r.pick(LOCK_MODES)} MODE`,
      `LOCK TABLE parent`,
      `ALTER TABLE child REPLICA IDENTITY ${r.pick(['FULL', 'DEFAULT'])}`,
      `ALTER TABLE child ENABLE ROW LEVEL SECURITY`,
      s.gone.has('con:child_pkey') ? `ALTER TABLE child CLUSTER ON child_qty_idx`.replace('child_qty_idx', s.gone.has('idx:child_qty_idx') ? 'child_pkey_missing' : 'child_qty_idx') : `ALTER TABLE child CLUSTER ON child_pkey`,
      `COMMENT ON TABLE child IS 'c'`,
      `ALTER TABLE child SET LOGGED`,
    ]);
  },
  'vacuum-truncate': (s) => {
    const r = s.rng;
    if (!s.inBlock && r.chance(0.5)) return r.pick([`VACUUM child`, `VACUUM (ANALYZE) parent`]);
    if (s.gone.has('truncate')) return null;
    s.gone.add('truncate');
    return `TRUNCATE ${onlyOpt(s)}child_names_dummy`.replace('child_names_dummy', r.pick(['events_2024', 'events_default']));
  },
  trigger: (s) => {
    const r = s.rng;
    const name = fresh(s, 'child_trg');
    return r.chance(0.7)
      ? `CREATE ${r.chance(0.3) ? 'OR REPLACE ' : ''}TRIGGER ${name} BEFORE ${r.pick(['INSERT', 'UPDATE', 'INSERT OR UPDATE'])} ON child FOR EACH ROW EXECUTE FUNCTION touch()`
      : `ALTER TABLE child ${r.pick(['DISABLE', 'ENABLE'])} TRIGGER ALL`;
  },
  // On id: a column a policy uses cannot change its type, and the generator changes qty's.
  policy: (s) => `CREATE POLICY ${fresh(s, 'child_pol')} ON child USING (id > 0)`,
  grant: (s) => s.rng.pick([`GRANT SELECT ON child TO PUBLIC`, `REVOKE SELECT ON parent FROM PUBLIC`, s.gone.has('seq') ? `GRANT SELECT ON parent TO PUBLIC` : `GRANT USAGE ON SEQUENCE ticket_seq TO PUBLIC`]),
  view: (s) => {
    const r = s.rng;
    if (s.gone.has('view')) return null;
    return r.chance(0.6)
      ? `CREATE OR REPLACE VIEW child_names AS SELECT id, m${s.gone.has('view3') || (r.chance(0.5) && s.gone.add('view3')) ? ', parent_id' : ''} FROM child`
      : `CREATE VIEW ${fresh(s, 'v')} AS SELECT id FROM child WHERE id > 3`;
  },
  'create-matview': (s) => `CREATE MATERIALIZED VIEW ${fresh(s, 'mv')} AS SELECT parent_id, count(*) AS n FROM child GROUP BY parent_id${s.rng.chance(0.3) ? ' WITH NO DATA' : ''}`,
  drop: (s) => {
    const r = s.rng;
    const what = r.pick(['view', 'mv', 'seq', 'fn', 'schema', 'table']);
    if (what === 'view' && !s.gone.has('view')) {
      s.gone.add('view');
      return `DROP VIEW ${ifExists(s)}child_names`;
    }
    if (what === 'mv' && !s.gone.has('mv')) {
      s.gone.add('mv');
      return `DROP MATERIALIZED VIEW ${ifExists(s)}child_totals`;
    }
    if (what === 'seq' && !s.gone.has('seq')) {
      s.gone.add('seq');
      return `DROP SEQUENCE ${ifExists(s)}ticket_seq${s.gone.has('seq-used') || r.chance(0.5) ? ' CASCADE' : ''}`;
    }
    if (what === 'fn') return `DROP FUNCTION IF EXISTS no_such_fn()`;
    if (what === 'schema') return `CREATE SCHEMA IF NOT EXISTS archive; CREATE TABLE archive.${fresh(s, 'old')} (id int); DROP SCHEMA archive CASCADE`;
    return `DROP TABLE IF EXISTS ${fresh(s, 'nothing')}`;
  },
  dml: (s) => {
    const r = s.rng;
    if (!s.childCols.has('qty') || s.gone.has('col:qty')) return `INSERT INTO parent VALUES (${1000 + s.serial++}, 'new')`;
    return r.pick([
      // Whole-table forms: the facts claim a full read, which a WHERE through an index would not do.
      `UPDATE child SET qty = qty + 1000`,
      `DELETE FROM child WHERE note || 'x' = 'none'`,
      `INSERT INTO parent VALUES (${1000 + s.serial++}, 'new')`,
      `INSERT INTO parent SELECT id + ${100000 + 1000 * s.serial++}, name FROM parent`,
    ]);
  },
  'own-table': (s) => {
    // A table created in this file: later statements alter a new table (no pre-existing lock).
    if (s.own) return null;
    const name = fresh(s, 'fresh');
    s.own = { name, where: 'file', cols: new Map([['id', 'int'], ['x', 'int']]) };
    return `CREATE TABLE ${ifNotExists(s)}${name} (id int PRIMARY KEY, x int)`;
  },
  'own-alter': (s) => {
    if (!s.own) return null;
    const r = s.rng;
    const t = s.own.name;
    return r.pick([
      `ALTER TABLE ${t} ADD COLUMN ${fresh(s, 'y')} int DEFAULT ${r.pick(['0', 'floor(random() * 3)::int'])}`,
      `ALTER TABLE ${t} ALTER COLUMN x TYPE bigint`,
      `CREATE INDEX ${fresh(s, `${t}_x_idx`)} ON ${t} (x)`,
      `ALTER TABLE ${t} ADD CONSTRAINT ${fresh(s, `${t}_x_chk`)} CHECK (x IS NULL OR x > -1)`,
      `ALTER TABLE ${t} ADD CONSTRAINT ${fresh(s, `${t}_fk`)} FOREIGN KEY (x) REFERENCES parent (id)${r.chance(0.5) ? ' NOT VALID' : ''}`,
    ]);
  },
};

/** How often each template is picked (relative). */
const WEIGHTS: Record<string, number> = {
  'add-column': 6,
  'alter-column-type': 5,
  'add-check': 3,
  'add-foreign-key': 3,
  'validate-constraint': 2,
  'create-index': 4,
  'create-index-partitioned': 2,
  'drop-index': 2,
  'own-table': 2,
  'own-alter': 3,
};

const NAMES = Object.keys(TEMPLATES);
const TOTAL = NAMES.reduce((a, n) => a + (WEIGHTS[n] ?? 1), 0);

function pickTemplate(r: Rng): string {
  let x = r.next() * TOTAL;
  for (const n of NAMES) {
    x -= WEIGHTS[n] ?? 1;
    if (x < 0) return n;
  }
  return NAMES[NAMES.length - 1]!;
}

/** The history file of a case's own: a table with rows, altered later by the migration. */
function historyTable(s: State): string {
  const name = fresh(s, 'hist');
  s.own = { name, where: 'history', cols: new Map([['id', 'int'], ['x', 'int']]) };
  return `CREATE TABLE ${name} (id int PRIMARY KEY, x int);\nINSERT INTO ${name} SELECT g, g FROM generate_series(1, 50) g;\n`;
}

/** Case number `n` under `seed`, for PostgreSQL `major` (deterministic). */
export function generateCase(seed: number, n: number, major: number): OracleCase {
  const rng = new Rng((seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
  const s: State = {
    rng,
    cols: [],
    childCols: new Map([
      ['id', 'int'],
      ['parent_id', 'int'],
      ['qty', 'int'],
      ['note', 'varchar(20)'],
      ['price', 'numeric(10,2)'],
      ['m', 'mood'],
      ['d', 'posint'],
      ['tag', 'text'],
    ]),
    childIndexes: new Set(),
    childChecks: new Set(),
    childConstraints: new Set(),
    moodValues: ['sad', 'ok', 'happy'],
    serial: 0,
    own: null,
    inBlock: false,
    fileTx: false,
    gone: new Set(),
    major,
  };
  const placement: Placement = rng.chance(0.5) ? 'database' : 'history';
  const extraHistory = rng.chance(0.25) ? historyTable(s) : null;
  const inTransaction = rng.chance(0.5);
  const count = 1 + rng.int(4);
  const lines: string[] = [];
  const templates: string[] = [];
  // An explicit BEGIN ... COMMIT block (only when the file is not already one transaction).
  const block = !inTransaction && rng.chance(0.3);
  if (block) {
    lines.push('BEGIN;');
    templates.push('transaction');
    s.inBlock = true;
  } else s.inBlock = inTransaction;
  s.fileTx = inTransaction;
  let tries = 0;
  while (templates.filter((t) => t !== 'transaction').length < count && tries++ < 40) {
    const name = pickTemplate(rng);
    const sql = TEMPLATES[name]!(s);
    if (sql === null) continue;
    for (const part of sql.split('; ')) {
      lines.push(`${part};`);
      templates.push(name);
    }
  }
  if (block) {
    lines.push('COMMIT;');
    templates.push('transaction');
  }
  return { seed, n, placement, extraHistory, sql: lines.join('\n') + '\n', inTransaction, templates };
}
