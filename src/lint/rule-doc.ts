/** A rule's documentation page, generated from its meta: `ddlguard explain` and docs/rules/<id>.md. */
import type { RuleMeta } from './types.js';

export function ruleDoc(meta: RuleMeta): string {
  const d = meta.docs;
  return [
    `# ${meta.id}`,
    '',
    `**Category:** ${meta.category} · **Default severity:** ${meta.defaultSeverity} · **Lock:** ${meta.lock}${meta.fixable ? ' · **Fixable**' : ''}`,
    '',
    meta.summary,
    '',
    '## Why',
    '',
    d.description,
    '',
    '## Bad',
    '',
    '```sql',
    d.bad,
    '```',
    '',
    '## Safe alternative',
    '',
    '```sql',
    d.good,
    '```',
    '',
    '## PostgreSQL documentation',
    '',
    ...d.links.map((l) => `- ${l}`),
    '',
    `Silence it for one statement with \`-- ddlguard-ignore ${meta.id}\` on the line before, or for a file with \`-- ddlguard-ignore-file ${meta.id}\`.`,
    '',
  ].join('\n');
}
