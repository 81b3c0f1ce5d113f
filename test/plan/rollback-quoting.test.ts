/**
 * Rollback SQL quotes every identifier: a migration over names that need quoting (upper
 * case, spaces, quotes, reserved words, unicode; in a schema that needs quoting too), planned,
 * applied and rolled back at once and one step at a time on PostgreSQL 15 and 18, gives back
 * each catalog (see rollback-support.ts).
 */
import { beforeAll, describe, it } from 'vitest';
import { planMigration } from '../../src/plan/planner.js';
import { loadParser } from '../../src/sql/parser.js';
import { pgUrl, type PgMajor } from '../support/db.js';
import { checkRollback } from './rollback-support.js';

const q = (s: string) => '"' + s.replace(/"/g, '""') + '"';
const S = q('Ω schema');
const T = `${S}.${q('User Table')}`;

const SEED = [
  `CREATE SCHEMA ${S};`,
  `CREATE FUNCTION ${S}.${q("it's")}() RETURNS integer LANGUAGE sql AS 'SELECT 5';`,
  `CREATE TABLE ${T} (${q('order')} integer PRIMARY KEY, ${q('a"quote')} text, ${q('select')} integer, ${q('MixedCase')} integer, ${q('ñandú')} integer, ${q('from to')} text);`,
  `INSERT INTO ${T} SELECT g, 'v' || g, g % 17, g, g * 2, 'r' || g FROM generate_series(1, 1500) g;`,
].join('\n');

const MIGRATION = [
  `CREATE INDEX ${q('x.y idx')} ON ${T} (${q('a"quote')});`,
  `ALTER TABLE ${T} ADD CONSTRAINT ${q('group by')} CHECK (${q('select')} >= 0);`,
  `ALTER TABLE ${T} ALTER COLUMN ${q('MixedCase')} SET NOT NULL;`,
  `ALTER TABLE ${T} ADD COLUMN ${q('Ünïcode名前')} integer NOT NULL DEFAULT ${S}.${q("it's")}();`,
  `ALTER TABLE ${T} ALTER COLUMN ${q('ñandú')} TYPE bigint USING ${q('ñandú')} + 1;`,
  `ALTER TABLE ${T} RENAME COLUMN ${q('from to')} TO ${q('table')};`,
  `ALTER TABLE ${T} ADD CONSTRAINT ${q('a"quote key')} UNIQUE (${q('MixedCase')});`,
].join('\n');

beforeAll(async () => {
  await loadParser();
});

const MAJORS: PgMajor[] = [18, 15];
describe.each(MAJORS)('on PostgreSQL %i', (major) => {
  it.skipIf(!pgUrl(major))('the plan over quoted names rolls back to each step\'s catalog', async () => {
    const plan = planMigration([{ path: 'm.sql', text: MIGRATION }], { pgVersion: major, history: [{ path: 'seed.sql', text: SEED }], batchSize: 400 });
    await checkRollback(major, SEED, plan, undefined);
  });
});
