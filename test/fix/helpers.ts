/** Inputs for the --fix tests: the rule fixtures of fixable rules and test/fix/cases/*.sql. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ALL_RULES } from '../../rules/index.js';
import { lintSources, type SourceFile } from '../../src/lint/engine.js';
import { fixSources } from '../../src/lint/fix.js';
import type { LintResult, SeveritySetting } from '../../src/lint/types.js';

export const RULES_DIR = path.resolve(__dirname, '../../fixtures/rules');
export const CASES_DIR = path.resolve(__dirname, 'cases');
export const HISTORY = readFileSync(path.join(RULES_DIR, '_history.sql'), 'utf8');
export const FIXABLE = ALL_RULES.filter((r) => r.meta.fixable).map((r) => r.meta.id);


export interface FixInput {
  name: string;
  text: string;
  transaction: SourceFile['transaction'];
  pgVersion: number;
  history: boolean;
  extraHistory: string | null;
  /** Rules to turn on besides the defaults. */
  enable: string[];
}

function header(text: string, key: string): string | undefined {
  return new RegExp(`^-- ${key}:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
}

export function readInput(file: string, name: string, enable: string[] = []): FixInput {
  const text = readFileSync(file, 'utf8');
  const extra = file.replace(/\.sql$/, '.history.sql');
  return {
    name,
    text,
    transaction: (header(text, 'transaction') ?? 'none') as SourceFile['transaction'],
    pgVersion: Number(header(text, 'pg-version') ?? 15),
    history: !/^-- no-history\s*$/m.test(text),
    extraHistory: existsSync(extra) && extra !== file ? readFileSync(extra, 'utf8') : null,
    enable: [...enable, ...(header(text, 'enable')?.split(/[\s,]+/) ?? [])],
  };
}

/** Every bad fixture of every fixable rule, with that rule on. */
export function ruleFixtures(): Array<FixInput & { rule: string }> {
  return FIXABLE.flatMap((rule) =>
    readdirSync(path.join(RULES_DIR, rule))
      .filter((f) => f.startsWith('bad') && f.endsWith('.sql'))
      .sort()
      .map((f) => ({ ...readInput(path.join(RULES_DIR, rule, f), `${rule}/${f}`, [rule]), rule })),
  );
}

export function caseInputs(): FixInput[] {
  return readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.sql') && !f.endsWith('.fixed.sql') && !f.endsWith('.history.sql'))
    .sort()
    .map((f) => readInput(path.join(CASES_DIR, f), f.replace(/\.sql$/, '')));
}

export function sourcesOf(input: FixInput, text = input.text): SourceFile[] {
  const sources: SourceFile[] = [];
  if (input.history) sources.push({ displayPath: '_history.sql', text: HISTORY, role: 'history', transaction: 'none' });
  if (input.extraHistory) sources.push({ displayPath: '_extra.sql', text: input.extraHistory, role: 'history', transaction: 'none' });
  sources.push({ displayPath: 'migration.sql', text, role: 'lint', transaction: input.transaction });
  return sources;
}

export function engineOf(input: FixInput) {
  const severities = new Map<string, SeveritySetting>(
    ALL_RULES.map((r) => [r.meta.id, input.enable.includes(r.meta.id) && r.meta.defaultSeverity === 'off' ? 'warning' : r.meta.defaultSeverity]),
  );
  return { pgVersion: input.pgVersion, rules: ALL_RULES, severities };
}

export function lintInput(input: FixInput, text = input.text, fix = true): LintResult {
  return lintSources(sourcesOf(input, text), { ...engineOf(input), fix });
}

export function fixInput(input: FixInput): string {
  return fixSources(sourcesOf(input), engineOf(input)).texts.get('migration.sql')!;
}

