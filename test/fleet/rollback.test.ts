/**
 * `ddlguard rollback --control URL --run ID` on real fleets of 10 targets: 4 tenant databases
 * and 6 tenant schemas in 2 databases, waves canary (1), early (50 %) and rest. The plan's
 * expand phase adds a column, builds an index CONCURRENTLY and adds a CHECK (NOT VALID, then
 * VALIDATE); its contract phase drops a column, which cannot be undone.
 *
 * - after the expand phase, the fleet rollback (after a refusal without --yes and a dry run
 *   that change nothing) undoes every target, newest wave first, back to the catalog and data
 *   it had before (compared as test/plan/support.ts dumps them), and `fleet status` shows it;
 * - once the contract step ran on one target, the fleet rollback refuses (exit 6) naming the
 *   target and the step, and changes nothing anywhere; `--exclude` that target rolls back the
 *   others;
 * - `--wave rest` rolls back only that wave; a later rollback of every wave finishes the rest;
 * - a target whose rollback fails halts the rollback after its wave; once fixed, the same
 *   command resumes it from that target's state and goes on to the older waves;
 * - the rollback command SIGKILLed mid-rollback, then two of them started at once, converge:
 *   every target back to its catalog, each finished once.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../support/db.js';
import { applyPlan } from '../../src/apply/runner.js';
import { memoryLogger } from '../../src/apply/log.js';
import type { Plan } from '../../src/apply/types.js';
import { runApplyFleet, runFleetAbort, runFleetStatus, runRollbackFleet, type FleetRollbackArgs } from '../../src/cli/commands/fleet.js';
import { runRollback } from '../../src/cli/commands/rollback.js';
import { loadParser } from '../../src/sql/parser.js';
import { planMigration } from '../../src/plan/planner.js';
import { dumpDatabase, withClient } from '../plan/support.js';
import { capture, Databases, events, exec, query, seedSql, tempDir, writeJson } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, '..', '..', 'dist', 'src', 'cli', 'main.js');
const ROWS = 400;
const SCHEMAS = ['tenant_a', 'tenant_b', 'tenant_c'];
const SCHEMA_SQL = 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, balance int NOT NULL DEFAULT 0);';
/** Expand: a column, an index built CONCURRENTLY, a CHECK added NOT VALID and validated. Contract: a dropped column. */
const MIGRATION = `ALTER TABLE accounts ADD COLUMN nickname text;
CREATE INDEX accounts_email_idx ON accounts (email);
ALTER TABLE accounts ADD CONSTRAINT accounts_balance_nonneg CHECK (balance >= 0);
ALTER TABLE accounts DROP COLUMN balance;
`;
const CONTRACT_STEP = '0004-alter-table-accounts-drop';

interface Target {
  name: string;
  url: string;
  schema: string | null;
}
interface Fleet {
  tag: string;
  targets: Target[];
  /** Every database of the fleet. */
  urls: string[];
  file: string;
}

const WAVE_OF: Record<string, string> = {};

/** A schema's part of a database dump (`public` for a database per tenant), without the ddlguard state. */
function part(dump: Record<string, unknown>, schema: string): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(dump)) {
    if (k === 'data') {
      out.data = Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([rel]) => rel.startsWith(`${schema}.`)));
    } else {
      out[k] = (v as Array<Record<string, unknown>>).filter((r) => {
        if ('schema' in r) return r.schema === schema;
        const rel = String(r.rel ?? r.child ?? '');
        return schema === 'public' ? !rel.includes('.') : rel.startsWith(`${schema}.`);
      });
    }
  }
  return out;
}

/** Each target's catalog and data, by target name. */
async function catalogs(f: Fleet): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const url of f.urls) {
    const dump = await withClient(url, (c) => dumpDatabase(c));
    for (const t of f.targets.filter((x) => x.url === url)) out[t.name] = part(dump, t.schema ?? 'public');
  }
  return out;
}

/** The CLI as a child; `kill`: SIGKILL it `delayMs` after its output's events satisfy `after`. */
function child(args: string[], kill?: { after: (evs: Array<Record<string, unknown>>) => boolean; delayMs: number }): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    p.stdout.on('data', (d) => {
      out += d;
      if (kill && !timer && kill.after(events(out))) timer = setTimeout(() => p.kill('SIGKILL'), kill.delayMs);
    });
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

