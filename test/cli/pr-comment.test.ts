/**
 * The Action's sticky pull-request comment against a local stand-in for the GitHub REST API
 * (node:http): list issue comments (paginated with a Link header), create, update.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullRequest, runAction, type ActionRun } from './action-support.js';

const TOKEN = 'ghs_testtoken0123456789abcdefABCDEF';
const MARKER = '<!-- ddlguard:pr-comment -->';

interface Comment {
  id: number;
  body: string;
  html_url: string;
}

/** Issue comments per pull request, the requests seen, and a switch for a read-only token. */
class GitHubStandIn {
  comments = new Map<number, Comment[]>();
  requests: Array<{ method: string; path: string; auth: string | undefined }> = [];
  readOnly = false;
  perPageMax = 100;
  private nextId = 1000;
  server: Server = createServer((req, res) => void this.handle(req, res));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  add(pr: number, body: string): Comment {
    const c = { id: this.nextId++, body, html_url: `https://github.example/acme/shop/pull/${pr}#issuecomment-${this.nextId}` };
    this.comments.set(pr, [...(this.comments.get(pr) ?? []), c]);
    return c;
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? '', path: u.pathname, auth: req.headers.authorization });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { message: 'Bad credentials' });
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const list = /^\/repos\/acme\/shop\/issues\/(\d+)\/comments$/.exec(u.pathname);
    const one = /^\/repos\/acme\/shop\/issues\/comments\/(\d+)$/.exec(u.pathname);
    if (list && req.method === 'GET') {
      const all = this.comments.get(Number(list[1])) ?? [];
      const per = Math.min(Number(u.searchParams.get('per_page') ?? 30), this.perPageMax);
      const page = Number(u.searchParams.get('page') ?? 1);
      const headers: Record<string, string> = {};
      if (page * per < all.length) {
        const next = new URL(u);
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${next}>; rel="next", <${this.url}/x?page=99>; rel="last"`;
      }
      return send(200, all.slice((page - 1) * per, page * per), headers);
    }
    if (this.readOnly && req.method !== 'GET') return send(403, { message: 'Resource not accessible by integration' });
    if (list && req.method === 'POST') return send(201, this.add(Number(list[1]), JSON.parse(raw).body));
    if (one && req.method === 'PATCH') {
      for (const cs of this.comments.values()) {
        const c = cs.find((x) => x.id === Number(one[1]));
        if (c) {
          c.body = JSON.parse(raw).body;
          return send(200, c);
        }
      }
      return send(404, { message: 'Not Found' });
    }
    return send(404, { message: 'Not Found' });
  }

  writes(): string[] {
    return this.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
  }
}

const gh = new GitHubStandIn();
beforeAll(() => gh.start());
afterAll(() => new Promise<void>((resolve) => gh.server.close(() => resolve())));

const BASE = { 'db/001_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n' };
const RISKY = { 'db/002_email.sql': "SET lock_timeout = '1s';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n" };
const env = () => ({ GITHUB_API_URL: gh.url });
const inputs = { paths: 'db', comment: 'true', 'github-token': TOKEN };

function noToken(run: ActionRun): void {
  for (const text of [run.stdout, run.stderr, run.summary, run.output]) expect(text).not.toContain(TOKEN);
}

describe('sticky pull-request comment', () => {
  it('is created once with the findings and the online plan, then updated in place', async () => {
    const r = pullRequest(BASE, RISKY, 1);
    const first = await runAction(r, inputs, env());
    expect(first.stderr).toBe('');
    expect(first.status).toBe(1);
    expect(gh.writes()).toEqual(['POST /repos/acme/shop/issues/1/comments']);
    const [c] = gh.comments.get(1)!;
    expect(c!.body.startsWith(MARKER)).toBe(true);
    expect(c!.body).toMatch(/\| 2 \| \[`set-not-null-scan`\]/);
    expect(c!.body).toContain('<summary>Online plan for <code>db/002_email.sql</code>');
    // the plan itself: the NOT NULL proven by a NOT VALID check, collapsed
    expect(c!.body).toMatch(/<details>\n<summary>Online plan[^\n]*\n\n#### Migration plan[\s\S]*NOT VALID[\s\S]*<\/details>/);
    expect(first.output).toContain(`comment-url=${c!.html_url}`);
    expect(gh.requests.every((q) => q.auth === `Bearer ${TOKEN}`)).toBe(true);
    noToken(first);

    // The pull request changes: the same comment is updated, not duplicated.
    r.write('db/002_email.sql', 'CREATE INDEX users_email_idx ON users (email);\n');
    r.git('commit', '-qam', 'fix');
    const second = await runAction(r, inputs, env());
    expect(second.status).toBe(1);
    expect(gh.writes()).toEqual(['POST /repos/acme/shop/issues/1/comments', `PATCH /repos/acme/shop/issues/comments/${c!.id}`]);
    expect(gh.comments.get(1)).toHaveLength(1);
    expect(gh.comments.get(1)![0]!.body).toContain('require-concurrent-index');
    expect(gh.comments.get(1)![0]!.body).not.toContain('set-not-null-scan');
    noToken(second);
  });

  it('finds its comment on a later page (Link header) and updates it', async () => {
    const pr = 2;
    for (let i = 0; i < 3; i++) gh.add(pr, `someone else's comment ${i}`);
    const ours = gh.add(pr, `${MARKER}\nold report`);
    gh.add(pr, 'a later comment');
    gh.perPageMax = 2; // pages of 2: ours is on page 2
    gh.requests = [];
    try {
      const r = pullRequest(BASE, RISKY, pr);
      const run = await runAction(r, inputs, env());
      expect(run.status).toBe(1);
      expect(gh.requests.filter((q) => q.method === 'GET').length).toBe(2);
      expect(gh.writes()).toEqual([`PATCH /repos/acme/shop/issues/comments/${ours.id}`]);
      expect(gh.comments.get(pr)!.find((c) => c.id === ours.id)!.body).toContain('set-not-null-scan');
      expect(gh.comments.get(pr)).toHaveLength(5);
      noToken(run);
    } finally {
      gh.perPageMax = 100;
    }
  });

  it("a fork's read-only token (403) is a warning; the exit code comes from the findings", async () => {
    gh.readOnly = true;
    gh.requests = [];
    try {
      const risky = await runAction(pullRequest(BASE, RISKY, 3), inputs, env());
      expect(risky.status).toBe(1);
      expect(risky.stdout).toMatch(/^::warning title=ddlguard::could not write the pull-request comment \(POST \/repos\/acme\/shop\/issues\/3\/comments returned HTTP 403: Resource not accessible by integration\)/m);
      expect(risky.stdout).toContain('::error file=db/002_email.sql');
      noToken(risky);
      // A clean pull request whose earlier comment reported findings: the update is refused.
      const earlier = gh.add(4, `${MARKER}\nold findings`);
      const safe = await runAction(pullRequest(BASE, { 'db/002_posts.sql': 'CREATE TABLE posts (id bigint PRIMARY KEY);\n' }, 4), inputs, env());
      expect(safe.status).toBe(0);
      expect(safe.stdout).toMatch(/^::warning title=ddlguard::could not write the pull-request comment \(PATCH \/repos\/acme\/shop\/issues\/comments\/\d+ returned HTTP 403/m);
      expect(gh.comments.get(4)).toEqual([earlier]);
      expect(gh.comments.get(3)).toBeUndefined();
      noToken(safe);
    } finally {
      gh.readOnly = false;
    }
  });
});

