import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gitRoot } from '../../migrations/git.js';
import { CliError } from '../exit.js';

const MARKER = '# installed by ddlguard install-hook';

export function hookScript(extraArgs: string[]): string {
  const quoted = extraArgs.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return [
    '#!/bin/sh',
    MARKER,
    '# Lints the staged SQL migrations; remove this file to uninstall.',
    "git diff --cached --name-only -z --diff-filter=ACMR -- '*.sql' | xargs -0 -r npx --no-install ddlguard lint " + quoted,
    '',
  ].join('\n');
}

/** Write .git/hooks/pre-commit that lints staged .sql files. */
export async function runInstallHook(args: { force?: boolean; args?: string[] }): Promise<number> {
  let root: string;
  try {
    root = gitRoot(process.cwd());
  } catch {
    throw new CliError('install-hook: not inside a git repository');
  }
  const hook = path.join(root, '.git', 'hooks', 'pre-commit');
  if (existsSync(hook) && !readFileSync(hook, 'utf8').includes(MARKER) && !args.force) {
    throw new CliError(`install-hook: ${hook} exists and was not written by ddlguard (use --force to replace it)`);
  }
  writeFileSync(hook, hookScript(args.args ?? []));
  chmodSync(hook, 0o755);
  process.stdout.write(`installed ${path.relative(process.cwd(), hook) || hook}\n`);
  return 0;
}
