#!/usr/bin/env node
/**
 * GitHub Action entry point. action.yml runs the committed bundle of this file
 * (action/dist/index.js, built by scripts/build-action.mjs) with `using: node24`: nothing is
 * installed on the runner. Reads the inputs GitHub passes as INPUT_* variables, finds the pull
 * request's base from the event payload, and lints only the migrations the PR changes,
 * printing workflow-command annotations and writing the job summary; with `comment: true`
 * it also keeps one pull-request comment up to date (findings and online plans).
 *
 * Each lint run (annotations, SARIF, the comment's JSON) is this same file started again
 * with DDLGUARD_ACTION_CHILD=1, which runs `ddlguard lint <args>` in that process.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT_USAGE } from './exit.js';
import { parserFlags } from './parser-flags.js';

const SELF = fileURLToPath(import.meta.url);
const CHILD_ENV = 'DDLGUARD_ACTION_CHILD';

function input(name: string): string {
  return (process.env[`INPUT_${name.toUpperCase()}`] ?? '').trim();
}

function readEvent(env: NodeJS.ProcessEnv): { pull_request?: { number?: number; base?: { sha?: string } }; before?: string } | null {
  if (!env.GITHUB_EVENT_PATH) return null;
  try {
    return JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
  } catch {
    return null;
  }
}

/** The base commit of the pull request, or '' when this is not a PR event. */
export function baseRef(env: NodeJS.ProcessEnv = process.env): string {
  const event = readEvent(env);
  if (event?.pull_request?.base?.sha) return event.pull_request.base.sha;
  if (event?.before && !/^0+$/.test(event.before)) return event.before;
  return env.GITHUB_BASE_REF ? `origin/${env.GITHUB_BASE_REF}` : '';
}

