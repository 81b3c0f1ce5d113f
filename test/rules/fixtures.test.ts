/**
 * Runs every rule fixture in fixtures/rules/<rule-id>/. Files named bad*.sql must
 * produce exactly the findings of that rule their `-- expect: line:col` headers
 * list; good*.sql must produce none of that rule. Header options:
 *   -- pg-version: 11
 *   -- transaction: wrapped | implicit | none   (default none)
 *   -- no-history                                 (skip fixtures/rules/_history.sql)
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../rules/index.js';
import { lintSources, type SourceFile } from '../../src/lint/engine.js';
import { loadParser } from '../../src/sql/parser.js';

const ROOT = path.resolve(__dirname, '../../fixtures/rules');
const HISTORY = readFileSync(path.join(ROOT, '_history.sql'), 'utf8');

interface Fixture {
  rule: string;
  file: string;
  text: string;
  bad: boolean;
  expect: string[];
  pgVersion: number;
  transaction: SourceFile['transaction'];
  history: boolean;
}

function loadFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const rule of readdirSync(ROOT)) {
    if (rule.startsWith('_')) continue;
    for (const file of readdirSync(path.join(ROOT, rule)).filter((f) => f.endsWith('.sql')).sort()) {
      const text = readFileSync(path.join(ROOT, rule, file), 'utf8');
      const header = (key: string) => new RegExp(`^-- ${key}:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
      out.push({
        rule,
        file,
        text,
        bad: file.startsWith('bad'),
        expect: [...text.matchAll(/^-- expect:\s*(\d+:\d+)\s*$/gm)].map((m) => m[1]!),
        pgVersion: Number(header('pg-version') ?? 15),
        transaction: (header('transaction') ?? 'none') as SourceFile['transaction'],
        history: !/^-- no-history\s*$/m.test(text),
      });
    }
  }
  return out;
}

const fixtures = loadFixtures();

beforeAll(async () => {
  await loadParser();
});

export function runFixture(f: Pick<Fixture, 'text' | 'pgVersion' | 'transaction' | 'history'>, file = 'fixture.sql') {
  const sources: SourceFile[] = [];
  if (f.history) sources.push({ displayPath: '_history.sql', text: HISTORY, role: 'history', transaction: 'none' });
  sources.push({ displayPath: file, text: f.text, role: 'lint', transaction: f.transaction });
  const severities = new Map(ALL_RULES.map((r) => [r.meta.id, r.meta.defaultSeverity === 'off' ? ('warning' as const) : r.meta.defaultSeverity]));
  return lintSources(sources, { pgVersion: f.pgVersion, rules: ALL_RULES, severities });
}

describe('every rule has fixtures', () => {
  for (const r of ALL_RULES) {
    it(`${r.meta.id} has a bad and a good fixture`, () => {
      const mine = fixtures.filter((f) => f.rule === r.meta.id);
      expect(mine.some((f) => f.bad), 'bad fixture').toBe(true);
      expect(mine.some((f) => !f.bad), 'good fixture').toBe(true);
    });
  }
});

describe('rule fixtures', () => {
  for (const f of fixtures) {
    it(`${f.rule}/${f.file}`, () => {
      expect(ALL_RULES.some((r) => r.meta.id === f.rule), `unknown rule dir ${f.rule}`).toBe(true);
      const result = runFixture(f, `${f.rule}/${f.file}`);
      expect(result.errors).toEqual([]);
      const got = result.findings.filter((x) => x.rule === f.rule).map((x) => `${x.line}:${x.column}`);
      if (f.bad) {
        expect(f.expect.length, 'bad fixture must list -- expect: line:col').toBeGreaterThan(0);
        expect(got.sort()).toEqual([...f.expect].sort());
        for (const x of result.findings.filter((x) => x.rule === f.rule)) {
          expect(x.message.length).toBeGreaterThan(10);
          expect(x.help.length).toBeGreaterThan(10);
        }
      } else {
        expect(got).toEqual([]);
      }
    });
  }
});
