/**
 * Changed-files mode: which files changed since a git ref (committed, staged,
 * unstaged and untracked), for `--since` and the GitHub Action.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function gitRoot(cwd: string): string {
  return git(cwd, ['rev-parse', '--show-toplevel']).trim();
}

/** Absolute paths of files added or modified since `ref` (merge-base with HEAD), plus untracked ones. */
export function changedFilesSince(ref: string, cwd: string): string[] {
  let root: string;
  try {
    root = gitRoot(cwd);
    git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch (e) {
    throw new Error(`--since/--base: "${ref}" is not a git revision here (${(e as { stderr?: string }).stderr?.trim() || (e as Error).message})`);
  }
  const base = git(cwd, ['merge-base', ref, 'HEAD']).trim();
  const out = new Set<string>();
  const add = (list: string) => list.split('\n').filter(Boolean).forEach((f) => out.add(path.resolve(root, f)));
  add(git(cwd, ['diff', '--name-only', '--diff-filter=AMR', base]));
  add(git(cwd, ['ls-files', '--others', '--exclude-standard']));
  return [...out];
}

/** Files staged for commit (added, copied, modified, renamed), for the pre-commit hook. */
export function stagedFiles(cwd: string): string[] {
  const root = gitRoot(cwd);
  return git(cwd, ['diff', '--cached', '--name-only', '--diff-filter=ACMR'])
    .split('\n')
    .filter(Boolean)
    .map((f) => path.resolve(root, f));
}
