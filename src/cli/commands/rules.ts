import { ALL_RULES, ruleById } from '../../../rules/index.js';
import { ruleDoc } from '../../lint/rule-doc.js';
import { CliError } from '../exit.js';

export async function runRules(args: { format?: string }): Promise<number> {
  if (args.format === 'json') {
    process.stdout.write(JSON.stringify(ALL_RULES.map((r) => r.meta), null, 2) + '\n');
    return 0;
  }
  if (args.format === 'markdown') {
    const { ruleTable } = await import('./docs.js');
    process.stdout.write(ruleTable());
    return 0;
  }
  const width = Math.max(...ALL_RULES.map((r) => r.meta.id.length));
  let category = '';
  for (const r of ALL_RULES) {
    if (r.meta.category !== category) {
      category = r.meta.category;
      process.stdout.write(`\n${category}\n`);
    }
    process.stdout.write(`  ${r.meta.id.padEnd(width)}  ${r.meta.defaultSeverity.padEnd(7)}  ${r.meta.summary}\n`);
  }
  return 0;
}

export async function runExplain(args: { rule?: string }): Promise<number> {
  const rule = args.rule ? ruleById(args.rule) : undefined;
  if (!rule) throw new CliError(`explain: unknown rule id "${args.rule}" (run \`ddlguard rules\` for the list)`);
  process.stdout.write(ruleDoc(rule.meta));
  return 0;
}
