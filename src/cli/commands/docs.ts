import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ALL_RULES } from '../../../rules/index.js';
import { ruleDoc } from '../../lint/rule-doc.js';
import { LOCK_FACTS } from '../../locks/table.js';

/** Write docs/rules/<id>.md and the README rule table from the rule metadata. */
export async function runGenDocs(args: { out?: string }): Promise<number> {
  const out = args.out ?? 'docs/rules';
  mkdirSync(out, { recursive: true });
  for (const r of ALL_RULES) writeFileSync(path.join(out, `${r.meta.id}.md`), ruleDoc(r.meta));
  writeFileSync(path.join(out, 'README.md'), ruleTable());
  writeFileSync(path.join(out, '..', 'locks.md'), lockTableDoc());
  process.stdout.write(`wrote ${ALL_RULES.length} rule pages to ${out}\n`);
  return 0;
}

export function ruleTable(): string {
  const rows = ALL_RULES.map((r) => `| [${r.meta.id}](${r.meta.id}.md) | ${r.meta.category} | ${r.meta.defaultSeverity} | ${r.meta.summary} | ${r.meta.lock} |`);
  return ['# Rules', '', '| id | category | default | what it catches | lock |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}

/** docs/locks.md: the lock knowledge table, as the rules and the planner read it. */
export function lockTableDoc(): string {
  const rows: string[] = [];
  for (const f of LOCK_FACTS) {
    for (const v of f.variants) {
      const versions = v.since !== undefined && v.until !== undefined ? `${v.since}-${v.until}` : v.since !== undefined ? `${v.since}+` : v.until !== undefined ? `<= ${v.until}` : 'all';
      const locks = v.unsupported ? 'not supported' : v.locks.map((l) => `${l.mode}${l.target === 'table' ? '' : ` (${l.target})`}`).join(', ') || 'none';
      rows.push(`| \`${f.id}\` | ${f.statement.replace(/\|/g, '\\|')} | ${versions} | ${locks} | ${v.rewrite ? 'yes' : 'no'} | ${v.scan ? 'yes' : 'no'} | ${v.transactional === false ? 'no' : 'yes'} | ${(v.note ?? '').replace(/\|/g, '\\|')} |`);
    }
  }
  return [
    '# Lock knowledge table',
    '',
    'Generated from `src/locks/table.ts` (`node dist/src/cli/main.js gen-docs`). Every rule and the planner read these facts; the conformance suite (`test/trace/conformance*.test.ts`) runs a sample of each on PGlite and on PostgreSQL 15 and 18 and fails when the server disagrees.',
    '',
    '| fact | statement | PostgreSQL | locks | rewrite | scan | in a transaction | note |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
