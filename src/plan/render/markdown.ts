/** A reviewable Markdown plan: phases, steps with lock / duration risk / rollback, up to which step rollback is possible, and a diff of the original vs the planned SQL. */
import { createTwoFilesPatch } from 'diff';
import { describeBlocks } from '../../locks/modes.js';
import { PHASES, type Plan, type PlanStep } from '../model.js';
import { describeBlocking } from '../blocking-text.js';
import { rollbackHorizon, stepUndo } from '../rewrites/undo.js';

const RISK: Record<PlanStep['risk'], string> = {
  instant: 'instant (catalog only)',
  scan: 'proportional to table size, does not block reads or writes',
  batched: 'proportional to table size, in short batches',
  'blocking-scan': 'proportional to table size, blocks while it scans',
  'blocking-rewrite': 'proportional to table size, blocks while it rewrites',
};

export function plannedSql(plan: Plan): string {
  return plan.steps.map((s) => `-- ${s.id} (${s.phase})\n${s.sql};\n`).join('\n');
}

export function renderMarkdown(plan: Plan, originals: { path: string; text: string }[] = []): string {
  const out: string[] = [];
  out.push(`# Migration plan \`${plan.id}\``, '', `PostgreSQL ${plan.pgVersion} · ${plan.steps.length} steps · source sha256 \`${plan.sourceHash.slice(0, 16)}\``, '');
  if (plan.schemaSources?.length) out.push(`Schema from ${plan.schemaSources.join(', ')}.`, '');
  const blocking = plan.steps.filter((s) => s.blocking);
  if (blocking.length) {
    out.push('## Blocking steps', '', 'These block the application for as long as their table is big; `ddlguard apply` refuses them unless `--allow-blocking <step>` names them.', '');
    for (const s of blocking) {
      out.push(`- \`${s.id}\`: ${describeBlocking(s.blocking!)}`);
      if (s.blocking!.estimate) out.push(`  - estimate: ${s.blocking!.estimate.basis}`);
      for (const m of s.blocking!.missing) out.push(`  - not online: ${m}`);
    }
    out.push('');
  }
  if (plan.notes.length) {
    out.push('## Notes', '');
    for (const n of plan.notes) out.push(n.file ? `- \`${n.file}:${n.line}\`: ${n.message}` : `- ${n.message}`);
    out.push('');
  }
  const horizon = rollbackHorizon(plan.steps);
  out.push('## Rollback', '');
  if (horizon) {
    out.push(
      `\`ddlguard rollback\` is possible until \`${horizon.step.id}\` runs: after it, ${horizon.why}. ` +
        `Once it has run, \`ddlguard rollback --to ${horizon.step.id}\` still undoes the steps after it.`,
      '',
    );
  } else out.push('Every step can be rolled back with `ddlguard rollback`.', '');
  for (const phase of PHASES) {
    const steps = plan.steps.filter((s) => s.phase === phase);
    if (!steps.length) continue;
    out.push(`## ${phase[0]!.toUpperCase()}${phase.slice(1)}`, '');
    for (const s of steps) {
      out.push(`### \`${s.id}\``, '');
      out.push(`- source: \`${s.source.file}:${s.source.line}\` (${s.rewrite})`);
      out.push(`- lock: ${s.lock ? `${s.lock.mode} on \`${s.lock.relation}\` (${describeBlocks(s.lock.mode)})` : 'none'}`);
      out.push(`- duration risk: ${RISK[s.risk]}`);
      out.push(`- transaction: ${s.transaction === 'none' ? 'none (must run outside a transaction block)' : 'its own'}`);
      out.push(`- guard: ${s.guard.kind === 'lock-timeout' ? `lock_timeout ${s.guard.lockTimeoutMs} ms, ${s.guard.retries} retries` : s.guard.reason}`);
      const undo = stepUndo(s);
      out.push(`- rollback: ${undo.kind === 'impossible' ? `**irreversible**: ${undo.why}` : s.rollback ? `\`${s.rollback.replace(/\n/g, ' ')}\`` : 'none needed'}`);
      if (s.batch) out.push(`- batches: ${s.batch.batchSize} rows by \`${s.batch.keyColumns.join(', ')}\``);
      for (const n of s.notes) out.push(`- note: ${n}`);
      out.push('', '```sql', s.sql + ';', '```', '');
    }
  }
  if (originals.length) {
    const original = originals.map((f) => `-- ${f.path}\n${f.text.trimEnd()}\n`).join('\n');
    out.push('## Diff', '', '```diff', createTwoFilesPatch('original.sql', 'planned.sql', original, plannedSql(plan)).trimEnd(), '```', '');
  }
  return out.join('\n');
}
