/**
 * Migration discovery: turn CLI inputs (files, directories, globs) into an ordered,
 * de-duplicated list of migration files, skipping down/rollback scripts by default.
 *
 * Order is the order the framework would apply them in: natural order within a
 * directory, version order for Flyway (repeatables last), directory order for
 * directory-per-migration layouts (Diesel, Prisma), and plan order for Sqitch.
 */
import { readdirSync, readFileSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { loadParser, withParser } from '../sql/parser.js';
import { createRequire } from 'node:module';

/** fast-glob is loaded only when an input is a directory or a glob (not for plain file paths). */
let fgModule: typeof import('fast-glob') | null = null;
function fg(): typeof import('fast-glob') {
  fgModule ??= createRequire(import.meta.url)('fast-glob') as typeof import('fast-glob');
  return fgModule;
}
import {
  detectFramework,
  findSqitchLayout,
  parseFlywayName,
  parseGolangMigrateName,
  type Framework,
  type FrameworkInfo,
} from './framework.js';

export interface MigrationFile {
  /** Absolute path. */
  path: string;
  /** Path relative to `cwd`, with forward slashes. */
  displayPath: string;
  framework: Framework;
}

export interface DiscoverOptions {
  cwd: string;
  /** Keep down/rollback/undo/revert/verify scripts (default false). */
  includeDown?: boolean;
  /**
   * Glob patterns of files or directories to leave out, relative to `cwd` (or absolute).
   * A pattern without `/` matches a file or directory name at any depth, like .gitignore.
   */
  exclude?: string[];
  /**
   * Load the parser only if framework detection needs it (see withParser); by default
   * discovery loads it, and callers parse right after.
   */
  lazyParser?: boolean;
}

// ---------------------------------------------------------------------------
// Natural ordering
// ---------------------------------------------------------------------------

const isDigit = (code: number): boolean => code >= 48 && code <= 57;

function compareSegment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  let tie = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ie = i;
      while (ie < a.length && isDigit(a.charCodeAt(ie))) ie++;
      let je = j;
      while (je < b.length && isDigit(b.charCodeAt(je))) je++;
      const ra = a.slice(i, ie);
      const rb = b.slice(j, je);
      const na = ra.replace(/^0+(?=\d)/, '');
      const nb = rb.replace(/^0+(?=\d)/, '');
      if (na.length !== nb.length) return na.length - nb.length;
      if (na !== nb) return na < nb ? -1 : 1;
      // Same value: fewer leading zeros first, but only as a last resort.
      if (tie === 0 && ra.length !== rb.length) tie = ra.length - rb.length;
      i = ie;
      j = je;
      continue;
    }
    const la = a[i]?.toLowerCase() ?? '';
    const lb = b[j]?.toLowerCase() ?? '';
    if (la !== lb) return la < lb ? -1 : 1;
    if (tie === 0 && ca !== cb) tie = ca < cb ? -1 : 1;
    i++;
    j++;
  }
  const restA = a.length - i;
  const restB = b.length - j;
  if (restA !== restB) return restA - restB;
  return tie;
}

/**
 * Natural ("human") order: digit runs compare by numeric value (`2_x` < `10_x`), text
 * compares case-insensitively, and `/`-separated segments compare one at a time so a
 * directory's contents stay together. Deterministic total order: ties fall back to
 * plain code-unit comparison.
 */
export function naturalCompare(a: string, b: string): number {
  if (a === b) return 0;
  const as = a.split('/');
  const bs = b.split('/');
  const n = Math.min(as.length, bs.length);
  for (let k = 0; k < n; k++) {
    const c = compareSegment(as[k] ?? '', bs[k] ?? '');
    if (c !== 0) return c < 0 ? -1 : 1;
  }
  if (as.length !== bs.length) return as.length < bs.length ? -1 : 1;
  return a < b ? -1 : 1;
}

// ---------------------------------------------------------------------------
// Down migrations
// ---------------------------------------------------------------------------

/**
 * Down/rollback scripts: `*.down.sql` (golang-migrate and similar), `down.sql`
 * (Diesel), Flyway undo `U<version>__*.sql`, and Sqitch `revert/` and `verify/` scripts.
 */
export function isDownMigration(filePath: string): boolean {
  const base = path.basename(filePath);
  const lower = base.toLowerCase();
  if (lower === 'down.sql' || lower.endsWith('.down.sql')) return true;
  if (parseFlywayName(base)?.kind === 'U') return true;
  const sq = findSqitchLayout(filePath);
  return sq !== null && sq.kind !== 'deploy';
}

// ---------------------------------------------------------------------------
// Exclude patterns
// ---------------------------------------------------------------------------

