/**
 * Gates and the run's life on small fleets of real databases: pause and continue, soak and
 * the re-check after it, a percentage of failures allowed, an unreachable target and
 * --skip-gate, abort (and --stop-running), a detached run and its workers, resuming a run;
 * and the errors a user meets (a bad fleet file, an unreachable source, a missing control
 * database) as one clear line without a stack or a password.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../support/db.js';
import { runApplyFleet, runFleetAbort, runFleetContinue, runFleetStatus, runFleetWorker } from '../../src/cli/commands/fleet.js';
import type { Plan } from '../../src/apply/types.js';
import { plan, sleep, step } from '../apply/helpers.js';
import { capture, Databases, dbUrl, events, exec, query, tempDir, withPassword, writeJson } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, '..', '..', 'dist', 'src', 'cli', 'main.js');
const SECRET = 'G4te-Test-S3cret';

const SEED = `CREATE TABLE items (id int PRIMARY KEY, price int NOT NULL);
INSERT INTO items SELECT g, g % 97 FROM generate_series(1, 3000) g;
CREATE TABLE flag (x int);
ANALYZE items;`;

function checkPlan(id: string, extra: Plan['steps'] = []): Plan {
  return plan(id, [
    step('add-total', 'ALTER TABLE items ADD COLUMN total int'),
    step('fill-total', 'UPDATE items SET total = price * 2', {
      phase: 'migrate',
      batch: { table: 'items', keyColumns: ['id'], updateSql: 'UPDATE items SET total = price * 2 WHERE id BETWEEN $1 AND $2 AND total IS NULL', predicate: 'total IS NULL', batchSize: 500 },
    }),
    step('price-positive', 'ALTER TABLE items ADD CONSTRAINT items_price_positive CHECK (price >= 0)'),
    ...extra,
  ]);
}

describe.skipIf(!pgUrl())('fleet gates and the run life cycle', () => {
  const dbs = new Databases(pgUrl() ?? '');
  let template: string;
  let control: string;
  let dir: string;

  beforeAll(async () => {
    const t = await dbs.create('tpl');
    await exec(t, SEED);
    template = dbs.name(t);
    control = withPassword(await dbs.create('control'), SECRET);
    dir = tempDir();
  }, 120_000);

  afterAll(async () => {
    await dbs.dropAll();
  }, 120_000);

  async function tenants(tag: string, n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 1; i <= n; i++) out.push(withPassword(await dbs.create(`${tag}_${i}`, template), SECRET));
    return out;
  }

  function fleet(name: string, urls: string[], body: string): string {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, `targets:\n${urls.map((u, i) => `  - { name: t${i + 1}, url: "${u}" }`).join('\n')}\n${body}`);
    return file;
  }

  it('pauses after a wave until `fleet continue`; a worker with --wait idles through the pause', async () => {
    const urls = await tenants('pause', 3);
    const file = fleet('pause', urls, `waves:\n  - { name: canary, targets: [t1] }\n  - { name: rest, percent: 100 }\ngates: { pause: [canary] }\n`);
    const planFile = writeJson(dir, 'pause-plan.json', checkPlan('pause-plan'));
    const r1 = await capture(() => runApplyFleet({ input: [planFile], fleet: file, control, run: 'pause', format: 'json', pollMs: 100 }));
    expect(r1.value, r1.out.slice(-2000)).toBe(7);
    const ev = events(r1.out);
    expect(ev.filter((e) => e.event === 'target.start').map((e) => e.target)).toEqual(['t1']);
    expect(ev.some((e) => e.event === 'fleet.paused')).toBe(true);
    const st = await capture(() => runFleetStatus({ control, run: 'pause' }));
    expect(st.value).toBe(7);
    expect(st.out).toMatch(/fleet run pause: paused - paused after wave canary/);
    expect(st.out).toMatch(/next: `ddlguard fleet continue --control '[^']*' --run pause` starts the next wave/);
    // A worker started with --wait idles through the pause; `continue --detach` only flips the run, the worker does the rest.
    const r2 = await capture(async () => {
      const waiting = runFleetWorker({ control, run: 'pause', wait: true, format: 'json', pollMs: 100, workerId: 'waiter' });
      await sleep(500);
      const before = await query(control, `SELECT count(*)::int AS n FROM ddlguard.fleet_target WHERE run_id = 'pause' AND status <> 'pending' AND target <> 't1'`);
      const cont = await runFleetContinue({ control, run: 'pause', detach: true });
      return { before: before[0]!.n, cont, worker: await waiting };
    });
    expect(r2.value.before).toBe(0);
    expect(r2.value.cont).toBe(0);
    expect(r2.value.worker, r2.out.slice(-2000)).toBe(0);
    expect(r2.out).toMatch(/run pause: passed the pause after wave canary: wave rest starts/);
    expect(events(r2.out).filter((e) => e.event === 'target.start').map((e) => [e.target, e.worker]).sort()).toEqual([
      ['t2', 'waiter'],
      ['t3', 'waiter'],
    ]);
    for (const o of [r1.out, st.out, r2.out]) expect(o).not.toContain(SECRET);
  }, 60_000);

  it('soaks, then checks again: a check that turns false during the soak halts the rollout; it passes once fixed', async () => {
    const urls = await tenants('soak', 2);
    const file = fleet('soak', urls, `waves:\n  - { name: canary, targets: [t1], soak: 1500ms }\n  - { name: rest, percent: 100 }\ngates:\n  checks: ["SELECT NOT EXISTS (SELECT 1 FROM flag)", "SELECT count(*) = 0 FROM items WHERE total IS NULL"]\n`);
    const planFile = writeJson(dir, 'soak-plan.json', checkPlan('soak-plan'));
    let soakSeenAt = 0;
    const r1 = await capture(async () => {
      const p = runApplyFleet({ input: [planFile], fleet: file, control, run: 'soak', format: 'json', pollMs: 100 });
      // Once the soak has started, something goes wrong on the canary.
      for (let i = 0; i < 200 && !soakSeenAt; i++) {
        const w = await query(control, `SELECT soak_until FROM ddlguard.fleet_wave WHERE run_id = 'soak' AND wave = 0`).catch(() => []);
        if (w[0]?.soak_until) soakSeenAt = Date.now();
        else await sleep(50);
      }
      await exec(urls[0]!, 'INSERT INTO flag VALUES (1)');
      return p;
    });
    expect(soakSeenAt).toBeGreaterThan(0);
    expect(r1.value, r1.out.slice(-2000)).toBe(6);
    const ev = events(r1.out);
    const soak = ev.find((e) => e.event === 'gate.soak')!;
    const failed = ev.find((e) => e.event === 'gate.failed')!;
    expect(Date.parse(String(failed.ts)) - Date.parse(String(soak.ts))).toBeGreaterThanOrEqual(1400);
    expect(failed.result).toMatchObject({ pass: 'after soak', failed: [], checkFailed: ['t1'] });
    expect(ev.filter((e) => e.event === 'target.start').map((e) => e.target)).toEqual(['t1']);
    const st = await capture(() => runFleetStatus({ control, run: 'soak' }));
    expect(st.out).toMatch(/done\s+t1 .*check failed: SELECT NOT EXISTS \(SELECT 1 FROM flag\): returned false/);
    expect(st.out).toMatch(/gate \([^)]*\): wave canary failed its gates after the soak \(maxFailed 0\): a check failed on 1 target: t1/);
    await exec(urls[0]!, 'DELETE FROM flag');
    const r2 = await capture(() => runFleetContinue({ control, run: 'soak', format: 'json', pollMs: 100 }));
    expect(r2.value, r2.out.slice(-2000)).toBe(0);
    const ev2 = events(r2.out);
    // The canary is not applied again: only its gate is.
    expect(ev2.filter((e) => e.event === 'target.start').map((e) => e.target)).toEqual(['t2']);
    expect(ev2.filter((e) => e.event === 'gate.passed').map((e) => e.wave)).toEqual(['canary', 'rest']);
    const rows = await query(control, `SELECT target, check_error FROM ddlguard.fleet_target WHERE run_id = 'soak' ORDER BY target`);
    expect(rows).toEqual([
      { target: 't1', check_error: null },
      { target: 't2', check_error: null },
    ]);
  }, 60_000);

  it('lets a wave fail within maxFailed (a percentage); the run ends done with failures (exit 1) and continue retries them', async () => {
    const urls = await tenants('pct', 4);
    await exec(urls[1]!, 'UPDATE items SET price = -1 WHERE id = 5');
    const file = fleet('pct', urls, `waves:\n  - { name: all, percent: 100 }\ngates: { maxFailed: '25%' }\nconcurrency: 4\n`);
    const planFile = writeJson(dir, 'pct-plan.json', checkPlan('pct-plan'));
    const r1 = await capture(() => runApplyFleet({ input: [planFile], fleet: file, control, run: 'pct', format: 'json', pollMs: 100 }));
    expect(r1.value, r1.out.slice(-2000)).toBe(1);
    const ev = events(r1.out);
    expect(ev.filter((e) => e.event === 'target.failed').map((e) => [e.target, e.step, e.sqlstate])).toEqual([['t2', 'price-positive', '23514']]);
    expect(ev.find((e) => e.event === 'gate.passed')!.message).toMatch(/wave all passed its gates \(1 failed, maxFailed 25% = 1\)/);
    const st = await capture(() => runFleetStatus({ control, run: 'pct' }));
    expect(st.value).toBe(1);
    expect(st.out).toMatch(/1 target failed within the gates' limits: `ddlguard fleet continue --control '[^']*' --run pct` retries them/);
    await exec(urls[1]!, 'UPDATE items SET price = 5 WHERE id = 5');
    const r2 = await capture(() => runFleetContinue({ control, run: 'pct', format: 'json', pollMs: 100 }));
    expect(r2.value, r2.out.slice(-2000)).toBe(0);
    expect(events(r2.out).filter((e) => e.event === 'target.start').map((e) => e.target)).toEqual(['t2']);
  }, 60_000);

  it('reports an unreachable target by name; --skip-gate passes the gate as it is and records who did', async () => {
    const urls = await tenants('unreach', 2);
    const dead = withPassword('postgresql://postgres@127.0.0.1:1/nowhere', SECRET);
    const file = path.join(dir, 'unreach.yaml');
    writeFileSync(file, `targets:\n  - { name: t1, url: "${urls[0]}" }\n  - { name: gone, url: "${dead}" }\n  - { name: t3, url: "${urls[1]}" }\nwaves:\n  - { name: first, targets: [t1, gone] }\n  - { name: rest, percent: 100 }\n`);
    const planFile = writeJson(dir, 'unreach-plan.json', checkPlan('unreach-plan'));
    const r1 = await capture(() => runApplyFleet({ input: [planFile], fleet: file, control, run: 'unreach', pollMs: 100 }));
    expect(r1.value).toBe(6);
    expect(r1.out).toMatch(/gone FAILED: connect ECONNREFUSED 127\.0\.0\.1:1/);
    const st = await capture(() => runFleetStatus({ control, run: 'unreach' }));
    expect(st.out).toMatch(/failed\s+gone \(nowhere\)\s+\S+\s+at \(before any step\): .*ECONNREFUSED 127\.0\.0\.1:1/);
    const r2 = await capture(() => runFleetContinue({ control, run: 'unreach', skipGate: true, format: 'json', pollMs: 100 }));
    expect(r2.value, r2.out.slice(-2000)).toBe(1); // done, one target failed
    expect(events(r2.out).filter((e) => e.event === 'target.start').map((e) => e.target)).toEqual(['t3']);
    const w = await query(control, `SELECT status, overridden_by FROM ddlguard.fleet_wave WHERE run_id = 'unreach' ORDER BY wave`);
    expect(w[0]!.status).toBe('passed');
    expect(String(w[0]!.overridden_by)).toMatch(/@.* pid \d+ at \d{4}-/);
    for (const o of [r1.out, r1.err, st.out, r2.out]) expect(o).not.toContain(SECRET);
  }, 60_000);

  it('abort stops claiming; --stop-running stops running targets after their batch; continue resumes to the end', async () => {
    const urls = await tenants('abort', 4);
    const file = fleet('abort', urls, `waves:\n  - { name: all, percent: 100 }\nconcurrency: 2\n`);
    const slow = checkPlan('abort-plan', [step('nap', 'SELECT pg_sleep(0.6)')]);
    const planFile = writeJson(dir, 'abort-plan.json', slow);
    const overrides = { backfill: { targetBatchMs: 10, minBatchSize: 100, maxBatchSize: 100, sleepBetweenMs: 30, maxReplicationLagMs: null } };
    const r = await capture(async () => {
      const p = runApplyFleet({ input: [planFile], fleet: file, control, run: 'abort', format: 'json', pollMs: 100, applyOverrides: overrides });
      for (let i = 0; i < 200; i++) {
        const rows = await query(control, `SELECT count(*)::int AS n FROM ddlguard.fleet_target WHERE run_id = 'abort' AND status = 'running' AND current_step = 'fill-total'`).catch(() => [{ n: 0 }]);
        if (Number(rows[0]!.n) >= 2) break;
        await sleep(30);
      }
      const a = await runFleetAbort({ control, run: 'abort', stopRunning: true });
      return { worker: await p, abort: a };
    });
    expect(r.value.abort).toBe(0);
    expect(r.value.worker, r.out.slice(-2000)).toBe(4);
    const ev = events(r.out);
    expect(ev.filter((e) => e.event === 'target.released').length).toBe(2);
    expect(r.out).toMatch(/run abort aborted: no new target is claimed; 2 running targets stop after their current batch or step/);
    const rows = await query<{ status: string; n: number }>(control, `SELECT status, count(*)::int AS n FROM ddlguard.fleet_target WHERE run_id = 'abort' GROUP BY status`);
    expect(rows).toEqual([{ status: 'pending', n: 4 }]);
    const stopped = await query(urls[0]!, `SELECT last_key FROM ddlguard.apply_step WHERE step_id = 'fill-total'`);
    expect(Number(stopped[0]?.last_key ?? 0)).toBeGreaterThan(0);
    const st = await capture(() => runFleetStatus({ control, run: 'abort' }));
    expect(st.value).toBe(4);
    expect(st.out).toMatch(/fleet run abort: aborted - aborted by .* \(running targets asked to stop\)/);
    const r2 = await capture(() => runFleetContinue({ control, run: 'abort', format: 'json', pollMs: 100 }));
    expect(r2.value, r2.out.slice(-2000)).toBe(0);
    const resumed = events(r2.out).filter((e) => e.event === 'backfill.start' && e.resumeAfter !== null);
    expect(resumed.length).toBe(2);
    for (const u of urls) expect((await query(u, 'SELECT count(*)::int AS n FROM items WHERE total IS DISTINCT FROM price * 2'))[0]!.n).toBe(0);
  }, 60_000);

  it('a detached run is worked by `fleet worker`; the same run id resumes, a changed plan under it is refused', async () => {
    const urls = await tenants('detach', 2);
    const file = fleet('detach', urls, `run: detached\nwaves:\n  - { name: all, percent: 100 }\n`);
    const planFile = writeJson(dir, 'detach-plan.json', checkPlan('detach-plan'));
    const d = await capture(() => runApplyFleet({ input: [planFile], fleet: file, control, detach: true }));
    expect(d.value).toBe(0);
    expect(d.out).toMatch(/run detached recorded; start workers with `ddlguard fleet worker --control 'postgresql:\/\/postgres:\*\*\*@[^']*' --run detached`/);
    expect((await query(urls[0]!, `SELECT to_regclass('ddlguard.apply_plan') AS t`))[0]!.t).toBeNull();
    const w = await capture(() => runFleetWorker({ control, format: 'json', pollMs: 100 }));
    expect(w.value, w.out.slice(-2000)).toBe(0);
    expect(events(w.out).filter((e) => e.event === 'target.done').length).toBe(2);
    const again = await capture(() => runApplyFleet({ input: [planFile], fleet: file, control, format: 'json', pollMs: 100 }));
    expect(again.value).toBe(0);
    const ev = events(again.out);
    expect(ev.some((e) => e.event === 'fleet.resume')).toBe(true);
    expect(ev.filter((e) => e.event === 'target.start')).toEqual([]);
    const changed = writeJson(dir, 'detach-plan2.json', checkPlan('detach-plan', [step('more', 'SELECT 1')]));
    await expect(capture(() => runApplyFleet({ input: [changed], fleet: file, control }))).rejects.toThrow(/fleet run "detached" already exists with another plan .*pass --run NEW_ID/);
  }, 60_000);

  it('says what is wrong, where, without a stack or a password: a bad file, an unknown wave target, an unreachable source, a missing control database', async () => {
    const planFile = writeJson(dir, 'err-plan.json', checkPlan('err-plan'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, `targets:\n  - { name: a, url: "postgresql://u:${SECRET}@127.0.0.1:1/x" }\nwaves:\n  - { name: canary, targets: [a], percent: 5 }\nconcurrency: 0\n`);
    const unknown = path.join(dir, 'unknown.yaml');
    writeFileSync(unknown, `targets:\n  - { name: a, url: "postgresql://u:${SECRET}@127.0.0.1:1/x" }\nwaves:\n  - { name: canary, targets: [b] }\n  - { name: rest, percent: 100 }\n`);
    const source = path.join(dir, 'source.yaml');
    writeFileSync(source, `schemas: { url: "postgresql://u:${SECRET}@127.0.0.1:1/app", match: 'tenant_%' }\nwaves:\n  - { name: all, percent: 100 }\n`);
    const okFile = fleet('ok', [withPassword((await tenants('ok', 1))[0]!, SECRET)], `waves:\n  - { name: all, percent: 100 }\n`);
    const missing = withPassword(dbUrl(pgUrl()!, 'no_such_control_db'), SECRET);
    await expect(capture(() => runApplyFleet({ input: [planFile], fleet: okFile, control: missing }))).rejects.toThrow(/^control database postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/no_such_control_db does not exist: create it, or pass --control/);
    await expect(capture(() => runFleetStatus({ control: missing }))).rejects.toThrow(/does not exist/);
    if (!existsSync(CLI)) return;
    const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
    const cases: Array<[string[], RegExp]> = [
      [['apply', planFile, '--fleet', 'bad.yaml'], /^ddlguard: bad\.yaml:4:5: waves\[0\]: a wave takes one of targets, percent or count, not targets and percent\nbad\.yaml:5:14: concurrency: expected an integer between 1 and 1000, got 0\n$/],
      [['apply', planFile, '--fleet', 'unknown.yaml'], /^ddlguard: unknown\.yaml:4:31: waves: no target named "b"/],
      [['apply', planFile, '--fleet', 'source.yaml'], /^ddlguard: source\.yaml:1:\d+: schemas: cannot connect to postgresql:\/\/u:\*\*\*@127\.0\.0\.1:1\/app: connect ECONNREFUSED/],
      [['apply', planFile, '--fleet', 'nope.yaml'], /^ddlguard: nope\.yaml: cannot read fleet file: file not found/],
      [['fleet', 'status', '--control', missing], /^ddlguard: control database .* does not exist/],
      [['fleet', 'status'], /^ddlguard: give the control database: --control URL/],
    ];
    for (const [args, re] of cases) {
      const r = cliOut(cli(...args));
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr + r.stdout).not.toContain(SECRET);
    }
  }, 60_000);
});

function cliOut(r: ReturnType<typeof spawnSync>): { status: number | null; stdout: string; stderr: string } {
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}
