/**
 * Comments and the ddlguard directives they carry.
 *   -- ddlguard-ignore rule-a, rule-b [-- reason]   (the statement it is attached to)
 *   -- ddlguard-ignore-file rule-a [-- reason]      (the whole file)
 *   -- ddlguard: contract users.email after v2.3    (expand/contract marker)
 */
import type { Span } from './source.js';

export interface Comment {
  text: string;
  span: Span;
  /** true for `/* ... *\/`, false for `-- ...`. */
  block: boolean;
}

export type Directive =
  | { kind: 'ignore'; rules: string[]; span: Span }
  | { kind: 'ignore-file'; rules: string[]; span: Span }
  | { kind: 'contract'; object: string; after: string | null; span: Span };

const IGNORE_RE = /^ddlguard-ignore(-file)?\b(.*)$/;
const CONTRACT_RE = /^ddlguard:\s*contract\s+(\S+)(?:\s+after\s+(\S+))?/;

export function commentBody(c: Comment): string {
  if (c.block) return c.text.replace(/^\/\*+/, '').replace(/\*+\/$/, '').trim();
  return c.text.replace(/^--+/, '').trim();
}

export function parseDirective(c: Comment): Directive | null {
  // Both forms start with "ddlguard": most comments are not directives.
  if (!c.text.includes('ddlguard')) return null;
  const body = commentBody(c);
  const ignore = IGNORE_RE.exec(body);
  if (ignore) {
    const list = (ignore[2] ?? '').split(/\s--\s|\s#\s/)[0] ?? '';
    const rules = list
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    return { kind: ignore[1] ? 'ignore-file' : 'ignore', rules, span: c.span };
  }
  const contract = CONTRACT_RE.exec(body);
  if (contract) {
    return { kind: 'contract', object: contract[1] ?? '', after: contract[2] ?? null, span: c.span };
  }
  return null;
}