describe.skipIf(!pgUrl())('fleet rollback: 4 databases + 6 schemas in 2 databases, canary / 50 % / rest', () => {
  const dbs = new Databases(pgUrl() ?? '');
  let plan: Plan;
  let planFile: string;
  let dir: string;
  let control: string;
  let templates: { db: string; multi: string };

  beforeAll(async () => {
    const t0 = Date.now();
    await loadParser();
    plan = planMigration([{ path: 'migrations/002.sql', text: MIGRATION }], {
      pgVersion: 18,
      history: [{ path: 'migrations/001.sql', text: SCHEMA_SQL }],
      tableSizes: new Map([['public.accounts', { rows: 20_000, bytes: 4_000_000 }]]),
    }) as unknown as Plan;
    expect(plan.steps.map((s) => `${s.id}:${s.phase}`)).toEqual([
      '0001-alter-table-accounts-add:expand',
      '0002-create-index-accounts_email_idx:expand',
      '0003-check-accounts_balance_nonneg-not-valid:expand',
      '0003-validate-accounts_balance_nonneg:expand',
      `${CONTRACT_STEP}:contract`,
    ]);
    dir = tempDir();
    planFile = writeJson(dir, 'plan.json', plan);
    const db = await dbs.create('tpl_db');
    await exec(db, seedSql(null, ROWS));
    const multi = await dbs.create('tpl_multi');
    await exec(multi, SCHEMAS.map((s) => seedSql(s, ROWS)).join('\n'));
    templates = { db: dbs.name(db), multi: dbs.name(multi) };
    control = await dbs.create('control');
    console.log(`[fleet rollback] set-up ${Date.now() - t0} ms`);
  }, 120_000);

  afterAll(async () => {
    await dbs.dropAll();
  }, 120_000);

  /** 10 targets: d1..d4 (databases), m1-a..m2-c (schemas); waves canary [d1], early 50 %, rest. */
  async function fleet(tag: string): Promise<Fleet> {
    const targets: Target[] = [];
    const urls: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const url = await dbs.create(`${tag}_d${i}`, templates.db);
      urls.push(url);
      targets.push({ name: `d${i}`, url, schema: null });
    }
    for (let m = 1; m <= 2; m++) {
      const url = await dbs.create(`${tag}_m${m}`, templates.multi);
      urls.push(url);
      for (const s of SCHEMAS) targets.push({ name: `m${m}-${s.slice(-1)}`, url, schema: s });
    }
    const file = path.join(dir, `${tag}.yaml`);
    writeFileSync(
      file,
      [
        'targets:',
        ...targets.map((t) => `  - { name: ${t.name}, url: "${t.url}"${t.schema ? `, schema: ${t.schema}` : ''} }`),
        'waves:',
        '  - { name: canary, targets: [d1] }',
        '  - { name: early, percent: 50 }',
        '  - { name: rest, percent: 100 }',
        'concurrency: 3',
        `control: "${control}"`,
        '',
      ].join('\n'),
    );
    Object.assign(WAVE_OF, { d1: 'canary', d2: 'early', d3: 'early', d4: 'early', 'm1-a': 'early', 'm1-b': 'rest', 'm1-c': 'rest', 'm2-a': 'rest', 'm2-b': 'rest', 'm2-c': 'rest' });
    return { tag, targets, urls, file };
  }

  async function expand(f: Fleet): Promise<void> {
    const r = await capture(() => runApplyFleet({ input: [planFile], fleet: f.file, run: f.tag, phase: 'expand', format: 'json', pollMs: 100 }));
    expect(r.value, r.out.slice(-3000)).toBe(0);
  }

  const rollback = (f: Fleet, extra: Partial<FleetRollbackArgs> = {}) => capture(() => runRollbackFleet({ input: [], control, run: f.tag, format: 'json', pollMs: 100, ...extra }));

  /** The rollback rows of a run, by target. */
  async function rollbackRows(runId: string): Promise<Record<string, { status: string; claims: number; rolled_back: string[] }>> {
    const rows = await query<{ target: string; status: string; claims: number; rolled_back: string[] }>(control, `SELECT target, status, claims, rolled_back FROM ddlguard.fleet_rollback_target WHERE run_id = $1`, [runId]);
    return Object.fromEntries(rows.map((r) => [r.target, r]));
  }

  /** Whether a rollback of the run is recorded in the control database. */
  async function rollbackRecorded(runId: string): Promise<boolean> {
    if ((await query(control, `SELECT to_regclass('ddlguard.fleet_rollback') AS t`))[0]!.t === null) return false;
    return (await query(control, `SELECT 1 FROM ddlguard.fleet_rollback WHERE run_id = $1`, [runId])).length > 0;
  }

  /** The state of the plan's steps on a target. */
  async function stepStates(t: Target): Promise<string[]> {
    const key = t.schema ? `${plan.id}@${t.schema}` : plan.id;
    return (await query<{ status: string }>(t.url, `SELECT status FROM ddlguard.apply_step WHERE plan_id = $1 ORDER BY ordinal`, [key])).map((r) => r.status);
  }

  it('after the expand phase, rolls every target back to its catalog and data, newest wave first; refuses first without --yes; the dry run changes nothing', async () => {
    const t0 = Date.now();
    const f = await fleet('all');
    const before = await catalogs(f);
    await expand(f);
    const expanded = await catalogs(f);
    for (const t of f.targets) expect(expanded[t.name], t.name).not.toEqual(before[t.name]);

    // Without --yes: the rollback drops the column the plan added, with what was written to it.
    const noYes = await rollback(f);
    expect(noYes.value, noYes.out.slice(-2000)).toBe(2);
    const refused = events(noYes.out).find((e) => e.event === 'fleet.rollback.refused')!;
    expect(refused.reason).toBe('needs-confirmation');
    expect((refused.targets as unknown[]).length).toBe(10);
    expect(String(refused.message)).toMatch(/drops column accounts\.nickname.*add --yes/);
    // The dry run reads each target's state and says what it would do.
    const dry = await rollback(f, { yes: true, dryRun: true, format: 'text' });
    expect(dry.value, dry.out).toBe(0);
    expect(dry.out).toMatch(/wave rest \(5 targets\):\n\s+m2-c {2}4 steps: 0003-validate-accounts_balance_nonneg, 0003-check-accounts_balance_nonneg-not-valid, 0002-create-index-accounts_email_idx, 0001-alter-table-accounts-add/);
    expect(dry.out.indexOf('wave rest')).toBeLessThan(dry.out.indexOf('wave early'));
    expect(dry.out.indexOf('wave early')).toBeLessThan(dry.out.indexOf('wave canary'));
    expect(await catalogs(f)).toEqual(expanded);
    expect(await rollbackRecorded(f.tag)).toBe(false);

    const r = await rollback(f, { yes: true });
    expect(r.value, r.out.slice(-3000)).toBe(0);
    const ev = events(r.out);
    // Wave by wave, newest first: every target of a wave ends before any of the next older one starts.
    const order = ev.filter((e) => e.event === 'target.start' || e.event === 'target.rolled-back').map((e) => `${e.event}:${e.wave}`);
    const rank = { rest: 0, early: 1, canary: 2 } as Record<string, number>;
    for (let i = 1; i < order.length; i++) expect(rank[order[i]!.split(':')[1]!]! >= rank[order[i - 1]!.split(':')[1]!]!, order.join(' ')).toBe(true);
    const starts = ev.filter((e) => e.event === 'target.start');
    expect(starts.map((e) => e.wave)).toEqual(['rest', 'rest', 'rest', 'rest', 'rest', 'early', 'early', 'early', 'early', 'canary']);
    const lastRest = Math.max(...ev.map((e, i) => (e.event === 'target.rolled-back' && e.wave === 'rest' ? i : -1)));
    const firstEarly = ev.findIndex((e) => e.event === 'target.start' && e.wave === 'early');
    expect(lastRest).toBeLessThan(firstEarly);
    expect(ev.filter((e) => e.event === 'target.rolled-back')).toHaveLength(10);
    expect(ev.some((e) => e.event === 'fleet.rollback.done')).toBe(true);
    // Each target's own rollback events are there, tagged.
    expect(ev.find((e) => e.event === 'rollback.done' && e.target === 'm1-b')).toMatchObject({ run: 'all', wave: 'rest' });

    expect(await catalogs(f)).toEqual(before);
    for (const t of f.targets) expect(await stepStates(t), t.name).toEqual(['rolled-back', 'rolled-back', 'rolled-back', 'rolled-back', 'pending']);
    const rows = await rollbackRows('all');
    for (const t of f.targets) expect(rows[t.name], t.name).toMatchObject({ status: 'rolled-back', claims: 1 });
    expect(rows.d1!.rolled_back).toHaveLength(4);

    // fleet status shows the rollback, per wave and per target.
    const st = await capture(() => runFleetStatus({ control, run: 'all' }));
    expect(st.out).toMatch(/rollback: done; every wave; 10\/10 rolled back/);
    expect(st.out).toMatch(/m2-c .*rollback: rolled back \(4 steps/);
    const sj = await capture(() => runFleetStatus({ control, run: 'all', format: 'json' }));
    const json = JSON.parse(sj.out) as { rollback: { status: string; counts: Record<string, number> }; waves: Array<{ name: string; rollback: Record<string, number> }> };
    expect(json.rollback.status).toBe('done');
    expect(json.rollback.counts['rolled-back']).toBe(10);
    expect(json.waves.map((w) => [w.name, w.rollback['rolled-back']])).toEqual([
      ['canary', 1],
      ['early', 4],
      ['rest', 5],
    ]);
    // A rolled-back run is not applied again under its id.
    await expect(capture(() => runApplyFleet({ input: [planFile], fleet: f.file, run: f.tag, phase: 'expand', format: 'json', pollMs: 100 }))).rejects.toThrow(/was rolled back: it is not applied again/);
    // The same rollback again: done already, nothing changes.
    const same = await rollback(f, { yes: true });
    expect(same.value).toBe(0);
    expect(events(same.out).find((e) => e.event === 'fleet.rollback.done')).toMatchObject({ already: true });
    expect((await rollbackRows('all')).d1).toMatchObject({ status: 'rolled-back', claims: 1 });
    console.log(`[fleet rollback] expand + rollback of 10 targets: ${Date.now() - t0} ms`);
  }, 120_000);

  it('refuses (exit 6) once a contract step ran on one target, naming it and the step, and changes nothing anywhere; --exclude it rolls back the others', async () => {
    const t0 = Date.now();
    const f = await fleet('contract');
    const before = await catalogs(f);
    await expand(f);
    // The contract phase on one tenant schema of the early wave, outside the fleet.
    const victim = f.targets.find((t) => t.name === 'm1-a')!;
    const c = await applyPlan(plan, { db: victim.url, phase: 'contract', yes: true, searchPath: [victim.schema!, 'public'], stateKey: `${plan.id}@${victim.schema}`, logger: memoryLogger() });
    expect(c.status, c.error).toBe('done');
    expect(c.ran).toEqual([CONTRACT_STEP]);
    const after = await catalogs(f);
    const states = await Promise.all(f.targets.map(stepStates));

    const r = await rollback(f, { yes: true });
    expect(r.value, r.out.slice(-2000)).toBe(6);
    const refused = events(r.out).find((e) => e.event === 'fleet.rollback.refused')!;
    expect(refused.reason).toBe('irreversible');
    expect(refused.targets).toEqual([{ target: 'm1-a', wave: 'early', steps: [{ step: CONTRACT_STEP, why: expect.stringMatching(/data is gone/) as unknown }] }]);
    expect(String(refused.message)).toMatch(/nothing was changed anywhere: a step that cannot be undone has run on 1 target of 10: m1-a \(wave early\): 0004-alter-table-accounts-drop/);
    expect(String(refused.message)).toContain(`--to ${CONTRACT_STEP}`);
    expect(String(refused.message)).toContain('--exclude m1-a');
    expect(events(r.out).filter((e) => e.event === 'target.start')).toEqual([]);
    // Nothing changed: no catalog, no target's state, no rollback recorded.
    expect(await catalogs(f)).toEqual(after);
    expect(await Promise.all(f.targets.map(stepStates))).toEqual(states);
    expect(await rollbackRecorded(f.tag)).toBe(false);
    // The dry run says the same, with exit 6.
    const dry = await rollback(f, { yes: true, dryRun: true, format: 'text' });
    expect(dry.value).toBe(6);
    expect(dry.out).toMatch(/m1-a {2}CANNOT BE UNDONE: 0004-alter-table-accounts-drop/);

    // Narrowed: the others are rolled back, m1-a keeps what the plan did.
    const narrowed = await rollback(f, { yes: true, exclude: ['m1-a'] });
    expect(narrowed.value, narrowed.out.slice(-3000)).toBe(0);
    const now = await catalogs(f);
    for (const t of f.targets) expect(now[t.name], t.name).toEqual(t.name === 'm1-a' ? after[t.name] : before[t.name]);
    expect(Object.keys(await rollbackRows('contract')).sort()).toEqual(f.targets.map((t) => t.name).filter((n) => n !== 'm1-a').sort());
    console.log(`[fleet rollback] refusal and narrowed rollback: ${Date.now() - t0} ms`);
  }, 120_000);

  it('--wave rest rolls back only that wave; a rollback of every wave then finishes the rest; a run still being applied is refused (exit 3)', async () => {
    const t0 = Date.now();
    const f = await fleet('wave');
    const before = await catalogs(f);
    await expand(f);
    const expanded = await catalogs(f);
    const r = await rollback(f, { yes: true, wave: ['rest'] });
    expect(r.value, r.out.slice(-3000)).toBe(0);
    const started = events(r.out).filter((e) => e.event === 'target.start').map((e) => e.target as string);
    const rest = f.targets.filter((t) => WAVE_OF[t.name] === 'rest').map((t) => t.name);
    expect(started.sort()).toEqual([...rest].sort());
    const now = await catalogs(f);
    for (const t of f.targets) expect(now[t.name], t.name).toEqual(rest.includes(t.name) ? before[t.name] : expanded[t.name]);
    const st = await capture(() => runFleetStatus({ control, run: 'wave' }));
    expect(st.out).toMatch(/rollback: done; wave rest; 5\/5 rolled back/);
    expect(st.out).not.toMatch(/d2 .*rollback:/);

    // A wave name that is not the run's is a usage error.
    const bad = await rollback(f, { yes: true, wave: ['rset'] }).catch((e: Error) => e);
    expect(String((bad as Error).message ?? '')).toMatch(/--wave: the run has no wave "rset" \(did you mean rest\?\)/);

    const all = await rollback(f, { yes: true });
    expect(all.value, all.out.slice(-3000)).toBe(0);
    const ev = events(all.out);
    expect(ev.filter((e) => e.event === 'target.nothing').map((e) => e.target as string).sort()).toEqual([...rest].sort());
    expect(ev.filter((e) => e.event === 'target.rolled-back').map((e) => e.target as string).sort()).toEqual(f.targets.map((t) => t.name).filter((n) => !rest.includes(n)).sort());
    expect(await catalogs(f)).toEqual(before);

    // A run still being applied is not rolled back (exit 3); once aborted, the targets it never started have nothing to undo.
    const det = await capture(() => runApplyFleet({ input: [planFile], fleet: f.file, run: 'wave-detached', phase: 'expand', format: 'json', detach: true }));
    expect(det.value, det.out).toBe(0);
    await expect(rollback({ ...f, tag: 'wave-detached' }, { yes: true })).rejects.toMatchObject({ exitCode: 3, message: expect.stringMatching(/is running: stop it first/) as unknown });
    expect(await rollbackRecorded('wave-detached')).toBe(false);
    await capture(() => runFleetAbort({ control, run: 'wave-detached' }));
    const none = await rollback({ ...f, tag: 'wave-detached' }, { yes: true });
    expect(none.value, none.out.slice(-2000)).toBe(0);
    expect(events(none.out).filter((e) => e.event === 'target.start')).toEqual([]);
    const noneRows = await query<{ status: string; note: string }>(control, `SELECT status, note FROM ddlguard.fleet_rollback_target WHERE run_id = 'wave-detached'`);
    expect(noneRows).toHaveLength(10);
    expect(noneRows.every((r) => r.status === 'nothing' && /not started by the run/.test(r.note))).toBe(true);
    // Usage: one database or a fleet run, not both; --wave only with a fleet run.
    await expect(runRollback({ input: [planFile], db: f.urls[0], control, run: 'wave' })).rejects.toThrow(/--db rolls back one database, --fleet \/ --control \/ --run a fleet run/);
    await expect(runRollback({ input: [planFile], db: f.urls[0], wave: ['rest'] })).rejects.toThrow(/--wave rolls back part of a fleet run: give --control URL --run ID/);
    console.log(`[fleet rollback] --wave, then every wave: ${Date.now() - t0} ms`);
  }, 120_000);

  it('halts after the wave in which a target\'s rollback fails, leaving the older waves; the same command resumes it once fixed', async () => {
    const t0 = Date.now();
    const f = await fleet('halt');
    const before = await catalogs(f);
    await expand(f);
    const expanded = await catalogs(f);
    // A view on the added column: dropping the column fails on d3 (wave early).
    const d3 = f.targets.find((t) => t.name === 'd3')!;
    await exec(d3.url, 'CREATE VIEW nick AS SELECT id, nickname FROM accounts');
    const r = await rollback(f, { yes: true });
    expect(r.value, r.out.slice(-3000)).toBe(1);
    const ev = events(r.out);
    const failed = ev.filter((e) => e.event === 'target.failed');
    expect(failed.map((e) => [e.target, e.step, e.sqlstate])).toEqual([['d3', '0001-alter-table-accounts-add', '2BP01']]);
    const halted = ev.find((e) => e.event === 'fleet.rollback.halted')!;
    expect(halted).toMatchObject({ wave: 'early', failed: ['d3'] });
    expect(ev.some((e) => e.event === 'target.start' && e.wave === 'canary')).toBe(false);
    const now = await catalogs(f);
    expect(now.d1).toEqual(expanded.d1);
    for (const t of f.targets.filter((x) => x.name !== 'd1' && x.name !== 'd3')) expect(now[t.name], t.name).toEqual(before[t.name]);
    const st = await capture(() => runFleetStatus({ control, run: 'halt' }));
    expect(st.out).toMatch(/rollback: halted - 1 target of the wave could not be rolled back \(d3\)/);
    expect(st.out).toMatch(/d3 .*rollback FAILED at 0001-alter-table-accounts-add \(2BP01\): .*depend/);

    await exec(d3.url, 'DROP VIEW nick');
    const again = await rollback(f, { yes: true });
    expect(again.value, again.out.slice(-3000)).toBe(0);
    const ev2 = events(again.out);
    expect(ev2.find((e) => e.event === 'fleet.rollback.resume')).toMatchObject({ did: 'resumed', requeued: ['d3'] });
    expect(ev2.filter((e) => e.event === 'target.start').map((e) => e.target)).toEqual(['d3', 'd1']);
    expect(await catalogs(f)).toEqual(before);
    expect((await rollbackRows('halt')).d3).toMatchObject({ status: 'rolled-back', claims: 2 });
    console.log(`[fleet rollback] halted on a failed target, resumed once fixed: ${Date.now() - t0} ms`);
  }, 120_000);

  it.skipIf(!existsSync(CLI))('converges after the rollback is SIGKILLed mid-way and two workers are started at once', async () => {
    const t0 = Date.now();
    const f = await fleet('kill');
    const before = await catalogs(f);
    await expand(f);
    const args = ['rollback', '--control', control, '--run', 'kill', '--yes', '--format', 'json', '--concurrency', '2'];
    // Killed while a target's rollback is under way: after a random number of its steps.
    const steps = 1 + Math.floor(Math.random() * 6);
    const killed = await child(args, { after: (evs) => evs.filter((e) => e.event === 'step.done' && e.action === 'rollback').length >= steps, delayMs: Math.floor(Math.random() * 50) });
    expect(killed.signal, killed.out.slice(-2000)).toBe('SIGKILL');
    const kev = events(killed.out);
    // What it was rolling back when it died: its claims, still running in the control database.
    const inFlight = Object.entries(await rollbackRows('kill')).filter(([, r]) => r.status === 'running').map(([t]) => t);
    expect(inFlight.length, killed.out.slice(-3000)).toBeGreaterThan(0);
    const [a, b] = await Promise.all([child(args), child(args)]);
    expect(a.code, a.out.slice(-3000)).toBe(0);
    expect(b.code, b.out.slice(-3000)).toBe(0);
    expect(await catalogs(f)).toEqual(before);
    const rows = await rollbackRows('kill');
    for (const t of f.targets) expect(rows[t.name]?.status, t.name).toBe('rolled-back');
    // The targets the killed worker was in were claimed again and resumed from their state.
    for (const t of inFlight) expect(rows[t]!.claims, t).toBeGreaterThanOrEqual(2);
    for (const t of f.targets) expect(await stepStates(t), t.name).toEqual(['rolled-back', 'rolled-back', 'rolled-back', 'rolled-back', 'pending']);
    // No target finished twice: by one of the restarted workers, or by the killed one.
    const ends = [...events(a.out), ...events(b.out), ...kev].filter((e) => e.event === 'target.rolled-back' || e.event === 'target.nothing').map((e) => e.target as string);
    expect(ends.length).toBe(new Set(ends).size);
    // Each restarted one joined the rollback under way (or, started late, found it done).
    for (const w of [a, b]) expect(events(w.out).some((e) => e.event === 'fleet.rollback.resume' || (e.event === 'fleet.rollback.done' && e.already === true)), w.out.slice(0, 2000)).toBe(true);
    expect(events(a.out).concat(events(b.out)).some((e) => e.event === 'fleet.rollback.resume')).toBe(true);
    console.log(`[fleet rollback] killed after ${steps} step(s) (in ${inFlight.join(', ')}), two workers finished: ${Date.now() - t0} ms`);
  }, 120_000);
});
