/**
 * `ddlguard rollback` and the rollback horizon in `ddlguard status`, as command functions on
 * plans the planner made: the exit codes, the refusal after a contract step (message, exit
 * code, nothing changed), --to, --yes, --dry-run, --format json, and migration files.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';
import { runApply, runStatus } from '../../src/cli/commands/apply.js';
import { runRollback } from '../../src/cli/commands/rollback.js';
import { rollbackPlan } from '../../src/apply/rollback.js';
import { applyPlan } from '../../src/apply/runner.js';
import { memoryLogger } from '../../src/apply/log.js';
import { planMigration } from '../../src/plan/planner.js';
import { renderMarkdown } from '../../src/plan/render/markdown.js';
import { loadParser } from '../../src/sql/parser.js';
import { fixture } from '../plan/support.js';
import { client, plan, step } from './helpers.js';

const SEED = fixture('base.seed.sql');

function capture() {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  return { text: () => chunks.join(''), restore: () => spy.mockRestore() };
}

async function run<T>(fn: () => Promise<T>): Promise<{ value: T; out: string }> {
  const out = capture();
  try {
    const value = await fn();
    return { value, out: out.text() };
  } finally {
    out.restore();
  }
}

function planFile(name: string, sql: string, major: number): string {
  const p = planMigration([{ path: `${name}.sql`, text: sql }], { pgVersion: major, history: [{ path: 'seed.sql', text: SEED }] });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-rollback-'));
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(p));
  return file;
}

async function usersColumns(url: string): Promise<string[]> {
  const c = await client(url);
  try {
    const r = await c.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1`);
    return r.rows.map((x) => x.column_name as string);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await loadParser();
});

describe('the rollback horizon in the Markdown review', () => {
  it('names the first step that cannot be undone and what is lost after it', () => {
    const p = planMigration([{ path: 'r.sql', text: 'ALTER TABLE users RENAME COLUMN name TO full_name;' }], { pgVersion: 18, history: [{ path: 'seed.sql', text: SEED }] });
    const md = renderMarkdown(p);
    expect(md).toContain("## Rollback\n\n`ddlguard rollback` is possible until `0001-rename-name-drop-old` runs: after it, the old column's data is gone.");
    expect(md).toContain("- rollback: **irreversible**: the old column's data is gone");
    const all = planMigration([{ path: 'i.sql', text: 'CREATE INDEX users_age_idx ON users (age);' }], { pgVersion: 18, history: [{ path: 'seed.sql', text: SEED }] });
    expect(renderMarkdown(all)).toContain('## Rollback\n\nEvery step can be rolled back with `ddlguard rollback`.');
  });
});

describe.skipIf(!pgUrl(18))('ddlguard rollback', () => {
  it('after the expand phase: status says until which step, rollback restores; after the contract step: exit 6, says why, changes nothing', async () => {
    await withDatabase(18, async (url) => {
      const c = await client(url);
      await c.query(SEED);
      await c.end();
      const file = planFile('rename', 'ALTER TABLE users RENAME COLUMN name TO full_name;', 18);
      const original = await usersColumns(url);

      expect((await run(() => runApply({ input: [file], db: url }))).value).toBe(0);
      let s = await run(() => runStatus({ db: url }));
      expect(s.out).toContain("rollback possible until 0001-rename-name-drop-old: after it, the old column's data is gone");

      const dry = await run(() => runRollback({ input: [file], db: url, dryRun: true }));
      expect(dry.value).toBe(0);
      expect(dry.out).toMatch(/ddlguard rollback: dry run of the rollback of plan plan-\w+-pg18 on postgresql:\/\/postgres:\*\*\*@/);
      expect(dry.out).toMatch(/rollback 0001-rename-name-sync-trigger: DROP TRIGGER IF EXISTS users_full_name__ddlg_sync ON users;/);
      expect(dry.out).toMatch(/rollback 0001-rename-name-add-full_name: ALTER TABLE users DROP COLUMN IF EXISTS full_name\n\s+in its own transaction: lock_timeout 100 ms growing x2 to 2000 ms/);
      expect(dry.out).not.toMatch(/DROPS DATA/); // full_name is a copy kept by the trigger
      expect(await usersColumns(url)).toEqual([...original, 'full_name'].sort());

      // Roll back the expand and migrate steps, apply them again, then the contract step.
      expect((await run(() => runRollback({ input: [file], db: url }))).value).toBe(0);
      expect(await usersColumns(url)).toEqual(original);
      expect((await run(() => runApply({ input: [file], db: url }))).value).toBe(0);
      expect((await run(() => runApply({ input: [file], db: url, phase: 'contract' }))).value).toBe(0);
      const contracted = await usersColumns(url);
      expect(contracted).not.toContain('name');

      s = await run(() => runStatus({ db: url }));
      expect(s.out).toContain("rollback no longer possible: 0001-rename-name-drop-old has run (the old column's data is gone); `ddlguard rollback --to 0001-rename-name-drop-old` undoes the steps after it");
      const st = await run(() => runStatus({ db: url, format: 'json' }));
      expect(JSON.parse(st.out).plans[0].rollback).toEqual({ known: true, until: { step: '0001-rename-name-drop-old', why: "the old column's data is gone" }, passed: { step: '0001-rename-name-drop-old', why: "the old column's data is gone" } });

      const refused = await run(() => runRollback({ input: [file], db: url }));
      expect(refused.value).toBe(6);
      expect(refused.out).toContain("refused, nothing was changed: 0001-rename-name-drop-old has run and cannot be undone: the old column's data is gone");
      expect(refused.out).toContain('--to 0001-rename-name-drop-old` undoes only the steps after 0001-rename-name-drop-old');
      expect(await usersColumns(url)).toEqual(contracted);
      const json = await run(() => runRollback({ input: [file], db: url, format: 'json' }));
      expect(json.value).toBe(6);
      const events = json.out.trim().split('\n').map((l) => JSON.parse(l) as { event: string; reason?: string; steps?: unknown });
      expect(events.find((e) => e.event === 'rollback.refused')).toMatchObject({ reason: 'irreversible', steps: [{ step: '0001-rename-name-drop-old', why: "the old column's data is gone" }] });

      expect((await run(() => runRollback({ input: [file], db: url, to: '0001-rename-name-drop-old' }))).value).toBe(0);
      expect((await run(() => runRollback({ input: [file], db: url, to: 'no-such-step' }))).value).toBe(2);
      expect(await usersColumns(url)).toEqual(contracted);
      await expect(runRollback({ input: [], db: url })).rejects.toThrow(/give the plan.json/);
    });
  });

  it('migration files: asks for --yes before dropping a column the plan added (exit 2), then rolls back', async () => {
    await withDatabase(18, async (url) => {
      const c = await client(url);
      await c.query(SEED);
      await c.end();
      const original = await usersColumns(url);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-rollback-'));
      const migration = path.join(dir, '0042_score.sql');
      writeFileSync(migration, 'ALTER TABLE users ADD COLUMN score integer DEFAULT (random() * 10)::int;\n');
      expect((await run(() => runApply({ input: [migration], db: url }))).value).toBe(0);
      expect(await usersColumns(url)).toContain('score');

      const noYes = await run(() => runRollback({ input: [migration], db: url }));
      expect(noYes.value).toBe(2);
      expect(noYes.out).toMatch(/its rollback drops column users\.score and whatever was written there since\. Add --yes to confirm; nothing was changed/);
      expect(await usersColumns(url)).toContain('score');

      const yes = await run(() => runRollback({ input: [migration], db: url, yes: true }));
      expect(yes.value, yes.out).toBe(0);
      expect(yes.out).toMatch(/confirmed with --yes/);
      expect(await usersColumns(url)).toEqual(original);
    });
  });

  it('rolls back with the plan recorded at apply when the given one differs and useRecordedPlan is set', async () => {
    await withDatabase(18, async (url) => {
      const c = await client(url);
      try {
        await c.query('CREATE TABLE t (id int PRIMARY KEY)');
        const p = plan('rec', [step('add-a', 'ALTER TABLE t ADD COLUMN a int', { rollback: 'ALTER TABLE t DROP COLUMN IF EXISTS a' })]);
        await applyPlan(p, { db: url, logger: memoryLogger() });
        const replanned = plan('rec', [step('add-a', 'ALTER TABLE t ADD COLUMN IF NOT EXISTS a int', { rollback: null })]);
        expect((await rollbackPlan(replanned, { db: url, logger: memoryLogger(), yes: true })).status).toBe('refused');
        const log = memoryLogger();
        const r = await rollbackPlan(replanned, { db: url, logger: log, yes: true, useRecordedPlan: true });
        expect(r.status).toBe('rolled-back');
        expect(log.events.some((e) => e.event === 'rollback.recorded-plan')).toBe(true);
        expect((await c.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 't'`)).rows[0].n).toBe(1);
      } finally {
        await c.end();
      }
    });
  });
});
