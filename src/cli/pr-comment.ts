/**
 * The GitHub Action's sticky pull-request comment: one comment per pull request, found again
 * by a hidden marker and updated in place. Three REST endpoints, called with fetch:
 * list (paginated by the Link header), create and update issue comments.
 * The token goes only into the Authorization header of requests to the API's own origin.
 */
import type { LintResult } from '../lint/types.js';
import { markdownReport } from '../lint/reporters/markdown.js';
import { ALL_RULES } from '../../rules/index.js';

/** First line of the comment; the comment carrying it is the one updated. */
export const COMMENT_MARKER = '<!-- ddlguard:pr-comment -->';

/** GitHub refuses comment bodies over 65,536 characters. */
export const MAX_BODY = 65_536;

export interface FilePlan {
  file: string;
  /** `plan --format markdown` for this file, or the reason there is none. */
  markdown?: string;
  error?: string;
}

/** The comment: the findings table (the markdown report), then each risky file's online plan collapsed. */
export function commentBody(result: LintResult | null, plans: readonly FilePlan[], cwd: string): string {
  const head = [COMMENT_MARKER];
  if (!result || !result.summary || result.summary.files === 0) {
    head.push('## ddlguard: ✅ no migrations changed', '');
    return head.join('\n');
  }
  const report = markdownReport(result, { rules: ALL_RULES.map((r) => r.meta), cwd, color: false, sources: new Map(), files: [], toolVersion: '' });
  const sections = plans.map((p) =>
    [
      '<details>',
      `<summary>Online plan for <code>${escape(p.file)}</code> (<code>ddlguard plan --format markdown</code>)</summary>`,
      '',
      p.markdown ? demoteHeadings(p.markdown.replace(/\s+$/, ''), 3) : `No plan: ${escape(p.error ?? 'unknown error')}`,
      '',
      '</details>',
      '',
    ].join('\n'),
  );
  const body = (parts: string[]) => [...head, report, ...(parts.length ? ['### Online plans', '', ...parts] : [])].join('\n');
  // Keep under GitHub's limit: drop plans from the end, then cut the report.
  const kept = [...sections];
  let text = body(kept);
  while (text.length > MAX_BODY && kept.length) {
    kept.pop();
    const dropped = sections.length - kept.length;
    text = body([...kept, `_${dropped} plan${dropped === 1 ? '' : 's'} left out: the comment would exceed GitHub's size limit. Run \`ddlguard plan --format markdown\` locally._\n`]);
  }
  if (text.length > MAX_BODY) text = `${text.slice(0, MAX_BODY - 200)}\n\n_… cut at GitHub's size limit; the job summary has the full report._\n`;
  return text;
}

/** Headings `levels` deeper (at most ######), outside fenced code: a plan's `#` title sits under the comment's own. */
export function demoteHeadings(markdown: string, levels: number): string {
  let fence: string | null = null;
  return markdown
    .split('\n')
    .map((line) => {
      const f = /^(`{3,}|~{3,})/.exec(line);
      if (f) {
        if (fence === null) fence = f[1]!;
        else if (line.startsWith(fence)) fence = null;
        return line;
      }
      if (fence !== null) return line;
      const h = /^(#{1,6}) /.exec(line);
      return h ? `${'#'.repeat(Math.min(6, h[1]!.length + levels))}${line.slice(h[1]!.length)}` : line;
    })
    .join('\n');
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface CommentTarget {
  /** GITHUB_API_URL, e.g. https://api.github.com */
  apiUrl: string;
  token: string;
  /** owner/name */
  repository: string;
  pr: number;
}

export class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface IssueComment {
  id: number;
  body?: string;
  html_url?: string;
}

export interface UpsertResult {
  action: 'created' | 'updated' | 'unchanged' | 'skipped';
  id: number;
  url?: string;
}

/** The `rel="next"` URL of a Link header. */
export function nextLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1]!;
  }
  return null;
}

/**
 * Update the pull request's comment that carries the marker, or create it (unless `create` is
 * false: a pull request with nothing to report gets no new comment, only an update of one it has).
 */
export async function upsertComment(target: CommentTarget, body: string, opts: { create?: boolean; fetch?: typeof fetch } = {}): Promise<UpsertResult> {
  const fetchImpl = opts.fetch ?? fetch;
  const api = target.apiUrl.replace(/\/+$/, '');
  const origin = new URL(api).origin;
  const headers = {
    accept: 'application/vnd.github+json',
    authorization: `Bearer ${target.token}`,
    'content-type': 'application/json',
    'user-agent': 'ddlguard-action',
    'x-github-api-version': '2022-11-28',
  };
  const call = async (method: string, url: string, payload?: unknown): Promise<Response> => {
    // Never send the token anywhere but the API (a Link header could name another host).
    if (new URL(url).origin !== origin) throw new GitHubApiError(0, `refusing to follow ${new URL(url).origin} (not ${origin})`);
    let res: Response;
    try {
      res = await fetchImpl(url, { method, headers, ...(payload === undefined ? {} : { body: JSON.stringify(payload) }) });
    } catch (e) {
      throw new GitHubApiError(0, `${method} ${new URL(url).pathname}: ${(e as Error).message}`);
    }
    if (!res.ok) {
      let detail = '';
      try {
        const j = (await res.json()) as { message?: string };
        if (typeof j.message === 'string') detail = `: ${j.message}`;
      } catch {
        // no JSON body
      }
      throw new GitHubApiError(res.status, `${method} ${new URL(url).pathname} returned HTTP ${res.status}${detail}`);
    }
    return res;
  };
  const [owner, name] = target.repository.split('/');
  const issue = `${api}/repos/${encodeURIComponent(owner ?? '')}/${encodeURIComponent(name ?? '')}/issues`;
  let url: string | null = `${issue}/${target.pr}/comments?per_page=100`;
  let existing: IssueComment | undefined;
  for (let page = 0; url && !existing && page < 100; page++) {
    const res = await call('GET', url);
    const comments = (await res.json()) as IssueComment[];
    existing = comments.find((c) => typeof c.body === 'string' && c.body.startsWith(COMMENT_MARKER));
    url = nextLink(res.headers.get('link'));
  }
  if (existing) {
    if (existing.body === body) return { action: 'unchanged', id: existing.id, ...(existing.html_url ? { url: existing.html_url } : {}) };
    const res = await call('PATCH', `${issue}/comments/${existing.id}`, { body });
    const c = (await res.json()) as IssueComment;
    return { action: 'updated', id: existing.id, ...(c.html_url ? { url: c.html_url } : {}) };
  }
  if (opts.create === false) return { action: 'skipped', id: 0 };
  const res = await call('POST', `${issue}/${target.pr}/comments`, { body });
  const c = (await res.json()) as IssueComment;
  return { action: 'created', id: c.id, ...(c.html_url ? { url: c.html_url } : {}) };
}
