import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../rules/index.js';
import { ruleDoc } from '../../src/lint/rule-doc.js';

describe('docs/rules is generated from the rule files', () => {
  for (const r of ALL_RULES) {
    it(`${r.meta.id}.md is up to date (regenerate: node dist/src/cli/main.js gen-docs)`, () => {
      const file = path.resolve(__dirname, '../../docs/rules', `${r.meta.id}.md`);
      expect(readFileSync(file, 'utf8')).toBe(ruleDoc(r.meta));
    });
    it(`${r.meta.id} meta is complete`, () => {
      expect(r.meta.docs.links.length).toBeGreaterThan(0);
      expect(r.meta.docs.bad.length).toBeGreaterThan(5);
      expect(r.meta.docs.good.length).toBeGreaterThan(5);
      expect(r.meta.summary.length).toBeGreaterThan(10);
    });
  }
});

describe('docs/locks.md is generated from the lock table', () => {
  it('is up to date (regenerate: node dist/src/cli/main.js gen-docs)', async () => {
    const { lockTableDoc } = await import('../../src/cli/commands/docs.js');
    expect(readFileSync(path.resolve(__dirname, '../../docs/locks.md'), 'utf8')).toBe(lockTableDoc());
  });
});

describe('README rule table', () => {
  it('is up to date (regenerate: node dist/src/cli/main.js gen-docs)', async () => {
    const { withReadmeRuleTable } = await import('../../src/cli/commands/docs.js');
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    expect(readme).toContain('<!-- rules:start');
    expect(withReadmeRuleTable(readme)).toBe(readme);
  });
});
