/**
 * The baseline: which migrations were already released when a project adopted ddlguard.
 * `ddlguard init` and `ddlguard baseline` record it in the config; lint (the default run,
 * explicit files, the pre-commit hook) then treats released migrations as history: they
 * build the schema model and are not linted. `--since`, `--base` and the GitHub Action
 * choose files from git as before; `lint --all` ignores the baseline.
 *
 * The cut-off is kept per migration sequence (a directory: a plain or golang-migrate
 * folder, the folder holding Diesel or Prisma migration folders, sqitch's top directory,
 * Flyway's locations) as the id of the last released migration, compared in the
 * framework's own order (see sequenceKeys in discover.ts): files added later sort after
 * it, and nothing depends on git, so rebases, squashed merges and shallow clones leave it
 * valid. Flyway repeatable migrations and sqitch changes missing from the plan sort after
 * every versioned one: they are never covered (a repeatable runs again whenever it changes).
 *
 * A file can also be added *before* the cut-off later (a long-lived branch merged after
 * the baseline, with an older timestamp). It was not released, so it must be linted. The
 * entry records how many migrations it covered and `digest`, a set hash: the sum modulo
 * 2^64 of each covered path's SHA-256 (first 8 bytes), so a file added or removed changes
 * it and a file added can be found by subtracting. When the files at or before the
 * cut-off do not sum to the digest:
 *
 *  1. one to three more files than recorded: the files whose hashes make up the
 *     difference are the new ones (no git needed);
 *  2. else, with git: the commit that added this digest to the config, if the migrations
 *     in its tree sum to the digest, is the recorded set, and the files not in it are new;
 *  3. else nothing shows which files are released: every file at or before the cut-off is
 *     linted, and a note says why and how to record the baseline again.
 *
 * Everything here is a pure function of its inputs except the git history handed in.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { compareSequence, discoverMigrations, isDownMigration, keepMigrations, sequenceKeys, sqitchPlanPosition, type DiscoverOptions, type MigrationFile, type SequenceKey } from './discover.js';
import { findSqitchLayout, type Framework } from './framework.js';
import { gitHistory } from './git.js';

/**
 * One migration sequence's cut-off: its migrations up to `last` were released when the
 * baseline was recorded.
 */
export interface BaselineEntry {
  /** The sequence's directory, relative to the config file (`.` for the config's own directory). */
  root: string;
  framework: Framework;
  /**
   * The last released migration as its framework orders them: the version (Flyway,
   * golang-migrate), the directory (Diesel, Prisma), the change (sqitch), the file name
   * without .sql (plain, dbmate). A migration that sorts after it is new.
   */
  last: string;
  /** How many migrations were released up to `last`. */
  count?: number;
  /**
   * `sum64:` and 16 hex digits: the set hash of their paths (relative to `root`). When the
   * migrations up to `last` no longer sum to it, one was added (or removed) later.
   */
  digest?: string;
}

export interface BaselineConfig {
  /** One entry per migration sequence (directory). */
  released: BaselineEntry[];
}

/** What git can say about the past, for finding files added before a cut-off (src/migrations/git.ts). */
export interface GitHistory {
  /** The newest commit that added or removed `text` in `file` (git log -S), or null. */
  commitTouching(text: string, file: string): string | null;
  /** Absolute paths of the files under `dir` in `commit`, or null when git cannot tell. */
  filesAt(commit: string, dir: string): string[] | null;
}

export interface BaselineSplit {
  /** Released migrations: history. */
  released: MigrationFile[];
  /** Everything else, in the order given: linted. */
  pending: MigrationFile[];
  /** The pending files that sort at or before a cut-off but were not released (added later). */
  late: MigrationFile[];
  /** What to tell the user (late files, a cut-off that cannot be applied). */
  notes: string[];
}

export interface SplitOptions {
  /** Directory the entries' roots are relative to (the config file's directory). */
  configDir: string;
  /** The config file, for finding the commit that recorded the baseline. */
  configFile?: string | null;
  git?: GitHistory | null;
  /** How files found in a git tree are filtered like the discovered ones (cwd, exclude). */
  discover?: DiscoverOptions;
  /**
   * The run's files (absolute paths), when `files` holds whole sequences so the cut-offs
   * can be checked but only some are linted (explicit files, the pre-commit hook): the
   * split and the notes are about these.
   */
  only?: ReadonlySet<string>;
}

