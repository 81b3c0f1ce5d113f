#!/usr/bin/env node
// Side-by-side comparison of ddlguard, squawk and pgfence on the labelled cases in ./cases.
//
//   node bench/compare/run.mjs            # table + ddlguard disagreements
//   node bench/compare/run.mjs --verbose  # also every tool's per-case findings
//   node bench/compare/run.mjs --json out.json
//
// Ground truth: the `-- expect: <hazard>` header lines of each case (PostgreSQL docs are the authority).
// `-- expect: safe` means the case has no hazard. `_history.sql` is schema context only.
//
// Each tool's rule ids are mapped to the neutral vocabulary below. A rule mapped to `null` has no
// neutral equivalent (hygiene, statement_timeout, idempotency ...) and is ignored for scoring but
// still listed with --verbose. A rule id missing from a table is reported as UNMAPPED so the tables
// can be kept complete.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const CASES = join(HERE, 'cases');
const HISTORY = join(CASES, '_history.sql');
const PG = '16';
const PGFENCE_DIR = process.env.PGFENCE_DIR ?? '/tmp/pgfence';
const SQUAWK = process.env.SQUAWK_BIN ?? join(ROOT, 'node_modules/.bin/squawk');
const DDLGUARD = join(ROOT, 'dist/src/cli/main.js');

const args = process.argv.slice(2);
const VERBOSE = args.includes('--verbose');
const JSON_OUT = args.includes('--json') ? args[args.indexOf('--json') + 1] : null;

export const HAZARDS = [
  'blocking-index-build',
  'table-rewrite',
  'validation-scan-under-strong-lock',
  'concurrently-in-transaction',
  'missing-lock-timeout',
  'column-drop',
  'column-rename',
  'table-drop',
  'table-rename',
  'not-null-without-default',
  'type-narrowing',
  'truncate',
  'unbatched-dml',
];

// ---------------------------------------------------------------------------------------------
// Mapping tables: rule id -> neutral hazard | null (ignored) | (finding) => hazard | null
// ---------------------------------------------------------------------------------------------

export const DDLGUARD_MAP = {
  'require-concurrent-index': 'blocking-index-build',
  'require-concurrent-index-drop': null, // DROP INDEX lock: no neutral hazard
  'require-concurrent-reindex': 'blocking-index-build',
  'require-concurrent-refresh': 'table-rewrite', // matview contents rebuilt under ACCESS EXCLUSIVE
  'require-concurrent-detach': null, // catalog-only ACCESS EXCLUSIVE: no neutral hazard
  'concurrently-in-transaction': 'concurrently-in-transaction',
  'constraint-requires-not-valid': 'validation-scan-under-strong-lock',
  'validate-in-same-transaction': 'validation-scan-under-strong-lock',
  'unique-requires-index': 'blocking-index-build',
  'set-not-null-scan': 'validation-scan-under-strong-lock',
  'attach-partition-scan': 'validation-scan-under-strong-lock',
  'add-column-default-rewrite': 'table-rewrite',
  'add-column-generated-rewrite': 'table-rewrite',
  'column-type-rewrite': 'table-rewrite',
  'table-rewrite': 'table-rewrite',
  'require-lock-timeout': 'missing-lock-timeout',
  'lock-held-during-slow-statement': null, // compound; the underlying hazard has its own rule
  'unbatched-backfill': 'unbatched-dml',
  'enum-value-in-transaction': 'concurrently-in-transaction', // "cannot run in a transaction block"
  'add-column-required': 'not-null-without-default',
  'drop-column': 'column-drop',
  'drop-table': 'table-drop',
  'rename-column': 'column-rename',
  'rename-table': 'table-rename',
  'column-type-narrowing': 'type-narrowing',
  'ban-truncate': 'truncate',
  'expand-contract-mix': null,
  'prefer-bigint': null,
  'prefer-identity': null,
  'prefer-text': null,
  'prefer-timestamptz': null,
  'prefer-robust-stmts': null,
  'identifier-too-long': null,
  'require-statement-timeout': null,
  'parse-error': null,
};

