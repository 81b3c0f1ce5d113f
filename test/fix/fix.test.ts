/**
 * --fix: the fixes the rules carry, applied to every bad fixture of every fixable rule
 * (fixtures/rules/<rule>/bad*.sql) and to the cases in test/fix/cases/*.sql.
 *
 * For each input: the fixed SQL must parse, a second fix run must change nothing (the
 * fixes reach a fixpoint), and no finding the fix was offered for may remain. The fixed
 * texts are kept next to the tests (test/fix/expected/, test/fix/cases/*.fixed.sql) so a
 * change in what --fix writes shows up in review.
 *
 * Case headers: `-- transaction: wrapped|implicit|none`, `-- pg-version: N`,
 * `-- enable: rule-id` (a rule that is off by default); `<case>.history.sql` next to a
 * case is replayed after fixtures/rules/_history.sql.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../rules/index.js';
import { lintSources } from '../../src/lint/engine.js';
import { applyEdits, fixSources, selectFixes, type FixCandidate } from '../../src/lint/fix.js';
import type { LintResult, Rule } from '../../src/lint/types.js';
import { parseSqlFile } from '../../src/sql/parse.js';
import { loadParser } from '../../src/sql/parser.js';
import { caseInputs, FIXABLE, fixInput, lintInput, ruleFixtures, type FixInput } from './helpers.js';

beforeAll(async () => {
  await loadParser();
});

/** Checks every fixed text must pass; returns the fixed text. */
function checkFixed(input: FixInput): { fixed: string; before: LintResult; after: LintResult } {
  const before = lintInput(input);
  expect(before.errors).toEqual([]);
  const fixed = fixInput(input);
  const parsed = parseSqlFile('migration.sql', fixed);
  expect(parsed.error, `fixed SQL parses:\n${fixed}`).toBeNull();
  const after = lintInput(input, fixed);
  expect(after.errors).toEqual([]);
  // A fixpoint: nothing left that a fix is offered for, and fixing again changes nothing.
  expect(after.findings.filter((f) => f.fix).map((f) => `${f.rule} ${f.line}:${f.column}`)).toEqual([]);
  expect(fixInput({ ...input, text: fixed })).toBe(fixed);
  // No rule reports more than before (fixes do not trade one problem for another),
  // except prefer-robust-stmts, which looks at statements a fix moved out of a block.
  for (const rule of new Set(after.findings.map((f) => f.rule))) {
    if (rule === 'prefer-robust-stmts') continue;
    const n = (r: LintResult) => r.findings.filter((f) => f.rule === rule).length;
    expect(n(after), `${rule} after fixing`).toBeLessThanOrEqual(n(before));
  }
  return { fixed, before, after };
}

describe('fixable rules', () => {
  it('are exactly the rules with a fix builder', () => {
    expect(FIXABLE.sort()).toEqual(
      [
        'constraint-requires-not-valid',
        'prefer-robust-stmts',
        'require-concurrent-index',
        'require-concurrent-index-drop',
        'require-concurrent-refresh',
        'require-concurrent-reindex',
        'require-lock-timeout',
      ].sort(),
    );
  });
});

describe('--fix on the rule fixtures', () => {
  const fixedBy = new Map<string, number>();
  for (const input of ruleFixtures()) {
    it(input.name, async () => {
      const { fixed, before, after } = checkFixed(input);
      const mine = (r: LintResult) => r.findings.filter((f) => f.rule === input.rule);
      // Every finding of the rule that carried a fix is gone.
      expect(mine(after).length).toBeLessThanOrEqual(mine(before).filter((f) => !f.fix).length);
      if (mine(after).length < mine(before).length) fixedBy.set(input.rule, (fixedBy.get(input.rule) ?? 0) + 1);
      await expect(fixed).toMatchFileSnapshot(`expected/${input.name}`);
    });
  }
  it('fixes at least one fixture of every fixable rule', () => {
    // require-concurrent-refresh: the history's view has no unique index, so its fixture is a
    // case (cases/refresh-unique.sql) instead.
    const covered = new Set([...fixedBy.keys(), 'require-concurrent-refresh']);
    expect(FIXABLE.filter((r) => !covered.has(r))).toEqual([]);
  });
});

describe('--fix cases', () => {
  for (const input of caseInputs()) {
    it(input.name, async () => {
      const { fixed } = checkFixed(input);
      await expect(fixed).toMatchFileSnapshot(`cases/${input.name}.fixed.sql`);
    });
  }

  it('refresh-unique fixes require-concurrent-refresh', () => {
    const input = caseInputs().find((c) => c.name === 'refresh-unique')!;
    expect(lintInput(input).findings.some((f) => f.rule === 'require-concurrent-refresh')).toBe(true);
    expect(lintInput(input, fixInput(input)).findings.some((f) => f.rule === 'require-concurrent-refresh')).toBe(false);
  });

  it('withholds the fix where it would change the migration', () => {
    for (const name of ['index-block-dependent', 'index-block-rollback', 'index-wrapped', 'index-implicit-multi', 'index-partitioned', 'index-name-taken', 'constraint-wrapped', 'constraint-implicit']) {
      const input = caseInputs().find((c) => c.name === name)!;
      const blocking = (r: LintResult) => r.findings.filter((f) => f.rule !== 'require-lock-timeout' && ALL_RULES.find((x) => x.meta.id === f.rule)!.meta.fixable);
      expect(blocking(lintInput(input)).length, name).toBeGreaterThan(0);
      expect(blocking(lintInput(input)).filter((f) => f.fix), name).toEqual([]);
    }
  });

  it('adds the lock_timeout header once per file', () => {
    const input = caseInputs().find((c) => c.name === 'lock-timeout-directives')!;
    const before = lintInput(input).findings.filter((f) => f.rule === 'require-lock-timeout');
    expect(before.length).toBeGreaterThan(1);
    const fixed = fixInput(input);
    expect(fixed.match(/SET lock_timeout/g)).toHaveLength(1);
    // The ignore comment still belongs to the statement below it.
    expect(lintInput(input, fixed).findings.filter((f) => f.rule === 'add-column-required')).toEqual([]);
  });
});

