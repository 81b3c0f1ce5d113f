/**
 * Migration framework detection: which tool will run a file, and whether that tool
 * wraps the file in a transaction on PostgreSQL.
 *
 * Every `why` string says where the behaviour comes from (tool docs or source), so a
 * finding such as "CREATE INDEX CONCURRENTLY inside a transaction" can explain itself.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ParserNotLoaded, scanRaw } from '../sql/parser.js';
import { SourceText } from '../sql/source.js';

export const FRAMEWORKS = ['plain', 'flyway', 'golang-migrate', 'dbmate', 'diesel', 'prisma', 'sqitch'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface FrameworkInfo {
  framework: Framework;
  /** Whether the tool runs this file's (up) statements inside one transaction. */
  wrapsInTransaction: boolean;
  /** Human-readable reason, citing the tool's documented/default behaviour. */
  why: string;
  /**
   * True when the tool sends the whole file (for dbmate: each section) to PostgreSQL as a
   * single multi-statement simple-query string. PostgreSQL runs such a string as one
   * implicit transaction, so a statement that refuses transaction blocks (CREATE INDEX
   * CONCURRENTLY, ALTER SYSTEM, ...) fails unless it is the only statement in the string,
   * whatever the tool's own transaction setting says.
   */
  sentAsOneQuery?: boolean;
}

// ---------------------------------------------------------------------------
// File-name grammars
// ---------------------------------------------------------------------------

export interface FlywayName {
  /** V = versioned, U = undo, R = repeatable. */
  kind: 'V' | 'U' | 'R';
  /** Numeric version parts with leading zeros removed ([] for repeatable). */
  version: string[];
  description: string;
}

/** Flyway default naming: `V1__x.sql`, `V1_2__x.sql`, `V1.2__x.sql`, `U1__x.sql`, `R__x.sql`. */
const FLYWAY_RE = /^([VUR])(\d+(?:[._]\d+)*)?__(.*)\.sql$/;

export function parseFlywayName(basename: string): FlywayName | null {
  const m = FLYWAY_RE.exec(basename);
  if (!m) return null;
  const kind = m[1] as 'V' | 'U' | 'R';
  const ver = m[2];
  if (kind === 'R' ? ver !== undefined : ver === undefined) return null;
  const version = ver === undefined ? [] : ver.split(/[._]/).map((p) => p.replace(/^0+(?=\d)/, ''));
  return { kind, version, description: m[3] ?? '' };
}

export interface GolangMigrateName {
  version: string;
  title: string;
  direction: 'up' | 'down';
}

/** golang-migrate: `{version}_{title}.up.sql` / `.down.sql` (source/parse.go). */
const GOLANG_MIGRATE_RE = /^(\d+)_(.*)\.(up|down)\.sql$/;

export function parseGolangMigrateName(basename: string): GolangMigrateName | null {
  const m = GOLANG_MIGRATE_RE.exec(basename);
  if (!m) return null;
  return { version: m[1] ?? '', title: m[2] ?? '', direction: m[3] as 'up' | 'down' };
}

function isDieselLayout(filePath: string): boolean {
  const base = path.basename(filePath);
  if (base !== 'up.sql' && base !== 'down.sql') return false;
  const dir = path.dirname(filePath);
  const parent = path.basename(dir);
  const grand = path.basename(path.dirname(dir));
  // diesel_cli names directories `2020-01-01-000000_name` (version = text before the
  // first `_`, dashes removed); anything directly under `migrations/` also counts.
  return /^\d[\d-]*(?:_|$)/.test(parent) || grand === 'migrations';
}

function isPrismaLayout(filePath: string): boolean {
  if (path.basename(filePath) !== 'migration.sql') return false;
  return path.basename(path.dirname(path.dirname(filePath))) === 'migrations';
}

export interface SqitchLayout {
  /** The directory holding deploy/, revert/ and verify/. */
  topDir: string;
  kind: 'deploy' | 'revert' | 'verify';
  /** Change name as written in the plan (may contain `/`), without `.sql`. */
  change: string;
  /** Absolute path of sqitch.plan when one was found nearby. */
  planFile?: string;
}