// ---------------------------------------------------------------------------
// The set hash
// ---------------------------------------------------------------------------

const MOD = 1n << 64n;

function pathHash(rel: string): bigint {
  return createHash('sha256').update(rel).digest().readBigUInt64BE(0);
}

function sum(hashes: Iterable<bigint>): bigint {
  let s = 0n;
  for (const h of hashes) s = (s + h) % MOD;
  return s;
}

function formatDigest(s: bigint): string {
  return `sum64:${s.toString(16).padStart(16, '0')}`;
}

function parseDigest(d: string): bigint | null {
  const m = /^sum64:([0-9a-f]{16})$/.exec(d);
  return m ? BigInt(`0x${m[1]}`) : null;
}

const posix = (p: string) => p.split(path.sep).join('/');
const relTo = (root: string, abs: string) => posix(path.relative(root, abs));

/** The digest of a set of migration files of one sequence (paths relative to its root). */
export function baselineDigest(root: string, files: readonly MigrationFile[]): string {
  return formatDigest(sum(files.map((f) => pathHash(relTo(root, f.path)))));
}

// ---------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------

/** What recordBaseline covered, for the messages of init and baseline. */
export interface RecordedBaseline {
  entries: BaselineEntry[];
  /** Files never covered: Flyway repeatables, sqitch changes missing from the plan. */
  uncovered: MigrationFile[];
}

/**
 * The baseline of these migration files (as discovered: up files, excludes applied): one
 * entry per sequence, with its last migration, count and digest. Down files are ignored.
 */
export function recordBaseline(files: readonly MigrationFile[], configDir: string): RecordedBaseline {
  const ups = files.filter((f) => !isDownMigration(f.path));
  const keys = sequenceKeys(ups);
  const groups = new Map<string, Array<{ file: MigrationFile; key: SequenceKey }>>();
  const uncovered: MigrationFile[] = [];
  ups.forEach((file, i) => {
    const key = keys[i]!;
    if (key.rank !== 0) {
      uncovered.push(file);
      return;
    }
    let g = groups.get(key.root);
    if (!g) groups.set(key.root, (g = []));
    g.push({ file, key });
  });
  const entries: BaselineEntry[] = [];
  for (const [root, g] of groups) {
    g.sort((a, b) => compareSequence(a.key, b.key));
    const last = g[g.length - 1]!;
    const counts = new Map<Framework, number>();
    for (const x of g) counts.set(x.file.framework, (counts.get(x.file.framework) ?? 0) + 1);
    const framework = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    entries.push({ root: relTo(configDir, root) || '.', framework, last: last.key.id, count: g.length, digest: baselineDigest(root, g.map((x) => x.file)) });
  }
  entries.sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));
  return { entries, uncovered };
}

// ---------------------------------------------------------------------------
// Splitting a run's files
// ---------------------------------------------------------------------------