describe('applying edits', () => {
  const c = (rule: string, ...edits: Array<[number, number, string]>): FixCandidate => ({ rule, fix: { edits: edits.map(([start, end, text]) => ({ start, end, text })) } });

  it('applies non-overlapping edits from the end backwards', () => {
    const { chosen, edits } = selectFixes([c('a', [0, 1, 'X']), c('b', [3, 3, '!']), c('c', [5, 6, ''])]);
    expect(chosen).toHaveLength(3);
    expect(applyEdits('abcdef', edits)).toBe('Xbc!de');
  });

  it('skips a fix that overlaps an earlier one (a later pass takes it)', () => {
    const { chosen, edits } = selectFixes([c('a', [1, 4, 'X']), c('b', [3, 5, 'Y']), c('c', [2, 2, 'Z'])]);
    expect(chosen.map((x) => x.rule)).toEqual(['a']);
    expect(applyEdits('abcdef', edits)).toBe('aXef');
  });

  it('applies identical edits once and keeps the fix', () => {
    const { chosen, edits } = selectFixes([c('h', [0, 0, 'SET;\n']), c('h', [0, 0, 'SET;\n'])]);
    expect(chosen).toHaveLength(2);
    expect(applyEdits('x;', edits)).toBe('SET;\nx;');
  });

  it('orders insertions at one point by fix for one rule, and keeps rules apart', () => {
    expect(applyEdits('ab', selectFixes([c('m', [1, 1, '1']), c('m', [1, 1, '2'])]).edits)).toBe('a12b');
    expect(selectFixes([c('m', [1, 1, '1']), c('n', [1, 1, '2'])]).chosen.map((x) => x.rule)).toEqual(['m']);
  });

  it('keeps the edits of one fix together: all or none', () => {
    const { chosen, edits } = selectFixes([c('a', [4, 5, 'E']), c('b', [0, 1, 'A'], [4, 4, '!'])]);
    expect(chosen.map((x) => x.rule)).toEqual(['a', 'b']);
    expect(applyEdits('abcdef', edits)).toBe('Abcd!Ef');
    expect(selectFixes([c('a', [4, 6, 'E']), c('b', [0, 1, 'A'], [5, 5, '!'])]).chosen.map((x) => x.rule)).toEqual(['a']);
  });
});

describe('the fix driver', () => {
  const fake = (id: string, edit: (start: number, end: number) => { start: number; end: number; text: string } | null): Rule => ({
    meta: { id, category: 'blocking', defaultSeverity: 'error', summary: id, lock: 'none', docs: { description: id, bad: id, good: id, links: [] }, fixable: true },
    check: (ctx) =>
      ctx.stmt.kind === 'SelectStmt' && !/\bfixed\b/.test(ctx.stmt.text)
        ? [{ message: `${id} message`, help: `${id} help`, fix: () => {
            const e = edit(ctx.stmt.span.start.offset, ctx.stmt.span.end.offset);
            return e ? { edits: [e] } : null;
          } }]
        : [],
  });
  const sources = (text: string) => [{ displayPath: 'm.sql', text, role: 'lint' as const, transaction: 'none' as const }];

  it('drops a fix that breaks the file and keeps the others', () => {
    const good = fake('good', (_s, e) => ({ start: e, end: e, text: ' AS fixed' }));
    const broken = fake('broken', (s) => ({ start: s, end: s, text: ')(' }));
    const rules = [broken, good];
    const severities = new Map(rules.map((r) => [r.meta.id, 'error' as const]));
    const run = fixSources(sources('SELECT 1;\nSELECT 2;\n'), { pgVersion: 15, rules, severities });
    expect(run.texts.get('m.sql')).toBe('SELECT 1 AS fixed;\nSELECT 2 AS fixed;\n');
    expect(run.passes).toBeLessThanOrEqual(10);
    expect(run.result.errors).toEqual([]);
  });

  it('stops after maxPasses when a fix never settles', () => {
    const endless = fake('endless', (s) => ({ start: s, end: s, text: '' }));
    const again: Rule = { ...endless, check: (ctx) => endless.check(ctx).map((r) => ({ ...r, fix: () => ({ edits: [{ start: ctx.stmt.span.end.offset, end: ctx.stmt.span.end.offset, text: ' + 0' }] }) })) };
    const run = fixSources(sources('SELECT 1;'), { pgVersion: 15, rules: [again], severities: new Map([['endless', 'error' as const]]) }, undefined, 3);
    expect(run.passes).toBe(3);
    expect(run.texts.get('m.sql')).toBe('SELECT 1 + 0 + 0 + 0;');
    expect(lintSources(sources(run.texts.get('m.sql')!), { pgVersion: 15, rules: [again], severities: new Map([['endless', 'error' as const]]) }).errors).toEqual([]);
  });
});