const SQITCH_DIRS = new Set(['deploy', 'revert', 'verify']);
const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

function findSqitchPlan(topDir: string): string | undefined {
  // sqitch.plan normally sits in the top dir; with `top_dir = sql` it is one level up.
  let dir = topDir;
  for (let i = 0; i < 3; i++) {
    const candidate = path.join(dir, 'sqitch.plan');
    if (existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/**
 * Sqitch keeps each change as `deploy/<change>.sql`, `revert/<change>.sql` and
 * `verify/<change>.sql` (change names may contain `/`). A `deploy/` file counts as
 * sqitch on its own; `revert/` and `verify/` need confirmation (a sqitch.plan nearby or
 * a sibling `deploy/`), so an unrelated directory called `verify` is not misread.
 */
export function findSqitchLayout(filePath: string): SqitchLayout | null {
  const abs = path.resolve(filePath);
  if (!abs.toLowerCase().endsWith('.sql')) return null;
  let dir = path.dirname(abs);
  for (let depth = 0; depth < 4; depth++) {
    const name = path.basename(dir);
    if (SQITCH_DIRS.has(name)) {
      const kind = name as SqitchLayout['kind'];
      const topDir = path.dirname(dir);
      const planFile = findSqitchPlan(topDir);
      const confirmed = planFile !== undefined || kind === 'deploy' || isDir(path.join(topDir, 'deploy'));
      if (!confirmed) return null;
      const change = path.relative(dir, abs).split(path.sep).join('/').replace(/\.sql$/i, '');
      return planFile ? { topDir, kind, change, planFile } : { topDir, kind, change };
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

// ---------------------------------------------------------------------------
// dbmate sections
// ---------------------------------------------------------------------------

export interface DbmateMarker {
  direction: 'up' | 'down';
  /** String index of the `--` that starts the marker line. */
  start: number;
  /** Options on the marker line, e.g. { transaction: 'false' }. */
  options: Record<string, string>;
}

// The same patterns dbmate uses (pkg/dbmate/migration.go), with Go's RE2 `\s` spelled out.
const WS = '[\\t\\n\\f\\r ]';
const DBMATE_MARKER_RE = new RegExp(`^--${WS}*migrate:(up|down)(?:${WS}*$|${WS}+[^\\t\\n\\f\\r ]+)`, 'gm');
const DBMATE_UP_RE = new RegExp(`^--${WS}*migrate:up(?:${WS}*$|${WS}+[^\\t\\n\\f\\r ]+)`, 'm');

export function hasDbmateMarker(text: string): boolean {
  return DBMATE_UP_RE.test(text);
}

/** All `-- migrate:up` / `-- migrate:down` markers in source order. */
export function dbmateMarkers(text: string): DbmateMarker[] {
  const out: DbmateMarker[] = [];
  for (const m of text.matchAll(DBMATE_MARKER_RE)) {
    const start = m.index ?? 0;
    const nl = text.indexOf('\n', start);
    const line = text.slice(start, nl === -1 ? text.length : nl);
    const rest = line.replace(/^--[\t\f\r ]*migrate:(?:up|down)/, '').trim();
    const options: Record<string, string> = {};
    if (rest !== '') {
      // dbmate: split on whitespace, keep well-formed `key:value` pairs.
      for (const pair of rest.split(/[\t\n\f\r ]+/)) {
        const kv = pair.split(':');
        if (kv.length === 2) options[kv[0] as string] = kv[1] as string;
      }
    }
    out.push({ direction: m[1] as 'up' | 'down', start, options });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Statement heads (enough for Flyway's and our own keyword checks)
// ---------------------------------------------------------------------------

const STRING_TOKENS = new Set(['SCONST', 'USCONST', 'BCONST', 'XCONST']);

/**
 * Split SQL into statements with PostgreSQL's own scanner, dropping comments and the
 * contents of string literals and dollar-quoted bodies, and return each statement
 * upper-cased with whitespace collapsed. Only statement heads are looked at, so no parse
 * is needed (a file with a syntax error still has heads). Needs loadParser() first.
 */
export function roughStatements(sql: string): string[] {
  let tokens;
  try {
    tokens = scanRaw(sql);
  } catch (e) {
    // An unloaded parser is not a scan failure: the caller loads it and asks again (withParser).
    if (e instanceof ParserNotLoaded) throw e;
    return [];
  }
  const src = new SourceText(sql);
  const out: string[] = [];
  let cur = '';
  let prev = 0;
  const push = (): void => {
    const s = cur.replace(/\s+/g, ' ').trim().toUpperCase();
    if (s !== '') out.push(s);
    cur = '';
  };
  for (const t of tokens) {
    const start = src.indexOfByte(t.start);
    const end = src.indexOfByte(t.end);
    cur += sql.slice(prev, start).replace(/\S/g, ' ');
    prev = end;
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') cur += ' ';
    else if (t.text === ';') push();
    else if (STRING_TOKENS.has(t.tokenName)) cur += "''";
    else cur += sql.slice(start, end);
  }
  push();
  return out;
}

const BEGIN_RE = /^(?:BEGIN(?: (?:WORK|TRANSACTION|ISOLATION|READ|NOT|DEFERRABLE)\b.*)?|START TRANSACTION\b.*)$/;

/** Does the script open its own transaction (a top-level BEGIN / START TRANSACTION)? */
export function opensOwnTransaction(sql: string): boolean {
  // Most files never say BEGIN or START: skip the scan for them.
  if (!/\b(?:begin|start)\b/i.test(sql)) return false;
  return roughStatements(sql).some((s) => BEGIN_RE.test(s));
}

/**
 * Statements Flyway's PostgreSQL parser marks as unable to run in a transaction
 * (PostgreSQLParser.detectCanExecuteInTransaction). `ALTER TYPE ... ADD VALUE` is only
 * on that list for PostgreSQL < 12, so it is left out here.
 */
const FLYWAY_NON_TX = [
  /^(?:CREATE|DROP) (?:DATABASE|TABLESPACE|SUBSCRIPTION)\b/,
  /^ALTER SYSTEM\b/,
  /^(?:CREATE|DROP)(?: UNIQUE)? INDEX CONCURRENTLY\b/,
  /^REINDEX(?: VERBOSE)? (?:SCHEMA|DATABASE|SYSTEM)\b/,
  /^VACUUM\b/,
  /^DISCARD ALL\b/,
];

/**
 * The statement heads (e.g. `CREATE INDEX CONCURRENTLY`) that make Flyway run a
 * migration outside a transaction, one entry per matching statement.
 */
export function flywayNonTransactionalStatements(sql: string): string[] {
  const out: string[] = [];
  if (!/\b(?:concurrently|vacuum|system|database|tablespace|subscription|discard)\b/i.test(sql)) return out;
  for (const s of roughStatements(sql)) {
    for (const re of FLYWAY_NON_TX) {
      const m = re.exec(s);
      if (m) {
        out.push(m[0]);
        break;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------

function readIfExists(p: string): string | undefined {
  // Most of these files do not exist (a Diesel migration's metadata.toml): a stat is cheaper than the read's ENOENT error.
  if (!existsSync(p)) return undefined;
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function detectFlyway(abs: string, name: FlywayName, text: string | undefined): FrameworkInfo {
  const base = path.basename(abs);
  const kind = name.kind === 'R' ? 'repeatable' : name.kind === 'U' ? 'undo' : 'versioned';
  const head =
    `Flyway ${kind} migration (${base}): Flyway runs each migration in its own transaction on PostgreSQL ` +
    `(executeInTransaction defaults to true - Redgate docs "Execute In Transaction Setting")`;

  // Explicit script configuration wins over auto-detection: `<script>.sql.conf` beside
  // the file, or an in-script `-- flyway:executeInTransaction=...` line.
  const conf = readIfExists(abs + '.conf');
  const confMatch = conf === undefined ? null : /^\s*executeInTransaction\s*=\s*(true|false)\s*$/im.exec(conf);
  if (confMatch) {
    const on = confMatch[1]?.toLowerCase() === 'true';
    return {
      framework: 'flyway',
      wrapsInTransaction: on,
      why: `${head}; ${base}.conf sets executeInTransaction=${on}, so it ${on ? 'runs in' : 'runs outside'} a transaction`,
      sentAsOneQuery: false,
    };
  }
  const inline = text === undefined ? null : /^[ \t]*--[ \t]*flyway:executeInTransaction[ \t]*=[ \t]*(true|false)\b/im.exec(text);
  if (inline) {
    const on = inline[1]?.toLowerCase() === 'true';
    return {
      framework: 'flyway',
      wrapsInTransaction: on,
      why: `${head}; the script's own "-- flyway:executeInTransaction=${on}" config line ${on ? 'keeps' : 'turns off'} the transaction`,
      sentAsOneQuery: false,
    };
  }
  const nonTx = text === undefined ? [] : flywayNonTransactionalStatements(text);
  if (nonTx.length > 0) {
    const total = roughStatements(text ?? '').length;
    const mixed = total > nonTx.length;
    return {
      framework: 'flyway',
      wrapsInTransaction: false,
      why:
        `${head}, except that its PostgreSQL parser recognises statements that cannot run in a transaction ` +
        `(here: ${nonTx[0]}) and then runs the whole migration without one ` +
        `(PostgreSQLParser.detectCanExecuteInTransaction)` +
        (mixed
          ? '; this file also has transactional statements, which Flyway refuses ("Detected both transactional and ' +
            'non-transactional statements") unless mixed=true - and with mixed=true none of them is wrapped'
          : ''),
      sentAsOneQuery: false,
    };
  }
  return { framework: 'flyway', wrapsInTransaction: true, why: head, sentAsOneQuery: false };
}

function detectDbmate(text: string): FrameworkInfo {
  const ups = dbmateMarkers(text).filter((m) => m.direction === 'up');
  const off = ups.filter((m) => m.options['transaction'] === 'false');
  const base =
    'dbmate migration ("-- migrate:up" marker): dbmate wraps each migration section in a transaction unless its ' +
    'marker line says "transaction:false" (dbmate README "Options"; pkg/dbmate/migration.go: transaction defaults to true)';
  const oneExec =
    'dbmate still sends the section as one Exec (lib/pq simple query), so with several statements PostgreSQL ' +
    'runs them as one implicit transaction anyway (dbmate issue #126)';
  if (off.length === 0) {
    return { framework: 'dbmate', wrapsInTransaction: true, why: base, sentAsOneQuery: true };
  }
  if (off.length === ups.length) {
    return {
      framework: 'dbmate',
      wrapsInTransaction: false,
      why: `${base}; this file uses "-- migrate:up transaction:false", so it is not wrapped - but ${oneExec}`,
      sentAsOneQuery: true,
    };
  }
  return {
    framework: 'dbmate',
    wrapsInTransaction: false,
    why:
      `${base}; this file has ${ups.length} up sections and ${off.length} of them ${off.length === 1 ? 'uses' : 'use'} transaction:false, ` +
      `so not all of it is wrapped (each section runs separately); ${oneExec}`,
    sentAsOneQuery: true,
  };
}

function detectDiesel(abs: string): FrameworkInfo {
  const dirName = path.basename(path.dirname(abs));
  const head =
    `Diesel migration (${dirName}/${path.basename(abs)}): Diesel runs each migration in its own transaction by default ` +
    `(diesel_migrations docs "Transactions"; MigrationMetadata::run_in_transaction defaults to true)`;
  const batch =
    'Diesel runs the file with batch_execute, so several statements still form one implicit transaction ' +
    '(diesel_migrations FileBasedMigrations docs)';
  const meta = readIfExists(path.join(path.dirname(abs), 'metadata.toml'));
  if (meta === undefined) {
    return { framework: 'diesel', wrapsInTransaction: true, why: head, sentAsOneQuery: true };
  }
  const m = /^\s*run_in_transaction\s*=\s*(true|false)\s*(?:#.*)?$/m.exec(meta);
  if (m?.[1] === 'true') {
    return {
      framework: 'diesel',
      wrapsInTransaction: true,
      why: `${head}; metadata.toml beside it sets run_in_transaction = true`,
      sentAsOneQuery: true,
    };
  }
  if (m?.[1] === 'false') {
    return {
      framework: 'diesel',
      wrapsInTransaction: false,
      why: `${head}; metadata.toml beside it sets run_in_transaction = false, so it is not wrapped - but ${batch}`,
      sentAsOneQuery: true,
    };
  }
  return {
    framework: 'diesel',
    wrapsInTransaction: false,
    why:
      `${head}; but metadata.toml beside it has no run_in_transaction key, and Diesel's TomlMetadata declares that ` +
      `field #[serde(default)] bool, so it reads as false and the migration is NOT wrapped - but ${batch}`,
    sentAsOneQuery: true,
  };
}

export function detectFramework(filePath: string, text?: string): FrameworkInfo {
  const abs = path.resolve(filePath);
  const base = path.basename(abs);
  const body = text ?? readIfExists(abs);

  if (body !== undefined && hasDbmateMarker(body)) return detectDbmate(body);

  const fly = parseFlywayName(base);
  if (fly) return detectFlyway(abs, fly, body);

  if (parseGolangMigrateName(base)) {
    return {
      framework: 'golang-migrate',
      wrapsInTransaction: true,
      why:
        `golang-migrate migration (${base}): the postgres driver sends the whole file in one Exec call ` +
        `(database/postgres/postgres.go Run), i.e. one multi-statement simple query, and PostgreSQL runs that as a ` +
        `single implicit transaction - so CREATE INDEX CONCURRENTLY and similar fail unless alone in the file, ` +
        `or the x-multi-statement=true URL option splits the file on ';'`,
      sentAsOneQuery: true,
    };
  }

  if (isDieselLayout(abs)) return detectDiesel(abs);

  if (isPrismaLayout(abs)) {
    const lock = existsSync(path.join(path.dirname(path.dirname(abs)), 'migration_lock.toml'));
    return {
      framework: 'prisma',
      wrapsInTransaction: true,
      why:
        `Prisma Migrate migration (${path.basename(path.dirname(abs))}/migration.sql${lock ? ', migration_lock.toml present' : ''}): ` +
        `the schema engine applies the whole script as one simple query (sql-schema-connector postgres ` +
        `apply_migration_script -> simple_query) without a BEGIN of its own, and PostgreSQL runs a multi-statement ` +
        `query as one implicit transaction; there is no per-migration opt-out, so CREATE INDEX CONCURRENTLY only ` +
        `works alone in a migration (prisma/prisma#14456); prisma-engines PR #5767 (2026) adds CONCURRENTLY support to ` +
        `newer releases, which is not modelled here`,
      sentAsOneQuery: true,
    };
  }

  const sq = findSqitchLayout(abs);
  if (sq) {
    const own = body !== undefined && opensOwnTransaction(body);
    return {
      framework: 'sqitch',
      wrapsInTransaction: false,
      why:
        `Sqitch ${sq.kind} script (${sq.kind}/${sq.change}.sql${sq.planFile ? ', sqitch.plan found' : ', no sqitch.plan found'}): ` +
        `sqitch runs it with "psql --file" and adds no transaction (App::Sqitch::Engine::pg run_file); its templates ` +
        `put BEGIN/COMMIT in the script itself` +
        (own ? ' - this script does open one' : ' - this script has no BEGIN, so each statement autocommits'),
      sentAsOneQuery: false,
    };
  }

  const own = body !== undefined && opensOwnTransaction(body);
  return {
    framework: 'plain',
    wrapsInTransaction: false,
    why:
      'plain SQL file (no migration framework recognised): assumed to run like "psql -f", which autocommits each ' +
      'statement (psql AUTOCOMMIT is on by default) unless run with --single-transaction' +
      (own ? '; the file opens its own transaction with BEGIN' : ''),
    sentAsOneQuery: false,
  };
}
