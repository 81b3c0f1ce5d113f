/**
 * The acceptance rollout on a real server: 30 tenant databases plus 30 tenant schemas in
 * one database, waves canary (1 target), 25 % and the rest, 6 targets at once. One tenant's
 * data violates the plan's new CHECK: that target fails, the gate halts the rollout before
 * the last wave, `fleet status` names the target and the error; once the data is fixed,
 * `fleet continue` runs only what is unfinished, and every target ends with the schema and
 * data a single `apply` gives. No password reaches any output, event or control table.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../support/db.js';
import { applyPlan } from '../../src/apply/runner.js';
import { memoryLogger } from '../../src/apply/log.js';
import { runApplyFleet, runFleetContinue, runFleetStatus } from '../../src/cli/commands/fleet.js';
import type { Plan } from '../../src/apply/types.js';
import { client } from '../apply/helpers.js';
import { capture, Databases, events, exec, query, referencePlan, seedSql, snapshot, tempDir, withPassword, writeJson } from './helpers.js';

const TENANT_DBS = 30;
const TENANT_SCHEMAS = 30;
const ROWS = 2000;
const BAD = 'tenant_07';
const TARGET_PW = 'Fl33t-T4rget-S3cret';
const ENV_PW = 'Fl33t-Env-S3cret';
const CONTROL_PW = 'Fl33t-C0ntrol-S3cret';
const pad = (i: number) => String(i).padStart(2, '0');

describe.skipIf(!pgUrl())('fleet rollout: 30 databases + 30 schemas, canary / 25 % / rest', () => {
  const dbs = new Databases(pgUrl() ?? '');
  let plan: Plan;
  let dir: string;
  let fleetFile: string;
  let planFile: string;
  let controlUrl: string;
  let multiUrl: string;
  let dbUrls: string[] = [];
  let reference: unknown;
  const outputs: string[] = [];

  beforeAll(async () => {
    const t0 = Date.now();
    plan = await referencePlan(18);
    dir = tempDir();
    planFile = writeJson(dir, 'plan.json', plan);
    const template = await dbs.create('tpl');
    await exec(template, seedSql(null, ROWS));
    for (let i = 1; i <= TENANT_DBS; i++) dbUrls.push(await dbs.create(`db${pad(i)}`, dbs.name(template)));
    multiUrl = await dbs.create('multi');
    await exec(multiUrl, Array.from({ length: TENANT_SCHEMAS }, (_, i) => seedSql(`tenant_${pad(i + 1)}`, ROWS)).join('\n'));
    await exec(multiUrl, `UPDATE ${BAD}.accounts SET balance = -5 WHERE id IN (17, 1234)`);
    controlUrl = withPassword(await dbs.create('control'), CONTROL_PW);
    // The result of a single apply, on a copy of a tenant.
    const refUrl = await dbs.create('reference', dbs.name(template));
    const r = await applyPlan(plan, { db: refUrl, logger: memoryLogger() });
    expect(r.status, r.error).toBe('done');
    const c = await client(refUrl);
    reference = await snapshot(c, 'public');
    await c.end();
    process.env.FLEET_TEST_PW = ENV_PW;
    // Schemas first, then the databases: the file's order is the targets' order.
    fleetFile = path.join(dir, 'fleet.yaml');
    writeFileSync(
      fleetFile,
      [
        `schemas: { url: "${withPassword(multiUrl, TARGET_PW)}", match: 'tenant\\_%' }`,
        'targets:',
        ...dbUrls.map((u, i) => `  - { name: db${pad(i + 1)}, url: "${i % 2 === 0 ? withPassword(u, TARGET_PW) : withPassword(u, 'PLACEHOLDER').replace('PLACEHOLDER', '${FLEET_TEST_PW}')}" }`),
        'waves:',
        '  - { name: canary, targets: [db01] }',
        '  - { name: early, percent: 25 }',
        '  - { name: rest, percent: 100 }',
        'concurrency: 6',
        'gates:',
        '  maxFailed: 0',
        '  checks: ["SELECT count(*) = 0 FROM accounts WHERE public_id IS NULL"]',
        '',
      ].join('\n'),
    );
    console.log(`[fleet rollout] set-up ${Date.now() - t0} ms`);
  }, 240_000);

  afterAll(async () => {
    delete process.env.FLEET_TEST_PW;
    await dbs.dropAll();
  }, 120_000);

  it('halts before the last wave on the failed tenant, names it, and continues only what is unfinished once its data is fixed', async () => {
    const t0 = Date.now();
    const first = await capture(() => runApplyFleet({ input: [planFile], fleet: fleetFile, control: controlUrl, format: 'json', run: 'acceptance', pollMs: 200 }));
    outputs.push(first.out, first.err);
    const tFirst = Date.now() - t0;
    expect(first.value, first.out.slice(-3000)).toBe(6); // halted by a gate
    const ev1 = events(first.out);
    const started1 = ev1.filter((e) => e.event === 'target.start').map((e) => e.target as string);
    const canary = ['db01'];
    const early = Array.from({ length: 14 }, (_, i) => `tenant_${pad(i + 1)}`);
    // The canary ran alone, before any target of the next wave; then the early wave, up to the
    // failure: with maxFailed 0, a wave over its limit starts no more of its targets.
    expect(started1[0]).toBe('db01');
    expect(started1).toContain(BAD);
    expect(started1.every((t) => [...canary, ...early].includes(t))).toBe(true);
    const notStarted = early.filter((t) => !started1.includes(t));
    const failed = ev1.filter((e) => e.event === 'target.failed');
    expect(failed.map((e) => e.target)).toEqual([BAD]);
    expect(failed[0]!.step).toBe('0005-validate-accounts_balance_nonneg');
    expect(failed[0]!.sqlstate).toBe('23514');
    expect(String(failed[0]!.error)).toMatch(/violated by some row/);
    expect(ev1.some((e) => e.event === 'gate.failed' && e.wave === 'early')).toBe(true);
    expect(ev1.some((e) => e.event === 'fleet.halted')).toBe(true);
    // Apply events are per target, tagged.
    const stepDone = ev1.find((e) => e.event === 'step.done' && e.target === 'tenant_03');
    expect(stepDone).toMatchObject({ run: 'acceptance', wave: 'early' });
    // Nothing of the last wave ran.
    const states = await query<{ target: string; wave: number; status: string; claims: number }>(controlUrl, `SELECT target, wave, status, claims FROM ddlguard.fleet_target WHERE run_id = 'acceptance' ORDER BY wave, ordinal`);
    expect(states.filter((s) => notStarted.includes(s.target)).every((s) => s.status === 'pending')).toBe(true);
    expect(states.filter((s) => s.wave === 2).every((s) => s.status === 'pending' && s.claims === 0)).toBe(true);
    expect(states.filter((s) => s.wave === 2)).toHaveLength(45);
    const rest = states.filter((s) => s.wave === 2).map((s) => s.target);
    expect((await query(dbUrls[29]!, `SELECT to_regclass('ddlguard.apply_plan') AS t`))[0]!.t).toBeNull();

    const status = await capture(() => runFleetStatus({ control: controlUrl, run: 'acceptance' }));
    outputs.push(status.out, status.err);
    expect(status.value).toBe(6);
    expect(status.out).toMatch(/fleet run acceptance: halted/);
    expect(status.out).toMatch(new RegExp(`failed\\s+${BAD} \\([^)]*schema ${BAD}\\).*at 0005-validate-accounts_balance_nonneg \\(23514\\): check constraint "accounts_balance_nonneg" of relation "accounts" is violated by some row`));
    expect(status.out).toMatch(/wave 3\/3 rest: pending, 0\/45 done, 45 pending/);
    expect(status.out).toMatch(/fleet continue --control/);

    // Fix the data; continue finishes only what is unfinished.
    await exec(multiUrl, `UPDATE ${BAD}.accounts SET balance = id % 1000 WHERE balance < 0`);
    const t1 = Date.now();
    const second = await capture(() => runFleetContinue({ control: controlUrl, run: 'acceptance', format: 'json', pollMs: 200 }));
    outputs.push(second.out, second.err);
    const tSecond = Date.now() - t1;
    expect(second.value, second.out.slice(-3000)).toBe(0);
    const ev2 = events(second.out);
    const started2 = ev2.filter((e) => e.event === 'target.start').map((e) => e.target as string);
    expect(new Set(started2)).toEqual(new Set([BAD, ...notStarted, ...rest]));
    expect(started2).toHaveLength(1 + notStarted.length + 45);
    // The fixed tenant resumes: only the step that failed runs again.
    const badSteps = ev2.filter((e) => e.event === 'step.start' && e.target === BAD).map((e) => e.step);
    expect(badSteps).toEqual(['0005-validate-accounts_balance_nonneg']);
    expect(ev2.filter((e) => e.event === 'step.start' && !new Set([BAD, ...notStarted, ...rest]).has(e.target as string))).toEqual([]);
    expect(ev2.some((e) => e.event === 'fleet.done')).toBe(true);
    // At most 6 targets at once, and 6 reached in the 45-target wave.
    let running = 0;
    let peak = 0;
    for (const e of ev2) {
      if (e.event === 'target.start') peak = Math.max(peak, ++running);
      else if (e.event === 'target.done' || e.event === 'target.failed' || e.event === 'target.released') running--;
    }
    expect(peak).toBe(6);

    const final = await query<{ target: string; status: string; claims: number; schema_name: string | null; state_key: string; steps_done: string[] }>(
      controlUrl,
      `SELECT target, status, claims, schema_name, state_key, steps_done FROM ddlguard.fleet_target WHERE run_id = 'acceptance'`,
    );
    expect(final).toHaveLength(60);
    expect(final.filter((t) => t.status !== 'done')).toEqual([]);
    expect(final.filter((t) => t.claims !== 1).map((t) => t.target)).toEqual([BAD]);
    console.log(`[fleet rollout] early wave: ${started1.length - 1} started before the halt, ${notStarted.length} not started (${notStarted.join(', ')})`);
    expect(final.find((t) => t.target === 'tenant_01')!.state_key).toBe(`${plan.id}@tenant_01`);
    expect(final.find((t) => t.target === 'db05')!.state_key).toBe(plan.id);
    expect(final.every((t) => t.steps_done.length === plan.steps.length)).toBe(true);
    const run = await query<{ status: string; current_wave: number }>(controlUrl, `SELECT status, current_wave FROM ddlguard.fleet_run WHERE run_id = 'acceptance'`);
    expect(run[0]).toEqual({ status: 'done', current_wave: 2 });

    // Every target: the schema and data of a single apply; each step's state recorded once per target.
    for (const [i, u] of dbUrls.entries()) {
      const c = await client(u);
      try {
        expect(await snapshot(c, 'public'), `db${pad(i + 1)}`).toEqual(reference);
        const st = await c.query(`SELECT plan_id, count(*)::int AS n, bool_and(status = 'done') AS done FROM ddlguard.apply_step GROUP BY plan_id`);
        expect(st.rows).toEqual([{ plan_id: plan.id, n: plan.steps.length, done: true }]);
      } finally {
        await c.end();
      }
    }
    const c = await client(multiUrl);
    try {
      for (let i = 1; i <= TENANT_SCHEMAS; i++) expect(await snapshot(c, `tenant_${pad(i)}`), `tenant_${pad(i)}`).toEqual(reference);
      const st = await c.query(`SELECT plan_id, count(*)::int AS n, bool_and(status = 'done') AS done FROM ddlguard.apply_step GROUP BY plan_id ORDER BY plan_id`);
      expect(st.rows).toEqual(Array.from({ length: TENANT_SCHEMAS }, (_, i) => ({ plan_id: `${plan.id}@tenant_${pad(i + 1)}`, n: plan.steps.length, done: true })));
      // Nothing was created outside the tenant schemas.
      expect((await c.query(`SELECT to_regclass('public.accounts') AS t`)).rows[0].t).toBeNull();
    } finally {
      await c.end();
    }
    console.log(`[fleet rollout] 60 targets: first run (to the halt) ${tFirst} ms, continue ${tSecond} ms`);
  }, 300_000);

  it('keeps every password out of the output, the events and the control tables', async () => {
    expect(outputs.length).toBeGreaterThan(0);
    for (const text of outputs) {
      for (const pw of [TARGET_PW, ENV_PW, CONTROL_PW]) expect(text.includes(pw), `output contains ${pw}`).toBe(false);
    }
    const rows = await query<{ j: string }>(controlUrl, `SELECT row_to_json(r)::text AS j FROM ddlguard.fleet_run r UNION ALL SELECT row_to_json(w)::text FROM ddlguard.fleet_wave w UNION ALL SELECT row_to_json(t)::text FROM ddlguard.fleet_target t`);
    expect(rows.length).toBe(1 + 3 + 60);
    for (const { j } of rows) for (const pw of [TARGET_PW, ENV_PW, CONTROL_PW]) expect(j.includes(pw), j.slice(0, 200)).toBe(false);
    // ${VAR} is stored as written, for workers elsewhere to interpolate; literal passwords are gone.
    const urls = await query<{ target: string; url: string }>(controlUrl, `SELECT target, url FROM ddlguard.fleet_target WHERE target IN ('db01', 'db02', 'tenant_01') ORDER BY target`);
    expect(urls.find((u) => u.target === 'db02')!.url).toContain(':${FLEET_TEST_PW}@');
    expect(urls.find((u) => u.target === 'db01')!.url).toMatch(/^postgres(ql)?:\/\/postgres@/);
    expect(urls.find((u) => u.target === 'tenant_01')!.url).toMatch(/^postgres(ql)?:\/\/postgres@/);
  });
});
