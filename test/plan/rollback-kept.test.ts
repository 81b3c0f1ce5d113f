/**
 * Statements kept as written (small tables, new objects) carry the rollback that undoes them
 * exactly: on PostgreSQL 15 and 18, a migration of such statements applied in full and rolled
 * back, at once and one step at a time, gives back each catalog (see rollback-support.ts).
 * The cases without one are irreversible and say why.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { planMigration } from '../../src/plan/planner.js';
import type { Plan } from '../../src/plan/model.js';
import { stepUndo } from '../../src/plan/rewrites/undo.js';
import { loadParser } from '../../src/sql/parser.js';
import { pgUrl, type PgMajor } from '../support/db.js';
import { fixture } from './support.js';
import { checkRollback } from './rollback-support.js';

const BASE = fixture('base.seed.sql');
const SMALL = new Map(['public.users', 'public.orgs', 'public.events', 'public.tags', 'public.labels'].map((k) => [k, { rows: 100, bytes: 16_384 }]));

/** Every statement here is kept as written: the tables are small, or the objects new. */
const KEPT = `
ALTER TABLE users RENAME COLUMN name TO full_name;
ALTER TABLE tags RENAME TO labels;
ALTER TABLE users ADD COLUMN nickname text DEFAULT 'x';
ALTER TABLE users ALTER COLUMN age SET DEFAULT 18;
ALTER TABLE events ALTER COLUMN amount DROP NOT NULL;
ALTER TABLE events ALTER COLUMN note TYPE text;
ALTER TABLE events ALTER COLUMN code SET NOT NULL;
ALTER TABLE labels ADD PRIMARY KEY (id);
ALTER TABLE users ADD UNIQUE (email);
ALTER TABLE users ADD CHECK (age > 0);
ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id);
CREATE INDEX users_age_idx ON users (age);
ALTER INDEX users_age_idx RENAME TO users_age_ix;
CREATE VIEW adults AS SELECT id FROM users WHERE age >= 18;
CREATE SEQUENCE ticket_seq;
CREATE TYPE mood AS ENUM ('ok', 'meh');
CREATE TABLE notes (id integer PRIMARY KEY, body text);
CREATE INDEX notes_body_idx ON notes (body);
INSERT INTO notes VALUES (1, 'a');
ALTER TABLE notes ALTER COLUMN body SET NOT NULL;
VACUUM users;
`;

function planKept(major: number, sql: string, tableSizes = SMALL): Plan {
  return planMigration([{ path: 'kept.sql', text: sql }], { pgVersion: major, history: [{ path: 'seed.sql', text: BASE }], tableSizes });
}

beforeAll(async () => {
  await loadParser();
});

describe('rollbacks of statements kept as written', () => {
  it('every statement of the migration is kept as written, with a rollback or nothing to undo', () => {
    const plan = planKept(18, KEPT);
    expect(plan.steps.every((s) => s.rewrite === 'small-table' || s.rewrite === 'guard'), JSON.stringify(plan.steps.map((s) => [s.id, s.rewrite]))).toBe(true);
    const kinds = Object.fromEntries(plan.steps.map((s) => [s.sql.split('\n')[0], stepUndo(s).kind]));
    expect(Object.entries(kinds).filter(([, k]) => k === 'impossible')).toEqual([]);
    expect(kinds['INSERT INTO notes VALUES (1, \'a\')']).toBe('none');
    expect(kinds['VACUUM users']).toBe('none');
  });

  it.each([
    // [statement, table sizes known small, what is said]
    ['ALTER TABLE events ALTER COLUMN amount SET DEFAULT 1', true, 'had a DEFAULT before, and the plan does not know its expression'],
    ['ALTER TABLE events ALTER COLUMN amount DROP DEFAULT', true, 'the dropped DEFAULT of events.amount is not known to the plan'],
    ['CREATE TABLE IF NOT EXISTS fresh (id int)', true, 'the plan cannot tell whether fresh existed before'],
    ['CREATE INDEX ON users (age)', true, 'the index has no name'],
    ['UPDATE users SET age = 1 WHERE id = 3', true, 'its changes to the rows of users cannot be undone'],
    ['ALTER TABLE events ALTER COLUMN amount DROP NOT NULL', false, 'scans the table under ACCESS EXCLUSIVE'],
    ['ALTER TABLE events ALTER COLUMN note TYPE text', false, 'rewrites the table (text -> varchar(20)'],
    ["COMMENT ON TABLE users IS 'people'", true, 'the previous comment is not in the plan'],
    ["ALTER TYPE mood ADD VALUE 'sad'", true, 'cannot remove a value from an enum'],
    ['ALTER TABLE users ADD CHECK (age > 0 AND id > 0)', true, ''],
  ] as const)('%s: irreversible and why', (sql, small, why) => {
    const history = sql.includes('mood') ? `CREATE TYPE mood AS ENUM ('ok');` : '';
    const plan = planMigration([{ path: 'one.sql', text: sql }], {
      pgVersion: 18,
      history: [{ path: 'seed.sql', text: BASE + history }],
      ...(small ? { tableSizes: SMALL } : {}),
    });
    const step = plan.steps[plan.steps.length - 1]!;
    if (!why) {
      // A CHECK over two columns is named table_check: its rollback drops that one.
      expect(step.rollback).toBe('ALTER TABLE users DROP CONSTRAINT IF EXISTS users_check');
      return;
    }
    expect(step.irreversible, JSON.stringify(step)).toBe(true);
    expect(stepUndo(step).why).toContain(why);
  });
});

const MAJORS: PgMajor[] = [18, 15];
describe.each(MAJORS)('on PostgreSQL %i', (major) => {
  it.skipIf(!pgUrl(major))('the kept statements roll back to the original catalog, at once and one step at a time', async () => {
    await checkRollback(major, BASE, planKept(major, KEPT), undefined);
  });
});