function globSource(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atSegmentStart = i === 0 || glob[i - 1] === '/';
        const after = glob[i + 2];
        if (atSegmentStart && after === '/') {
          re += '(?:[^/]*/)*';
          i += 2;
        } else if (atSegmentStart && after === undefined) {
          re += '.*';
          i += 1;
        } else {
          re += '[^/]*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end === -1) re += '\\{';
      else {
        re += '(?:' + glob.slice(i + 1, end).split(',').map(globSource).join('|') + ')';
        i = end;
      }
    } else {
      re += c.replace(/[.+^$(){}|\\[\]]/g, '\\$&');
    }
  }
  return re;
}

/** Compile a glob (`*`, `**`, `?`, `[...]`, `{a,b}`) to an anchored RegExp over `/` paths. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp('^' + globSource(glob) + '$');
}

interface ExcludeMatcher {
  re: RegExp;
  /** 'abs': match absolute paths; 'name': match any single segment; 'rel': match cwd-relative paths. */
  mode: 'abs' | 'name' | 'rel';
}

function compileExclude(pattern: string): ExcludeMatcher {
  let p = pattern.replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (path.isAbsolute(p)) return { re: globToRegExp(p), mode: 'abs' };
  if (!p.includes('/')) return { re: globToRegExp(p), mode: 'name' };
  return { re: globToRegExp(p), mode: 'rel' };
}

/** The path itself and each of its ancestors, e.g. a/b/c -> [a/b/c, a/b, a]. */
function withAncestors(p: string): string[] {
  const out: string[] = [];
  let cur = p;
  while (cur !== '' && cur !== '/' && cur !== '.') {
    out.push(cur);
    const idx = cur.lastIndexOf('/');
    if (idx <= 0) break;
    cur = cur.slice(0, idx);
  }
  return out;
}

