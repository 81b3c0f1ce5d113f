/**
 * `ddlguard init`: detect where the migrations live and which tool runs them, and write a
 * starter ddlguard.config.json.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectFramework } from '../../migrations/framework.js';
import { loadParser } from '../../sql/parser.js';
import { CliError } from '../exit.js';

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
}

export interface DetectedLayout {
  dir: string;
  files: number;
  framework: string;
  why: string;
}

export async function detectLayout(cwd: string): Promise<DetectedLayout | null> {
  await loadParser();
  const { default: fg } = await import('fast-glob');
  let best: DetectedLayout | null = null;
  for (const dir of CANDIDATES) {
    if (!existsSync(path.join(cwd, dir))) continue;
    const files = await fg('**/*.sql', { cwd: path.join(cwd, dir), absolute: true, ignore: ['**/node_modules/**'] });
    if (files.length === 0) continue;
    if (!best || files.length > best.files) {
      const info = detectFramework(files.sort()[0]!);
      best = { dir, files: files.length, framework: info.framework, why: info.why };
    }
  }
  if (best) return best;
  // Anywhere else: the directory holding most .sql files (outside node_modules and build output).
  const all = await fg('**/*.sql', { cwd, ignore: ['**/node_modules/**', '**/dist/**', '**/build/**', '**/.git/**'], deep: 6 });
  const byDir = new Map<string, number>();
  for (const f of all) byDir.set(path.dirname(f), (byDir.get(path.dirname(f)) ?? 0) + 1);
  const top = [...byDir].sort((a, b) => b[1] - a[1])[0];
  if (!top) return null;
  const info = detectFramework(path.join(cwd, all.find((f) => path.dirname(f) === top[0])!));
  return { dir: top[0], files: top[1], framework: info.framework, why: info.why };
}

export async function runInit(args: InitArgs): Promise<number> {
  const cwd = process.cwd();
  const target = path.join(cwd, 'ddlguard.config.json');
  if (existsSync(target) && !args.force) throw new CliError(`init: ${path.relative(cwd, target)} already exists (use --force to overwrite)`);
  const layout = args.dir ? { dir: args.dir, files: 0, framework: 'plain', why: 'given with --dir' } : await detectLayout(cwd);
  if (!layout) throw new CliError('init: found no .sql migrations here; give their directory with --dir');
  const config = {
    pgVersion: args.pgVersion ?? 15,
    migrations: [layout.dir],
    assumeInTransaction: 'auto',
    severityThreshold: 'warning',
    rules: {},
    ignore: [],
  };
  writeFileSync(target, JSON.stringify(config, null, 2) + '\n');
  process.stdout.write(
    [
      `wrote ${path.relative(cwd, target)}`,
      `  migrations: ${layout.dir}${layout.files ? ` (${layout.files} .sql files)` : ''}`,
      `  framework:  ${layout.framework} - ${layout.why.split(';')[0]}`,
      `  pgVersion:  ${config.pgVersion} (set it to your production major)`,
      'next: npx ddlguard lint',
      '',
    ].join('\n'),
  );
  return 0;
}
