/**
 * The lint bridge: one open document in, what `ddlguard lint <file>` says about it out, from
 * the same engine and options (configuration, history, schema sources, reader evidence). The
 * run is made in fix mode so findings carry the fixes --fix would evaluate; the statement
 * facts the hover shows are taken on the way. Also the re-lints that judge a proposed edit
 * by the bar --fix uses (fixMadeWorse) and the --fix run itself for "fix all".
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { engineOptionsFor } from '../lint/api.js';
import { lintSources, type EngineOptions, type SourceFile } from '../lint/engine.js';
import { applyEdits, fixMadeWorse, fixSources, selectFixes, type Fix, type FixFile } from '../lint/fix.js';
import type { Finding, LintError, LintResult } from '../lint/types.js';
import { detectFramework } from '../migrations/framework.js';
import { upSection } from '../migrations/sections.js';
import { loadParser } from '../sql/parser.js';
import type { ParsedFile } from '../sql/statement.js';
import { statementFacts, type StatementFacts } from './hover.js';
import { LintedText } from './positions.js';
import type { ProjectConfig, Projects, Reporter, RunSources } from './project.js';

export interface DocLint {
  uri: string;
  version: number;
  linted: LintedText;
  cfg: ProjectConfig;
  run: RunSources;
  /** The engine options of the run, without fix mode (for re-lints). */
  engine: EngineOptions;
  /** The run's result (fix mode: findings carry `fix`). */
  result: LintResult;
  /** Findings and errors in this document. */
  findings: Finding[];
  errors: LintError[];
  /** The document as the engine parsed it (null when it did not parse). */
  parsed: ParsedFile | null;
  statements: StatementFacts[];
  /** The linted body of a full text (dbmate: the up section, offset for offset). */
  body(full: string): string;
  /** Answers computed for this version (fix checks, fix all), so cursor moves cost nothing. */
  memo: Map<string, unknown>;
}

/** Lint an open document. Throws ConfigError for a configuration that cannot be used. */
export async function lintDocument(projects: Projects, doc: TextDocument, file: string | null, reporter: Reporter): Promise<DocLint> {
  await loadParser();
  const started = Date.now();
  const linted = new LintedText(doc);
  const cfg = await projects.configFor(file);
  const run = await projects.sourcesFor(cfg, file, linted.text);
  for (const p of run.problems) reporter.log('warn', p);
  const opts = await projects.lintOptions(cfg);
  const engine = engineOptionsFor(opts);
  engine.parseCache = projects.parseCache;
  const schema = await projects.applySchema(cfg, opts, engine);
  const compat = await projects.compatFor(run, opts, engine, schema?.db ?? null, cfg.cwd);
  if (compat) engine.compat = compat;

  let parsed: ParsedFile | null = null;
  const statements: StatementFacts[] = [];
  const result = lintSources(run.sources, {
    ...engine,
    fix: true,
    onFile: (p, source) => {
      if (source === run.doc) parsed = p.error ? null : p;
    },
    onStatement: (ctx, source) => {
      if (source === run.doc) statements.push(statementFacts(ctx, engine));
    },
  });
  if (schema?.labels.length) result.summary.schema = schema.labels;
  const self = run.doc.displayPath;
  for (const e of result.errors) if (e.file !== self) reporter.log('warn', `${e.file}:${e.line}:${e.column}: ${e.message}`);
  for (const n of result.notes ?? []) reporter.log('info', `note: ${n.message}`);
  const framework = detectFramework(run.docPath, linted.text).framework;
  reporter.log(
    'info',
    `linted ${self} (version ${doc.version}) ${run.migration ? `after ${run.sources.length - 1} earlier migration file(s)` : 'on its own'} in ${Date.now() - started} ms: ${result.findings.length} finding(s), ${result.errors.filter((e) => e.file === self).length} error(s)`,
  );
  return {
    uri: doc.uri,
    version: doc.version,
    linted,
    cfg,
    run,
    engine,
    result,
    findings: result.findings.filter((f) => f.file === self),
    errors: result.errors.filter((e) => e.file === self),
    parsed,
    statements,
    body: (full) => upSection(full, framework),
    memo: new Map(),
  };
}

/** The sources of the run with the document's text replaced (its framework and transaction kept, as --fix does). */
function withText(lint: DocLint, full: string): SourceFile[] {
  return lint.run.sources.map((s) => (s === lint.run.doc ? { ...s, text: lint.body(full) } : s));
}

/** Lint the document as if its text were `full` (not fix mode). */
export function relint(lint: DocLint, full: string): LintResult {
  return lintSources(withText(lint, full), lint.engine);
}

/** Whether the document with text `full` is no worse than now, by --fix's test. */
export function noWorse(lint: DocLint, full: string): boolean {
  return !fixMadeWorse(lint.result, relint(lint, full), lint.run.doc.displayPath, lint.engine.rules);
}

/** The text after one fix, or null when its edits overlap each other (--fix would not apply it). */
export function textWithFix(lint: DocLint, rule: string, fix: Fix): string | null {
  const { chosen, edits } = selectFixes([{ rule, fix }]);
  if (chosen.length !== 1) return null;
  return applyEdits(lint.linted.text, edits);
}

/**
 * Would --fix apply this finding's fix? The edits must not overlap and the file with them
 * alone must be no worse (it parses, no rule but a hygiene one reports more): the test
 * --fix applies to each fix of a round that made things worse.
 */
export function fixApplies(lint: DocLint, f: Finding): string | null {
  if (!f.fix) return null;
  const key = `fix\u0000${lint.findings.indexOf(f)}`;
  if (lint.memo.has(key)) return lint.memo.get(key) as string | null;
  const text = textWithFix(lint, f.rule, f.fix);
  const ok = text !== null && text !== lint.linted.text && noWorse(lint, text) ? text : null;
  lint.memo.set(key, ok);
  return ok;
}

/** The document's text after `ddlguard lint --fix` (several rounds), or null when it would change nothing. */
export function fixAllText(lint: DocLint): string | null {
  const key = 'fix-all';
  if (lint.memo.has(key)) return lint.memo.get(key) as string | null;
  const self = lint.run.doc.displayPath;
  const targets = new Map([[self, { text: lint.linted.text, body: lint.body }]]);
  const run = fixSources(lint.run.sources, lint.engine, targets);
  const after = run.texts.get(self) ?? lint.linted.text;
  const out = after === lint.linted.text ? null : after;
  lint.memo.set(key, out);
  return out;
}

/** What fix builders see of the document (for the helpers in lint/fix.ts). */
export function fixFile(lint: DocLint): FixFile | null {
  const p = lint.parsed as ParsedFile | null;
  if (!p) return null;
  return { text: p.text, statements: p.statements, comments: p.comments, transaction: lint.run.doc.transaction };
}
