/**
 * `ddlguard init`: detect where the migrations live and which tool runs them, and write a
 * starter ddlguard.config.json that records the migrations existing now as released (the
 * baseline: lint then shows only new ones; see src/migrations/baseline.ts).
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { recordBaseline, type RecordedBaseline } from '../../migrations/baseline.js';
import { discoverMigrations, isDownMigration } from '../../migrations/discover.js';
import { detectFramework, findSqitchLayout } from '../../migrations/framework.js';
import { loadParser } from '../../sql/parser.js';
import { CliError } from '../exit.js';
import { baselineLines } from './baseline.js';

/** Directories that commonly hold migrations, most specific first. */
const CANDIDATES = [
  'db/migrations',
  'db/migrate',
  'migrations',
  'database/migrations',
  'prisma/migrations',
  'src/main/resources/db/migration',
  'src/main/resources/db/migrations',
  'resources/db/migration',
  'sql/migrations',
  'deploy',
  'sqitch/deploy',
];

export interface InitArgs {
  force?: boolean;
  dir?: string;
  pgVersion?: number;
  /** false (--no-baseline): do not record the existing migrations as released. */
  baseline?: boolean;
}

export interface DetectedLayout {
  dir: string;
  /** Migrations ddlguard lints (down/rollback scripts left out). */
  files: number;
  /** Down/rollback scripts found, which lint skips (unless --include-down). */
  down: number;
  /** Where they are, as patterns with counts, e.g. `migrations/*\/down.sql (341)`. */
  downPatterns: string[];
  framework: string;
  why: string;
}

/** The pattern a down script follows, relative to cwd: `migrations/*\/down.sql`, `db/*.down.sql`, `sqitch/revert/*.sql`. */
function downPattern(abs: string, cwd: string): string {
  const rel = (p: string) => path.relative(cwd, p).split(path.sep).join('/') || '.';
  const base = path.basename(abs);
  const dir = path.dirname(abs);
  if (base.toLowerCase() === 'down.sql') return `${rel(path.dirname(dir))}/*/${base}`;
  if (base.toLowerCase().endsWith('.down.sql')) return `${rel(dir)}/*.down.sql`;
  const sq = findSqitchLayout(abs);
  if (sq && sq.kind !== 'deploy') return `${rel(sq.topDir)}/${sq.kind}/*.sql`;
  return `${rel(dir)}/U*__*.sql`;
}

function layoutOf(dir: string, sqlFiles: readonly string[], cwd: string): DetectedLayout {
  const down = sqlFiles.filter((f) => isDownMigration(f));
  const ups = sqlFiles.filter((f) => !isDownMigration(f)).sort();
  const patterns = new Map<string, number>();
  for (const f of down) patterns.set(downPattern(f, cwd), (patterns.get(downPattern(f, cwd)) ?? 0) + 1);
  const info = detectFramework(ups[0] ?? sqlFiles[0]!);
  return { dir, files: ups.length, down: down.length, downPatterns: [...patterns].map(([p, n]) => `${p} (${n})`), framework: info.framework, why: info.why };
}

export async function detectLayout(cwd: string): Promise<DetectedLayout | null> {
  await loadParser();
  const { default: fg } = await import('fast-glob');
  let best: DetectedLayout | null = null;
  for (const dir of CANDIDATES) {
    if (!existsSync(path.join(cwd, dir))) continue;
    const files = await fg('**/*.sql', { cwd: path.join(cwd, dir), absolute: true, ignore: ['**/node_modules/**'] });
    if (files.length === 0) continue;
    const layout = layoutOf(dir, files, cwd);
    if (!best || layout.files > best.files) best = layout;
  }
  if (best) return best;
  // Anywhere else: the directory holding most migrations (outside node_modules and build output).
  const all = await fg('**/*.sql', { cwd, ignore: ['**/node_modules/**', '**/dist/**', '**/build/**', '**/.git/**'], deep: 6 });
  const byDir = new Map<string, number>();
  for (const f of all) if (!isDownMigration(path.join(cwd, f))) byDir.set(path.dirname(f), (byDir.get(path.dirname(f)) ?? 0) + 1);
  const top = [...byDir].sort((a, b) => b[1] - a[1])[0];
  if (!top) return null;
  return layoutOf(top[0], all.filter((f) => path.dirname(f) === top[0]).map((f) => path.join(cwd, f)), cwd);
}

export async function runInit(args: InitArgs): Promise<number> {
  const cwd = process.cwd();
  const target = path.join(cwd, 'ddlguard.config.json');
  if (existsSync(target) && !args.force) throw new CliError(`init: ${path.relative(cwd, target)} already exists (use --force to overwrite)`);
  const layout = args.dir ? await givenLayout(args.dir, cwd) : await detectLayout(cwd);
  if (!layout) throw new CliError('init: found no .sql migrations here; give their directory with --dir');
  // Editors complete and check the file against the schema ddlguard validates with, when the
  // package is installed where the path points.
  const schemaPath = './node_modules/ddlguard/ddlguard.schema.json';
  const config: Record<string, unknown> = {
    ...(existsSync(path.join(cwd, schemaPath)) && { $schema: schemaPath }),
    pgVersion: args.pgVersion ?? 15,
    migrations: [layout.dir],
    assumeInTransaction: 'auto',
    severityThreshold: 'warning',
    rules: {},
    ignore: [],
  };
  // The migrations that exist now are released: lint shows only what comes after them.
  let recorded: RecordedBaseline | null = null;
  if (args.baseline !== false && layout.files > 0) {
    const files = await discoverMigrations([layout.dir], { cwd }).catch(() => []);
    recorded = recordBaseline(files, cwd);
    if (recorded.entries.length) config.baseline = { released: recorded.entries };
  }
  writeFileSync(target, JSON.stringify(config, null, 2) + '\n');
  const skipped = layout.down ? `; ${layout.down} down file${layout.down === 1 ? '' : 's'} not linted: ${layout.downPatterns.join(', ')}` : '';
  const lines = [
    `wrote ${path.relative(cwd, target)}`,
    `  migrations: ${layout.dir} (${layout.files} migration${layout.files === 1 ? '' : 's'} to lint${skipped})`,
    `  framework:  ${layout.framework} - ${layout.why.split(';')[0]}`,
  ];
  if (recorded?.entries.length) {
    const rel = (root: string) => path.relative(cwd, path.resolve(cwd, root)) || '.';
    const [first, ...rest] = baselineLines(recorded, rel);
    lines.push(`  baseline:   ${first} recorded as released`, ...rest.map((l) => `              ${l}`));
    lines.push('              lint shows only migrations added after these (`--all`: every one; `ddlguard baseline`: record again)');
  }
  lines.push(`  pgVersion:  ${config.pgVersion} (set it to your production major)`, 'next: npx ddlguard lint', '');
  process.stdout.write(lines.join('\n'));
  return 0;
}

/** --dir: the layout of that directory as given. */
async function givenLayout(dir: string, cwd: string): Promise<DetectedLayout> {
  await loadParser();
  const abs = path.resolve(cwd, dir);
  if (!existsSync(abs)) return { dir, files: 0, down: 0, downPatterns: [], framework: 'plain', why: 'given with --dir' };
  const { default: fg } = await import('fast-glob');
  const files = await fg('**/*.sql', { cwd: abs, absolute: true, ignore: ['**/node_modules/**'] });
  if (files.length === 0) return { dir, files: 0, down: 0, downPatterns: [], framework: 'plain', why: 'given with --dir' };
  const layout = layoutOf(dir, files, cwd);
  return { ...layout, why: `given with --dir; ${layout.why}` };
}