function isUnder(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

interface Keyed {
  file: MigrationFile;
  key: SequenceKey;
  index: number;
}

/** The cut-off as a sequence position, or null when it cannot be placed (a sqitch change gone from the plan). */
function cutoff(entry: BaselineEntry, members: readonly Keyed[]): Pick<SequenceKey, 'rank' | 'name'> | null {
  if (entry.framework !== 'sqitch') return { rank: 0, name: entry.last };
  const own = members.find((m) => m.key.rank === 0 && m.key.id === entry.last);
  if (own) return { rank: 0, name: own.key.name };
  for (const m of members) {
    const plan = findSqitchLayout(m.file.path)?.planFile;
    const pos = plan ? sqitchPlanPosition(plan, entry.last) : null;
    if (pos !== null) return { rank: 0, name: String(pos) };
  }
  return null;
}

/** A subset of `files` of exactly `k` files whose hashes sum to `diff`, if there is exactly one. */
function findAdded(files: readonly MigrationFile[], root: string, diff: bigint, k: number): MigrationFile[] | null {
  const hashes = files.map((f) => pathHash(relTo(root, f.path)));
  const byHash = new Map<bigint, number[]>();
  hashes.forEach((h, i) => byHash.set(h, [...(byHash.get(h) ?? []), i]));
  const found: number[][] = [];
  const need = (d: bigint) => ((d % MOD) + MOD) % MOD;
  if (k === 1) for (const i of byHash.get(diff) ?? []) found.push([i]);
  if (k === 2) {
    for (let i = 0; i < files.length && found.length < 2; i++) for (const j of byHash.get(need(diff - hashes[i]!)) ?? []) if (j > i) found.push([i, j]);
  }
  if (k === 3 && files.length <= 2000) {
    for (let i = 0; i < files.length && found.length < 2; i++) {
      for (let j = i + 1; j < files.length && found.length < 2; j++) for (const l of byHash.get(need(diff - hashes[i]! - hashes[j]!)) ?? []) if (l > j) found.push([i, j, l]);
    }
  }
  return found.length === 1 ? found[0]!.map((i) => files[i]!) : null;
}

/** The commit that recorded the digest, if the migrations in its tree are the recorded set: the files not in it are new. */
function addedSinceRecorded(entry: BaselineEntry, rootAbs: string, cut: Pick<SequenceKey, 'rank' | 'name'>, candidates: readonly MigrationFile[], opts: SplitOptions): { commit: string; added: MigrationFile[] } | null {
  if (!opts.git || !opts.configFile || !entry.digest) return null;
  const commit = opts.git.commitTouching(entry.digest, opts.configFile);
  const tree = commit ? opts.git.filesAt(commit, rootAbs) : null;
  if (!commit || !tree) return null;
  const then = keepMigrations(tree, opts.discover ?? { cwd: opts.configDir });
  const keys = sequenceKeys(then);
  const covered = then.filter((f, i) => (keys[i]!.root === rootAbs || isUnder(f.path, rootAbs)) && keys[i]!.rank === 0 && compareSequence(keys[i]!, cut) <= 0);
  if (baselineDigest(rootAbs, covered) !== entry.digest) return null;
  const inTree = new Set(covered.map((f) => f.path));
  return { commit, added: candidates.filter((f) => !inTree.has(f.path)) };
}

function list(files: readonly MigrationFile[], max = 5): string {
  if (files.length === 0) return '';
  const shown = files.slice(0, max).map((f) => f.displayPath);
  return files.length > max ? `${shown.join(', ')} and ${files.length - max} more` : shown.join(', ');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Split a run's migration files (as discovered, any order; down files too) into released
 * ones (history) and pending ones (linted), by the baseline's cut-offs. A file in no
 * entry's sequence is pending. See the header for files added before a cut-off.
 */
export function splitByBaseline(files: readonly MigrationFile[], baseline: readonly BaselineEntry[], opts: SplitOptions): BaselineSplit {
  const keys = sequenceKeys(files);
  const keyed: Keyed[] = files.map((file, index) => ({ file, key: keys[index]!, index }));
  const releasedIdx = new Set<number>();
  const late: MigrationFile[] = [];
  const notes: string[] = [];
  const claimed = new Set<number>();
  for (const entry of baseline) {
    const rootAbs = path.resolve(opts.configDir, entry.root);
    const shownRoot = `${entry.root === '.' ? '.' : entry.root}/`;
    const members = keyed.filter((k) => !claimed.has(k.index) && (k.key.root === rootAbs || (entry.framework === 'flyway' && k.file.framework === 'flyway' && isUnder(k.file.path, rootAbs))));
    for (const m of members) claimed.add(m.index);
    if (members.length === 0) continue;
    const cut = cutoff(entry, members);
    if (!cut) {
      notes.push(`baseline: the last released change of ${shownRoot}, ${entry.last}, is not in its sqitch plan any more, so none of its migrations count as released (run \`ddlguard baseline\` to record them again).`);
      continue;
    }
    const upTo = members.filter((m) => m.key.rank === 0 && compareSequence(m.key, cut) <= 0);
    const candidates = upTo.filter((m) => !isDownMigration(m.file.path));
    const downs = upTo.filter((m) => isDownMigration(m.file.path));
    let added: MigrationFile[] = [];
    const recorded = entry.digest ? parseDigest(entry.digest) : null;
    if (recorded !== null) {
      const now = sum(candidates.map((m) => pathHash(relTo(rootAbs, m.file.path))));
      if (now !== recorded) {
        const k = entry.count === undefined ? 0 : candidates.length - entry.count;
        const bySum = k >= 1 && k <= 3 ? findAdded(candidates.map((m) => m.file), rootAbs, (now - recorded + MOD) % MOD, k) : null;
        const byGit = bySum ? null : addedSinceRecorded(entry, rootAbs, cut, candidates.map((m) => m.file), opts);
        const inRun = (f: MigrationFile) => !opts.only || opts.only.has(f.path);
        if (bySum || byGit) {
          added = bySum ?? byGit!.added;
          const shown = added.filter(inRun);
          const how = bySum ? '' : ` (the config's commit ${byGit!.commit.slice(0, 12)} did not have ${shown.length === 1 ? 'it' : 'them'})`;
          if (shown.length) notes.push(`baseline: ${plural(shown.length, 'migration')} in ${shownRoot} ${shown.length === 1 ? 'sorts' : 'sort'} at or before the last released one (${entry.last}) but ${shown.length === 1 ? 'was' : 'were'} added after the baseline was recorded${how}, so ${shown.length === 1 ? 'it is' : 'they are'} linted: ${list(shown)}.`);
        } else {
          added = candidates.map((m) => m.file);
          const shown = added.filter(inRun).length;
          if (shown) {
            notes.push(
              `baseline: the migrations in ${shownRoot} up to ${entry.last} are not the ${entry.count === undefined ? 'ones' : entry.count} recorded (${candidates.length} now), and nothing shows which were added later ` +
                `(the baseline is not committed, this clone lacks the commit that recorded it, or files were removed as well), so ${shown === 1 ? 'it is' : `all ${shown} are`} linted. ` +
                'Commit the config (or fetch its history), or run `ddlguard baseline` to record the current migrations as released.',
            );
          }
        }
      }
    }
    const addedSet = new Set(added.map((f) => f.path));
    const addedNames = new Set(candidates.filter((m) => addedSet.has(m.file.path)).map((m) => m.key.name));
    for (const m of candidates) if (!addedSet.has(m.file.path)) releasedIdx.add(m.index);
    // A down script goes with its migration.
    for (const m of downs) if (!addedNames.has(m.key.name)) releasedIdx.add(m.index);
    late.push(...added);
  }
  const inRun = (f: MigrationFile) => !opts.only || opts.only.has(f.path);
  const released = files.filter((f, i) => releasedIdx.has(i) && inRun(f));
  const pending = files.filter((f, i) => !releasedIdx.has(i) && inRun(f));
  return { released, pending, late: late.filter(inRun), notes };
}

/**
 * A run's inputs (files, directories, globs) split by the baseline, for lint and anything
 * else that lints part of a project (an editor). The cut-offs are checked against whole
 * sequences (each entry's root is discovered too), whatever part of them the run names,
 * so linting one staged file sees the same baseline as linting the folder. Git is asked
 * only when a digest does not match. Throws discovery's errors (an input matching nothing).
 */
export async function splitRun(inputs: string[], baseline: readonly BaselineEntry[], opts: Omit<SplitOptions, 'only' | 'git' | 'discover'> & { discover: DiscoverOptions; git?: GitHistory | null }): Promise<BaselineSplit> {
  const run = await discoverMigrations(inputs, opts.discover);
  const all = new Map(run.map((f) => [f.path, f]));
  for (const e of baseline) {
    const root = path.resolve(opts.configDir, e.root);
    // A root with no migrations left (moved, deleted) has nothing to release.
    for (const f of await discoverMigrations([root], opts.discover).catch(() => [])) if (!all.has(f.path)) all.set(f.path, f);
  }
  const git = opts.git === undefined ? gitHistory(opts.discover.cwd) : opts.git;
  return splitByBaseline([...all.values()], baseline, { ...opts, git, only: new Set(run.map((f) => f.path)) });
}