function isExcluded(abs: string, rel: string, matchers: readonly ExcludeMatcher[]): boolean {
  if (matchers.length === 0) return false;
  const absSlash = abs.split(path.sep).join('/');
  const segments = rel.split('/').filter((s) => s !== '..' && s !== '.' && s !== '');
  for (const m of matchers) {
    if (m.mode === 'abs' && withAncestors(absSlash).some((p) => m.re.test(p))) return true;
    if (m.mode === 'name' && segments.some((s) => m.re.test(s))) return true;
    if (m.mode === 'rel' && withAncestors(rel).some((p) => m.re.test(p))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Input expansion
// ---------------------------------------------------------------------------

const IGNORE = ['**/node_modules/**'];

function noMatch(input: string, detail?: string): Error {
  return new Error(`no migration files match "${input}"` + (detail ? ` (${detail})` : ''));
}

function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

/**
 * Every `*.sql` file under `dir` (any case), following symbolic links, skipping dot entries
 * and node_modules: what fast-glob's `**\/*.sql` gave, without loading fast-glob (about 40 ms
 * of a lint run). Order does not matter: sortMigrations orders the files.
 */
async function sqlFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const seenDirs = new Set<string>();
  const visit = (d: string, viaLink: boolean) => {
    // A directory reached twice through links (a cycle) is walked once. Only links can make
    // one: directories reached without any are not resolved (a realpath each is measurable).
    if (viaLink) {
      let real: string;
      try {
        real = realpathSync(d);
      } catch {
        return;
      }
      if (seenDirs.has(real)) return;
      seenDirs.add(real);
    }
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      let isFile = e.isFile();
      let isDirectory = e.isDirectory();
      if (e.isSymbolicLink()) {
        const st = statOrNull(p);
        isFile = st?.isFile() ?? false;
        isDirectory = st?.isDirectory() ?? false;
      }
      if (isDirectory) {
        if (e.name !== 'node_modules') visit(p, viaLink || e.isSymbolicLink());
      } else if (isFile && e.name.toLowerCase().endsWith('.sql')) out.push(p);
    }
  };
  visit(path.resolve(dir), true);
  return out;
}

async function expandInput(input: string, cwd: string): Promise<string[]> {
  if (input === '') throw noMatch(input, 'empty path');
  const abs = path.resolve(cwd, input);
  const st = statOrNull(abs);
  if (st?.isFile()) return [abs];
  if (st?.isDirectory()) {
    const files = await sqlFilesUnder(abs);
    if (files.length === 0) throw noMatch(input, 'directory has no .sql files');
    return files;
  }
  if (!fg().isDynamicPattern(input)) throw noMatch(input, 'no such file or directory');

  const entries = await fg()(input.replace(/\\/g, '/'), {
    cwd,
    absolute: true,
    onlyFiles: false,
    markDirectories: true,
    dot: false,
    followSymbolicLinks: true,
    ignore: IGNORE,
  });
  const out: string[] = [];
  for (const entry of entries.sort()) {
    if (entry.endsWith('/')) out.push(...(await sqlFilesUnder(entry)));
    else if (entry.toLowerCase().endsWith('.sql')) out.push(path.resolve(entry));
  }
  if (out.length === 0) throw noMatch(input, entries.length > 0 ? 'the glob matched no .sql files' : undefined);
  return out;
}

// ---------------------------------------------------------------------------
// Ordering within each layout
// ---------------------------------------------------------------------------

/** Where a migration sits in its framework's apply order (see sortMigrations). */
export interface SequenceKey {
  /** Directory that defines the migration sequence this file belongs to (absolute). */
  root: string;
  /** 0 = ordinary, 1 = runs after everything else (Flyway repeatables, unplanned sqitch). */
  rank: number;
  /** Compared with naturalCompare: version, directory name, file name or sqitch plan position. */
  name: string;
  /** Within one migration: up/deploy before verify/down/revert. */
  tie: number;
  /**
   * The migration's name as its framework knows it, stable when files are added: the
   * version (Flyway, golang-migrate), the directory (Diesel, Prisma), the change (sqitch),
   * the file name without .sql (plain, dbmate). Equal to `name` except for planned sqitch changes.
   */
  id: string;
}

interface SqitchPlan {
  first: Map<string, number>;
  last: Map<string, number>;
}

function parseSqitchPlan(file: string): SqitchPlan {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { first, last };
  }
  let index = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('%') || line.startsWith('#') || line.startsWith('@')) continue;
    const m = /^[+-]?\s*([^\s[#]+)/.exec(line);
    if (!m?.[1]) continue;
    const name = m[1];
    if (!first.has(name)) first.set(name, index);
    last.set(name, index);
    index++;
  }
  return { first, last };
}

/** Position of a change in a sqitch plan (its last occurrence), or null when the plan does not name it. */
export function sqitchPlanPosition(planFile: string, change: string): number | null {
  return parseSqitchPlan(planFile).last.get(change) ?? null;
}

function commonDir(paths: readonly string[]): string {
  if (paths.length === 0) return '';
  let common = path.dirname(paths[0] as string);
  for (const p of paths) {
    while (common !== path.dirname(common) && !(p + path.sep).startsWith(common + path.sep)) {
      common = path.dirname(common);
    }
  }
  return common;
}

const stripSqlExt = (base: string): string => base.replace(/(?:\.(?:up|down))?\.sql$/i, '');

function sortKey(file: MigrationFile, flywayRoot: string, plans: Map<string, SqitchPlan>): SequenceKey {
  const abs = file.path;
  const dir = path.dirname(abs);
  const base = path.basename(abs);
  const downTie = /\.down\.sql$/i.test(base) ? 1 : 0;
  const key = (root: string, rank: number, name: string, tie: number, id = name): SequenceKey => ({ root, rank, name, tie, id });

  switch (file.framework) {
    case 'flyway': {
      const fly = parseFlywayName(base);
      if (fly?.kind === 'R') return key(flywayRoot, 1, fly.description, 0);
      if (fly) return key(flywayRoot, 0, fly.version.join('.'), fly.kind === 'U' ? 1 : 0);
      break;
    }
    case 'diesel':
    case 'prisma':
      return key(path.dirname(dir), 0, path.basename(dir), base === 'down.sql' ? 1 : 0);
    case 'golang-migrate': {
      const gm = parseGolangMigrateName(base);
      if (gm) return key(dir, 0, gm.version, gm.direction === 'down' ? 1 : 0);
      break;
    }
    case 'sqitch': {
      const sq = findSqitchLayout(abs);
      if (!sq) break;
      const tie = sq.kind === 'deploy' ? 0 : sq.kind === 'verify' ? 1 : 2;
      if (sq.planFile) {
        let plan = plans.get(sq.planFile);
        if (!plan) {
          plan = parseSqitchPlan(sq.planFile);
          plans.set(sq.planFile, plan);
        }
        // `name@tag` scripts are the pre-rework version: they sit at the first
        // occurrence of the change; the current script sits at the last one.
        const at = sq.change.indexOf('@');
        const idx = at > 0 ? plan.first.get(sq.change.slice(0, at)) : plan.last.get(sq.change);
        if (idx !== undefined) return key(sq.topDir, 0, String(idx), tie, sq.change);
      }
      return key(sq.topDir, 1, sq.change, tie);
    }
    default:
      break;
  }
  return key(dir, 0, stripSqlExt(base), downTie);
}

/**
 * Each file's place in its sequence, as sortMigrations orders them. Flyway's root is the
 * common directory of the Flyway files given, so keys depend on the set passed in.
 */
export function sequenceKeys(files: readonly MigrationFile[]): SequenceKey[] {
  const flywayRoot = commonDir(files.filter((f) => f.framework === 'flyway').map((f) => f.path));
  const plans = new Map<string, SqitchPlan>();
  return files.map((file) => sortKey(file, flywayRoot, plans));
}

/** Apply order of two keys of the same sequence: rank, then name in natural order. */
export function compareSequence(a: Pick<SequenceKey, 'rank' | 'name'>, b: Pick<SequenceKey, 'rank' | 'name'>): number {
  return a.rank - b.rank || naturalCompare(a.name, b.name);
}

/**
 * The directory holding a migration's sequence, from its path alone: the parent of the
 * migration's directory for Diesel and Prisma, sqitch's top directory, else the file's directory.
 */
export function sequenceRoot(filePath: string): string {
  const abs = path.resolve(filePath);
  const framework = detectFramework(abs, '').framework;
  if (framework === 'diesel' || framework === 'prisma') return path.dirname(path.dirname(abs));
  if (framework === 'sqitch') return findSqitchLayout(abs)?.topDir ?? path.dirname(abs);
  return path.dirname(abs);
}

export function sortMigrations(files: readonly MigrationFile[]): MigrationFile[] {
  const keys = sequenceKeys(files);
  const slash = (p: string): string => p.split(path.sep).join('/');
  const keyed = files.map((file, i) => ({ file, key: keys[i]!, root: slash(keys[i]!.root) }));
  keyed.sort(
    (x, y) =>
      naturalCompare(x.root, y.root) ||
      x.key.rank - y.key.rank ||
      naturalCompare(x.key.name, y.key.name) ||
      x.key.tie - y.key.tie ||
      naturalCompare(x.file.displayPath, y.file.displayPath),
  );
  return keyed.map((k) => k.file);
}

// ---------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------

/**
 * The migration files among `paths` (absolute), as discoverMigrations would keep them:
 * `.sql`, not a down script unless includeDown, not excluded. For file lists that do not
 * come from the file system, e.g. a git tree (src/migrations/baseline.ts).
 */
export function keepMigrations(paths: Iterable<string>, opts: DiscoverOptions): MigrationFile[] {
  const cwd = path.resolve(opts.cwd);
  const matchers = (opts.exclude ?? []).filter((p) => p.trim() !== '').map(compileExclude);
  const out: MigrationFile[] = [];
  for (const abs of paths) {
    if (!abs.toLowerCase().endsWith('.sql') || abs.split(path.sep).includes('node_modules')) continue;
    const displayPath = toDisplayPath(cwd, abs);
    if (!opts.includeDown && isDownMigration(abs)) continue;
    if (isExcluded(abs, displayPath, matchers)) continue;
    out.push({ path: abs, displayPath, framework: detectFramework(abs, '').framework });
  }
  return out;
}

function toDisplayPath(cwd: string, abs: string): string {
  const rel = path.relative(cwd, abs);
  return (rel === '' ? path.basename(abs) : rel).split(path.sep).join('/');
}

/** The text discovery read for framework detection, so the caller need not read the file again. */
const texts = new WeakMap<MigrationFile, string>();
/** What framework detection found for that text, so the caller need not detect it again. */
const infos = new WeakMap<MigrationFile, FrameworkInfo>();

export function discoveredText(file: MigrationFile): string | undefined {
  return texts.get(file);
}

/** The framework detection of discoveredText(file) (detectFramework(file.path, that text)). */
export function discoveredFramework(file: MigrationFile): FrameworkInfo | undefined {
  return infos.get(file);
}

function readText(abs: string): string | undefined {
  try {
    return readFileSync(abs, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Expand `inputs` (files, directories searched recursively for `*.sql`, or fast-glob
 * patterns, all relative to `opts.cwd`) into migration files in apply order.
 * Duplicates are removed; an input that matches nothing throws
 * `no migration files match "<input>"`. Stdin (`-`) is the CLI's business, not ours.
 */
export async function discoverMigrations(inputs: string[], opts: DiscoverOptions): Promise<MigrationFile[]> {
  // Framework detection reads statement heads with PostgreSQL's scanner.
  if (!opts.lazyParser) await loadParser();
  const cwd = path.resolve(opts.cwd);
  const matchers = (opts.exclude ?? []).filter((p) => p.trim() !== '').map(compileExclude);
  const seen = new Set<string>();
  const ordered: string[] = [];
  for (const input of inputs) {
    for (const abs of await expandInput(input, cwd)) {
      if (seen.has(abs)) continue;
      seen.add(abs);
      ordered.push(abs);
    }
  }
  const files: MigrationFile[] = [];
  for (const abs of ordered) {
    const displayPath = toDisplayPath(cwd, abs);
    if (!opts.includeDown && isDownMigration(abs)) continue;
    if (isExcluded(abs, displayPath, matchers)) continue;
    const text = readText(abs);
    const info = await withParser(() => detectFramework(abs, text));
    const file: MigrationFile = { path: abs, displayPath, framework: info.framework };
    if (text !== undefined) {
      texts.set(file, text);
      infos.set(file, info);
    }
    files.push(file);
  }
  return sortMigrations(files);
}