export const SQUAWK_MAP = {
  'require-concurrent-index-creation': 'blocking-index-build',
  'require-concurrent-index-deletion': null,
  'ban-concurrent-index-creation-in-transaction': 'concurrently-in-transaction',
  'adding-field-with-default': 'table-rewrite',
  'adding-serial-primary-key-field': 'blocking-index-build',
  'adding-required-field': 'not-null-without-default',
  'adding-not-nullable-field': 'validation-scan-under-strong-lock', // fires on SET NOT NULL
  'adding-foreign-key-constraint': 'validation-scan-under-strong-lock',
  'constraint-missing-not-valid': 'validation-scan-under-strong-lock',
  'disallowed-unique-constraint': 'blocking-index-build',
  'changing-column-type': 'table-rewrite',
  'ban-drop-column': 'column-drop',
  'renaming-column': 'column-rename',
  'renaming-table': 'table-rename',
  'ban-drop-table': 'table-drop',
  'ban-drop-database': null,
  'ban-truncate-cascade': 'truncate',
  'require-lock-timeout': 'missing-lock-timeout',
  'require-statement-timeout': null,
  'require-timeout-settings': null,
  'prefer-robust-stmts': null,
  'prefer-bigint-over-int': null,
  'prefer-bigint-over-smallint': null,
  'prefer-identity': null,
  'prefer-text-field': null,
  'prefer-timestamptz': null,
  'ban-char-field': null,
  'ban-drop-not-null': null,
  'ban-alter-domain-with-add-constraint': null,
  'ban-create-domain-with-constraint': null,
  'require-enum-value-ordering': null,
  'transaction-nesting': null,
  'ban-uncommitted-transaction': null,
  'ban-alter-table-rename': null,
  'require-concurrent-reindex': 'blocking-index-build',
  'require-concurrent-partition-detach': null, // same treatment as ddlguard's require-concurrent-detach
  'syntax-error': null,
};

export const PGFENCE_MAP = {
  'add-column-non-constant-default': 'table-rewrite',
  'add-column-serial': 'table-rewrite',
  'add-column-identity': 'table-rewrite',
  'add-column-generated-stored': 'table-rewrite',
  'add-column-not-null-no-default': 'not-null-without-default',
  'create-index-not-concurrent': 'blocking-index-build',
  'create-index-concurrently-in-transaction': 'concurrently-in-transaction',
  'concurrent-in-transaction': 'concurrently-in-transaction',
  'add-constraint-fk-no-not-valid': 'validation-scan-under-strong-lock',
  'add-constraint-check-no-not-valid': 'validation-scan-under-strong-lock',
  'add-constraint-unique': 'blocking-index-build',
  'add-constraint-unique-no-index': 'blocking-index-build',
  'add-primary-key': 'blocking-index-build',
  'add-pk-without-using-index': 'blocking-index-build',
  'add-unique-without-using-index': 'blocking-index-build',
  'alter-column-set-not-null': 'validation-scan-under-strong-lock',
  // pgfence uses one rule id for both rewriting and metadata-only type changes; tell them apart.
  'alter-column-type': (f) => (/metadata-only|no table rewrite/i.test(f.message ?? '') ? null : 'table-rewrite'),
  'drop-column': 'column-drop',
  'rename-column': 'column-rename',
  'drop-table': 'table-drop',
  'rename-table': 'table-rename',
  'truncate': 'truncate',
  'vacuum-full': 'table-rewrite',
  'cluster': 'table-rewrite',
  'reindex-non-concurrent': 'blocking-index-build',
  'refresh-matview-non-concurrent': 'table-rewrite',
  'refresh-materialized-view': 'table-rewrite',
  'set-logged-unlogged': 'table-rewrite',
  'attach-partition': 'validation-scan-under-strong-lock',
  'detach-partition': null,
  'update-without-where': 'unbatched-dml',
  'delete-without-where': 'unbatched-dml',
  'missing-lock-timeout': 'missing-lock-timeout',
  'missing-statement-timeout': null,
  'missing-application-name': null,
  'missing-idle-timeout': null,
  'prefer-robust-create-index': null,
  'prefer-robust-create-table': null,
  'prefer-robust-drop-index': null,
  'prefer-robust-drop-table': null,
  'prefer-robust-add-column': null,
  'prefer-robust-drop-column': null,
  'prefer-robust-stmts': null,
  'create-table': null,
  'alter-enum-add-value': null,
  'add-column-constant-default': null, // informational (LOW): PG11+ no rewrite
  'add-column-stored-generated': 'table-rewrite',
  'prefer-bigint-over-int': null,
  'validate-constraint': null, // informational: SHARE UPDATE EXCLUSIVE
  'not-valid-validate-same-tx': 'validation-scan-under-strong-lock',
  'add-constraint-unique-using-index': null,
  'add-pk-using-index': null,
  'update-in-migration': 'unbatched-dml', // fires on UPDATE without WHERE
};

// ---------------------------------------------------------------------------------------------