describe('a clean pull request', () => {
  it('gets no new comment, but its earlier comment is updated to say so', async () => {
    gh.requests = [];
    const safe = { 'db/002_posts.sql': 'CREATE TABLE posts (id bigint PRIMARY KEY);\n' };
    const none = await runAction(pullRequest(BASE, safe, 5), inputs, env());
    expect(none.status).toBe(0);
    expect(none.stdout).toContain('nothing to report, no pull-request comment posted');
    expect(gh.writes()).toEqual([]);
    const earlier = gh.add(6, `${MARKER}\nold findings`);
    const fixed = await runAction(pullRequest(BASE, safe, 6), inputs, env());
    expect(fixed.status).toBe(0);
    expect(gh.writes()).toEqual([`PATCH /repos/acme/shop/issues/comments/${earlier.id}`]);
    expect(gh.comments.get(6)![0]!.body).toContain('no problems');
  });
});

describe('comment body', () => {
  it("stays under GitHub's size limit by leaving plans out, and says so", async () => {
    const { commentBody, MAX_BODY, nextLink } = await import('../../src/cli/pr-comment.js');
    const result = { version: 1, findings: [{ file: 'db/1.sql', line: 1, column: 1, rule: 'set-not-null-scan', severity: 'error', message: 'scan' }], errors: [], summary: { files: 1, statements: 1, historyFiles: 0, pgVersion: 16 } } as never;
    const plans = Array.from({ length: 5 }, (_, i) => ({ file: `db/${i}.sql`, markdown: `# Migration plan\n\n${'x'.repeat(20_000)}` }));
    const body = commentBody(result, plans, '/');
    expect(body.length).toBeLessThanOrEqual(MAX_BODY);
    expect(body.startsWith(MARKER)).toBe(true);
    expect(body).toContain('| 1 | [`set-not-null-scan`]');
    expect(body).toContain('<code>db/0.sql</code>');
    expect(body).toMatch(/_\d plans left out: the comment would exceed GitHub's size limit/);
    expect(body).toContain('#### Migration plan');
    expect(nextLink('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"')).toBe('https://api.github.com/x?page=2');
    expect(nextLink('<https://api.github.com/x?page=1>; rel="prev"')).toBeNull();
  });
});
