/**
 * Changed-files mode: which files changed since a git ref (committed, staged,
 * unstaged and untracked), for `--since` and the GitHub Action; and the history the
 * baseline consults for migrations added before its cut-off.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { GitHistory } from './baseline.js';

function git(cwd: string, args: string[]): string {
  // Loaded here, not with the module: lint loads this module on every run, git only with --since/--base.
  const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
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

/**
 * The git history the baseline asks about (src/migrations/baseline.ts). Each question
 * answers null when git cannot tell (not a repository, no such commit, a shallow clone
 * without it).
 */
export function gitHistory(cwd: string): GitHistory {
  // Resolved on the first question: a baseline that matches never asks, so never runs git.
  let top: string | null | undefined;
  const root = () => {
    if (top === undefined) {
      try {
        top = gitRoot(cwd);
      } catch {
        top = null;
      }
    }
    return top;
  };
  const rel = (r: string, p: string) => path.relative(r, path.resolve(cwd, p)).split(path.sep).join('/') || '.';
  return {
    commitTouching(text, file) {
      const r = root();
      if (!r) return null;
      try {
        return git(r, ['log', '-1', '--format=%H', `-S${text}`, '--', rel(r, file)]).trim() || null;
      } catch {
        return null;
      }
    },
    filesAt(commit, dir) {
      const r = root();
      if (!r) return null;
      try {
        return git(r, ['ls-tree', '-r', '--name-only', '--full-tree', commit, '--', rel(r, dir)])
          .split('\n')
          .filter(Boolean)
          .map((f) => path.resolve(r, f));
      } catch {
        return null;
      }
    },
  };
}
