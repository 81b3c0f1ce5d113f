/**
 * The GitHub Action as a runner starts it: the committed bundle (action.yml `main:`), copied
 * with action.yml and package.json into a folder with no node_modules anywhere above it (no
 * install step), started with node and the INPUT_* / GITHUB_* variables, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

export const ROOT = path.resolve(__dirname, '../..');

/** action.yml's `runs.main`, read from the file (a node24 action). */
export function actionMain(): string {
  const { runs } = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as { runs: { using?: string; main?: string } };
  if (runs.using !== 'node24') throw new Error(`action.yml runs.using is ${runs.using}, expected node24`);
  if (!runs.main) throw new Error('action.yml has no runs.main');
  return runs.main;
}

let installed: string | null = null;
/** The action's folder as the runner downloads it, without node_modules; the entry's path. */
export function installedAction(): string {
  if (installed) return installed;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-action-'));
  const main = actionMain();
  for (const f of ['action.yml', 'package.json', path.dirname(main)]) cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  installed = path.join(dir, main);
  return installed;
}

export interface Repo {
  dir: string;
  git: (...a: string[]) => string;
  write: (f: string, t: string) => void;
}

export function repo(): Repo {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-repo-'));
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  git('init', '-q', '-b', 'main');
  const write = (f: string, t: string) => {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), t);
  };
  return { dir, git, write };
}

/** A repository with a base commit and a pull request commit; the event file names the base. */
export function pullRequest(base: Record<string, string>, pr: Record<string, string>, number = 7): Repo & { event: string } {
  const r = repo();
  for (const [f, t] of Object.entries(base)) r.write(f, t);
  r.git('add', '.');
  r.git('commit', '-qm', 'base');
  const sha = r.git('rev-parse', 'HEAD').trim();
  for (const [f, t] of Object.entries(pr)) r.write(f, t);
  r.git('add', '.');
  r.git('commit', '-qm', 'pr');
  const event = path.join(r.dir, '..', `${path.basename(r.dir)}-event.json`);
  writeFileSync(event, JSON.stringify({ pull_request: { number, base: { sha } } }));
  return { ...r, event };
}

export interface ActionRun {
  status: number;
  stdout: string;
  stderr: string;
  summary: string;
  output: string;
}

/** Run the installed action (asynchronously, so a server in this process can answer it). */
export function runAction(r: Repo & { event: string }, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  const side = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-runner-'));
  const summary = path.join(side, 'summary.md');
  const output = path.join(side, 'output');
  writeFileSync(summary, '');
  writeFileSync(output, '');
  const vars: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: r.event, GITHUB_WORKSPACE: r.dir, GITHUB_REPOSITORY: 'acme/shop', GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output, ...env };
  for (const [k, v] of Object.entries(inputs)) vars[`INPUT_${k.toUpperCase()}`] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [installedAction()], { cwd: r.dir, env: vars });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr, summary: readFileSync(summary, 'utf8'), output: readFileSync(output, 'utf8') }));
  });
}
