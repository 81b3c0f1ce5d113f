#!/usr/bin/env node
/**
 * GitHub Action entry point (action.yml runs `node dist/src/cli/action.js`).
 * Reads the inputs GitHub passes as INPUT_* variables, finds the pull request's
 * base from the event payload, and lints only the migrations the PR changes,
 * printing workflow-command annotations and writing the job summary.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function input(name: string): string {
  return (process.env[`INPUT_${name.toUpperCase()}`] ?? '').trim();
}

/** The base commit of the pull request, or '' when this is not a PR event. */
export function baseRef(env: NodeJS.ProcessEnv = process.env): string {
  const eventPath = env.GITHUB_EVENT_PATH;
  if (eventPath) {
    try {
      const event = JSON.parse(readFileSync(eventPath, 'utf8')) as { pull_request?: { base?: { sha?: string } }; before?: string };
      if (event.pull_request?.base?.sha) return event.pull_request.base.sha;
      if (event.before && !/^0+$/.test(event.before)) return event.before;
    } catch {
      // fall through to GITHUB_BASE_REF
    }
  }
  return env.GITHUB_BASE_REF ? `origin/${env.GITHUB_BASE_REF}` : '';
}

function main(): number {
  const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');
  const cwd = process.env.GITHUB_WORKSPACE || process.cwd();
  const paths = input('paths').split(/[\s,]+/).filter(Boolean);
  const args = ['lint', ...paths];
  const pg = input('pg-version');
  if (pg) args.push('--pg-version', pg);
  const config = input('config');
  if (config) args.push('--config', config);
  args.push('--severity-threshold', input('fail-on') || 'error');
  const base = input('base') || baseRef();
  if (base && input('all-files') !== 'true') args.push('--since', base);
  // all-files: every migration, the baseline's released ones too (as before the baseline existed).
  if (input('all-files') === 'true') args.push('--all');
  const format = input('format') || 'github';
  const run = (fmt: string) => spawnSync(process.execPath, [cli, ...args, '--format', fmt], { cwd, encoding: 'utf8', env: process.env, maxBuffer: 1 << 28 });
  const r = run(format);
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  if (input('upload-sarif') === 'true') {
    const file = path.join(cwd, 'ddlguard.sarif');
    writeFileSync(file, run('sarif').stdout ?? '');
    if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `sarif-file=${file}\n`);
  }
  return r.status ?? 2;
}

process.exitCode = main();
