/**
 * No input crashes the linter: every fixture, and random cuts of each (statements
 * broken mid-way, unbalanced quotes and dollar quotes), lints to findings or error
 * entries, never an exception.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../rules/index.js';
import { lintSources } from '../../src/lint/engine.js';
import { loadParser } from '../../src/sql/parser.js';

function sqlFiles(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) sqlFiles(p, out);
    else if (p.endsWith('.sql')) out.push(p);
  }
  return out;
}

beforeAll(() => loadParser());

describe('robustness', () => {
  it('never throws on fixtures and random cuts of them', () => {
    const files = sqlFiles(path.resolve(__dirname, '../../fixtures'));
    expect(files.length).toBeGreaterThan(100);
    const severities = new Map(ALL_RULES.map((r) => [r.meta.id, 'warning' as const]));
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    let runs = 0;
    let errors = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const variants = [text, '\uFEFF' + text, text.replace(/;/g, '')];
      for (let k = 0; k < 3; k++) {
        const a = Math.floor(rnd() * text.length);
        variants.push(text.slice(0, a) + text.slice(Math.min(text.length, a + 1 + Math.floor(rnd() * 30))));
      }
      for (const v of variants) {
        for (const transaction of ['none', 'wrapped', 'implicit'] as const) {
          const r = lintSources([{ displayPath: 'x.sql', text: v, role: 'lint', transaction }], { pgVersion: 10 + (runs % 9), rules: ALL_RULES, severities });
          runs++;
          errors += r.errors.length;
          for (const e of r.errors) {
            expect(e.line).toBeGreaterThanOrEqual(1);
            expect(e.column).toBeGreaterThanOrEqual(1);
          }
        }
      }
    }
    expect(runs).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(0); // the cuts do break statements
  });
});