function loadCases() {
  return readdirSync(CASES)
    .filter((f) => f.endsWith('.sql') && !f.startsWith('_'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(CASES, f), 'utf8');
      const expect = [...text.matchAll(/^--\s*expect:\s*([a-z-]+)\s*$/gm)].map((m) => m[1]);
      if (!expect.length) throw new Error(`${f}: no "-- expect:" line`);
      for (const h of expect) if (h !== 'safe' && !HAZARDS.includes(h)) throw new Error(`${f}: unknown hazard ${h}`);
      if (expect.includes('safe') && expect.length > 1) throw new Error(`${f}: "safe" mixed with hazards`);
      return { name: f.replace(/\.sql$/, ''), file: join(CASES, f), expect: new Set(expect.filter((h) => h !== 'safe')) };
    });
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return r;
}

function parseJson(text, tool) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${tool}: could not parse JSON output:\n${text.slice(0, 2000)}`);
  }
}

// Each runner returns Map<caseName, Array<{rule, message}>>
function runDdlguard(cases) {
  const out = new Map(cases.map((c) => [c.name, []]));
  for (const c of cases) {
    // one file per invocation so a parse problem in one case cannot hide findings in others
    const r = run('node', [DDLGUARD, 'lint', c.file, '--format', 'json', '--history', HISTORY, '--pg-version', PG], { cwd: ROOT });
    const data = parseJson(r.stdout, 'ddlguard');
    for (const f of data.findings ?? []) out.get(c.name).push({ rule: f.rule, message: f.message, line: f.line });
    for (const e of data.errors ?? []) out.get(c.name).push({ rule: 'parse-error', message: JSON.stringify(e) });
  }
  return out;
}

function runSquawk(cases) {
  const out = new Map(cases.map((c) => [c.name, []]));
  for (const c of cases) {
    const r = run(SQUAWK, ['--reporter', 'json', '--pg-version', PG, c.file], { cwd: ROOT });
    const data = parseJson(r.stdout || '[]', 'squawk');
    for (const f of data) out.get(c.name).push({ rule: f.rule_name, message: f.message, line: (f.line ?? 0) + 1 });
  }
  return out;
}

function runPgfence(cases) {
  const bin = join(PGFENCE_DIR, 'node_modules/.bin/pgfence');
  if (!existsSync(bin)) {
    console.error(`pgfence not found at ${bin}; install with:\n  mkdir -p ${PGFENCE_DIR} && cd ${PGFENCE_DIR} && npm init -y && npm install @flvmnt/pgfence@0.1.5`);
    return null;
  }
  const out = new Map(cases.map((c) => [c.name, []]));
  for (const c of cases) {
    const r = run(bin, ['analyze', c.file, '--output', 'json', '--min-pg-version', PG], { cwd: PGFENCE_DIR });
    const data = parseJson(r.stdout, 'pgfence');
    for (const res of data.results ?? []) {
      for (const ch of res.checks ?? []) out.get(c.name).push({ rule: ch.ruleId, message: ch.message, statement: ch.statementPreview });
      for (const v of res.policyViolations ?? []) out.get(c.name).push({ rule: v.ruleId, message: v.message });
    }
  }
  return out;
}

function mapFindings(findings, table, unmapped) {
  const hazards = new Set();
  const ignored = [];
  for (const f of findings) {
    if (!(f.rule in table)) {
      unmapped.add(f.rule);
      ignored.push(f);
      continue;
    }
    const m = table[f.rule];
    const h = typeof m === 'function' ? m(f) : m;
    if (h) hazards.add(h);
    else ignored.push(f);
  }
  return { hazards, ignored };
}

function score(cases, raw, table) {
  const unmapped = new Set();
  const per = Object.fromEntries(HAZARDS.map((h) => [h, { tp: 0, fp: 0, fn: 0 }]));
  const rows = [];
  let exact = 0;
  for (const c of cases) {
    const { hazards, ignored } = mapFindings(raw.get(c.name) ?? [], table, unmapped);
    const fp = [...hazards].filter((h) => !c.expect.has(h));
    const fn = [...c.expect].filter((h) => !hazards.has(h));
    const tp = [...hazards].filter((h) => c.expect.has(h));
    tp.forEach((h) => per[h].tp++);
    fp.forEach((h) => per[h].fp++);
    fn.forEach((h) => per[h].fn++);
    if (!fp.length && !fn.length) exact++;
    rows.push({ name: c.name, expect: [...c.expect], got: [...hazards], tp, fp, fn, ignored, findings: raw.get(c.name) ?? [] });
  }
  const TP = Object.values(per).reduce((a, x) => a + x.tp, 0);
  const FP = Object.values(per).reduce((a, x) => a + x.fp, 0);
  const FN = Object.values(per).reduce((a, x) => a + x.fn, 0);
  const precision = TP + FP ? TP / (TP + FP) : 1;
  const recall = TP + FN ? TP / (TP + FN) : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { per, rows, TP, FP, FN, precision, recall, f1, exact, unmapped: [...unmapped] };
}

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const pct = (x) => (100 * x).toFixed(1) + '%';

function main() {
  const cases = loadCases();
  const labelled = cases.reduce((a, c) => a + c.expect.size, 0);
  const safe = cases.filter((c) => !c.expect.size).length;
  console.log(`${cases.length} cases (${safe} safe, ${labelled} expected hazards), PostgreSQL ${PG}\n`);

  const tools = [
    ['ddlguard', runDdlguard, DDLGUARD_MAP],
    ['squawk', runSquawk, SQUAWK_MAP],
    ['pgfence', runPgfence, PGFENCE_MAP],
  ];
  const results = {};
  for (const [name, runner, table] of tools) {
    const raw = runner(cases);
    if (!raw) continue;
    results[name] = score(cases, raw, table);
  }
  const names = Object.keys(results);

  // per-hazard table
  const w = 34;
  console.log(pad('hazard (support)', w) + names.map((n) => lpad(n + ' TP/FP/FN', 22)).join(''));
  for (const h of HAZARDS) {
    const support = cases.filter((c) => c.expect.has(h)).length;
    console.log(
      pad(`${h} (${support})`, w) +
        names.map((n) => { const x = results[n].per[h]; return lpad(`${x.tp}/${x.fp}/${x.fn}`, 22); }).join(''),
    );
  }
  console.log('-'.repeat(w + 22 * names.length));
  const line = (label, f) => console.log(pad(label, w) + names.map((n) => lpad(f(results[n]), 22)).join(''));
  line('TP / FP / FN', (r) => `${r.TP}/${r.FP}/${r.FN}`);
  line('precision', (r) => pct(r.precision));
  line('recall', (r) => pct(r.recall));
  line('F1', (r) => pct(r.f1));
  line('cases fully correct', (r) => `${r.exact}/${cases.length}`);

  for (const n of names) {
    if (results[n].unmapped.length) console.log(`\nUNMAPPED ${n} rule ids (ignored, add them to the table): ${results[n].unmapped.join(', ')}`);
  }

  const d = results.ddlguard;
  if (d) {
    const bad = d.rows.filter((r) => r.fp.length || r.fn.length);
    console.log(`\nddlguard disagreements with the label (${bad.length}):`);
    for (const r of bad) {
      const others = names.filter((n) => n !== 'ddlguard').map((n) => {
        const o = results[n].rows.find((x) => x.name === r.name);
        return `${n}=[${o.got.join(', ') || 'safe'}]`;
      });
      console.log(`  ${r.name}`);
      console.log(`    label:    ${r.expect.join(', ') || 'safe'}`);
      console.log(`    ddlguard: ${r.got.join(', ') || 'safe'}${r.fp.length ? `   FP: ${r.fp.join(', ')}` : ''}${r.fn.length ? `   FN: ${r.fn.join(', ')}` : ''}`);
      const rules = r.findings.filter((f) => !r.ignored.includes(f)).map((f) => `${f.rule}@${f.line ?? '?'}`);
      if (rules.length) console.log(`    rules:    ${rules.join(', ')}`);
      console.log(`    others:   ${others.join('  ')}`);
    }
    const ign = d.rows.filter((r) => r.ignored.some((f) => !/^prefer-|identifier-too-long|require-statement-timeout/.test(f.rule)));
    if (ign.length) {
      console.log(`\nddlguard findings ignored by the mapping (no neutral hazard), for review:`);
      for (const r of ign) console.log(`  ${r.name} [label: ${r.expect.join(', ') || 'safe'}]: ${r.ignored.map((f) => f.rule).join(', ')}`);
    }
  }

  if (VERBOSE) {
    for (const n of names) {
      console.log(`\n== ${n} per case ==`);
      for (const r of results[n].rows) {
        const mark = r.fp.length || r.fn.length ? '✗' : '✓';
        console.log(`${mark} ${pad(r.name, 46)} label=[${r.expect.join(',') || 'safe'}] got=[${r.got.join(',') || 'safe'}]  rules: ${r.findings.map((f) => f.rule).join(', ')}`);
      }
    }
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(results, null, 2));
}

main();
