import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ALL_RULES } from '../../../rules/index.js';
import { ruleDoc } from '../../lint/rule-doc.js';

/** Write docs/rules/<id>.md and the README rule table from the rule metadata. */
export async function runGenDocs(args: { out?: string }): Promise<number> {
  const out = args.out ?? 'docs/rules';
  mkdirSync(out, { recursive: true });
  for (const r of ALL_RULES) writeFileSync(path.join(out, `${r.meta.id}.md`), ruleDoc(r.meta));
  writeFileSync(path.join(out, 'README.md'), ruleTable());
  process.stdout.write(`wrote ${ALL_RULES.length} rule pages to ${out}\n`);
  return 0;
}

export function ruleTable(): string {
  const rows = ALL_RULES.map((r) => `| [${r.meta.id}](${r.meta.id}.md) | ${r.meta.category} | ${r.meta.defaultSeverity} | ${r.meta.summary} | ${r.meta.lock} |`);
  return ['# Rules', '', '| id | category | default | what it catches | lock |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}