/** A workflow command's message, escaped as the runner expects. */
function commandText(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function warn(message: string): void {
  process.stdout.write(`::warning title=ddlguard::${commandText(message)}\n`);
}

function setOutput(name: string, value: string): void {
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `${name}=${value}\n`);
}

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * `ddlguard lint <args>` (or the comment's plans) in a child process: this file again. The token
 * is not passed on. The parser's V8 flags (parser-flags.ts) on its command line as well as set by
 * the child itself: without them V8's tier-up of the parser held each child's exit on Node 24
 * (0.6 s instead of 0.16 s for one file).
 */
function child(argv: string[], cwd: string, show: boolean): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: '1' };
  delete env['INPUT_GITHUB-TOKEN'];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...parserFlags(), SELF, ...argv], { cwd, env, stdio: ['ignore', show ? 'inherit' : 'pipe', show ? 'inherit' : 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolve({ status: EXIT_USAGE, stdout: '', stderr: e.message }));
    child.on('close', (code) => resolve({ status: code ?? EXIT_USAGE, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

async function runAction(): Promise<number> {
  const cwd = process.env.GITHUB_WORKSPACE || process.cwd();
  const paths = input('paths').split(/[\s,]+/).filter(Boolean);
  const args = [...paths];
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
  const main = await child(['lint', ...args, '--format', format], cwd, true);
  if (input('upload-sarif') === 'true') {
    const file = path.join(cwd, 'ddlguard.sarif');
    writeFileSync(file, (await child(['lint', ...args, '--format', 'sarif'], cwd, false)).stdout);
    setOutput('sarif-file', file);
  }
  if (input('comment').toLowerCase() === 'true') await postComment(args, paths, cwd);
  // The check passes or fails on the findings alone, whatever happened to the comment.
  return main.status;
}

/** The sticky comment. Every failure here is a warning: it never changes the exit code. */
async function postComment(args: string[], paths: string[], cwd: string): Promise<void> {
  const token = input('github-token');
  const event = readEvent(process.env);
  const pr = event?.pull_request?.number;
  const repository = process.env.GITHUB_REPOSITORY ?? '';
  if (!pr || !repository) {
    process.stdout.write('ddlguard: not a pull request event, no comment posted\n');
    return;
  }
  if (!token) {
    warn('comment: true needs a github-token (the default is the workflow token); no comment posted');
    return;
  }
  const json = await child(['lint', ...args, '--format', 'json'], cwd, false);
  let result: import('../lint/types.js').LintResult | null = null;
  try {
    result = JSON.parse(json.stdout);
  } catch {
    warn(`pull-request comment: lint gave no result (${json.stderr.trim().split('\n')[0] || `exit ${json.status}`}); no comment posted`);
    return;
  }
  const { commentBody, upsertComment, GitHubApiError } = await import('./pr-comment.js');
  const risky = [...new Set(result!.findings.filter((f) => f.severity !== 'info').map((f) => path.resolve(cwd, f.file)))];
  let plans: import('./pr-comment.js').FilePlan[] = [];
  if (risky.length) {
    const planned = await child(['plans', JSON.stringify({ risky, paths })], cwd, false);
    try {
      plans = JSON.parse(planned.stdout);
    } catch {
      const why = planned.stderr.trim().split('\n')[0] || `exit ${planned.status}`;
      plans = risky.map((f) => ({ file: path.relative(cwd, f), error: why }));
    }
  }
  const body = commentBody(result, plans, cwd);
  try {
    // Nothing to report and no comment yet: post none (most pull requests touch no migration).
    const create = result!.findings.length > 0 || (result!.errors?.length ?? 0) > 0;
    const r = await upsertComment({ apiUrl: process.env.GITHUB_API_URL || 'https://api.github.com', token, repository, pr }, body, { create });
    process.stdout.write(r.action === 'skipped' ? 'ddlguard: nothing to report, no pull-request comment posted\n' : `ddlguard: pull-request comment ${r.action}${r.url ? `: ${r.url}` : ''}\n`);
    if (r.url) setOutput('comment-url', r.url);
  } catch (e) {
    if (e instanceof GitHubApiError && e.status === 403) {
      warn(`could not write the pull-request comment (${e.message}). A pull request from a fork gets a read-only token; the job needs \`permissions: pull-requests: write\`. The findings above still decide the check.`);
    } else warn(`could not write the pull-request comment: ${(e as Error).message}`);
  }
}

/** `plan --format markdown` for each file with a warning or an error, the migrations before it as history. */
async function riskyPlans(risky: string[], paths: string[], cwd: string): Promise<import('./pr-comment.js').FilePlan[]> {
  const [{ discoverMigrations }, { planFromPaths }, { renderMarkdown }, { loadCliConfig }] = await Promise.all([
    import('../migrations/discover.js'),
    import('./commands/plan.js'),
    import('../plan/render/markdown.js'),
    import('./config.js'),
  ]);
  const here = process.cwd();
  process.chdir(cwd);
  try {
    const configPath = input('config') || undefined;
    const loaded = await loadCliConfig(configPath);
    const inputs = paths.length ? paths : (loaded.config.migrations ?? []).map((g) => path.relative(cwd, path.resolve(loaded.dir, g)) || '.');
    const all = await discoverMigrations(inputs, { cwd }).catch(() => []);
    const pg = input('pg-version');
    const plans: import('./pr-comment.js').FilePlan[] = [];
    for (const file of risky) {
      const display = path.relative(cwd, file).split(path.sep).join('/');
      const at = all.findIndex((m) => m.path === file);
      const history = (at < 0 ? all.filter((m) => m.path !== file) : all.slice(0, at)).map((m) => m.displayPath);
      try {
        const { plan, planned } = await planFromPaths({ paths: [display], history, ...(pg ? { pgVersion: Number(pg) } : {}) }, loaded);
        plans.push({ file: display, markdown: renderMarkdown(plan, planned) });
      } catch (e) {
        plans.push({ file: display, error: (e as Error).message });
      }
    }
    return plans;
  } catch (e) {
    return risky.map((f) => ({ file: path.relative(cwd, f), error: (e as Error).message }));
  } finally {
    process.chdir(here);
  }
}

/** The child: `ddlguard lint <args>` in this process, with the CLI's exit codes and error output. */
async function runChild(argv: string[]): Promise<number> {
  if (argv[0] === 'plans') {
    const { risky, paths } = JSON.parse(argv[1] ?? '{}') as { risky: string[]; paths: string[] };
    process.stdout.write(JSON.stringify(await riskyPlans(risky, paths, process.cwd())));
    return 0;
  }
  const { fastParseLint } = await import('./lint-options.js');
  const parsed = argv[0] === 'lint' ? await fastParseLint(argv.slice(1)) : null;
  if (!parsed) throw new CliError(`the action could not pass these arguments to lint: ${argv.join(' ')}`);
  const { runLint } = await import('./commands/lint.js');
  return runLint(parsed);
}

const isChild = process.env[CHILD_ENV] === '1';
(isChild ? runChild(process.argv.slice(2)) : runAction()).then(
  (code) => {
    process.exitCode = code;
    // Once stdout is flushed, end (as the CLI does) instead of waiting for the runtime to
    // wind down on its own (the parser's WebAssembly, fetch's keep-alive sockets).
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`ddlguard: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`ddlguard: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = EXIT_USAGE;
  },
);
