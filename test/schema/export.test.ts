/**
 * `ddlguard schema export` (the built CLI, dist/): a database's snapshot read back with
 * fromSnapshot is the model live introspection gives; so is a converted pg_dump file; the
 * file validates against docs/schema-snapshot.schema.json; connection errors are one
 * line, exit 2, password masked.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { introspectLive } from '../../src/schema/sources/live.js';
import { diffModels } from '../../src/schema/sources/diff.js';
import { fromSnapshot } from '../../src/schema/sources/snapshot.js';
import { loadParser } from '../../src/sql/parser.js';
import { availableMajors, pgUrl, withDatabase } from '../support/db.js';
import { COMPARISON_SCHEMA, run, schemaDump } from './fixture.js';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const SCHEMA_FILE = path.resolve(__dirname, '../../docs/schema-snapshot.schema.json');

beforeAll(loadParser);

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(s) && !Number.isNaN(Date.parse(s)));
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
}

function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
}

for (const major of availableMajors()) {
  describe(`schema export --db on PostgreSQL ${major}`, () => {
    it('writes a snapshot that reads back as the live model and validates against the JSON Schema', async () => {
      await withDatabase(major, async (url) => {
        await run(url, COMPARISON_SCHEMA + 'ANALYZE;');
        const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-export-'));
        const out = path.join(dir, 'schema.json');
        const r = cli(['schema', 'export', '--db', url, '-o', out]);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        const json = JSON.parse(readFileSync(out, 'utf8'));
        expect(json.pgVersion).toBe(major);
        expect(json.source).toBe(url.replace(/:[^:@/]*@/, ':***@'));
        expect(readFileSync(out, 'utf8')).not.toContain(':postgres@');

        const validate = validator();
        expect(validate(json), JSON.stringify(validate.errors, null, 2)).toBe(true);

        const { model } = fromSnapshot(json, 'schema.json');
        const live = await introspectLive(url);
        expect(model.relations.size).toBe(live.model.relations.size);
        expect(model.relations.size).toBeGreaterThan(15);
        expect(diffModels(model, live.model)).toEqual([]);
        expect(diffModels(live.model, model)).toEqual([]);
        // Sizes are not compared by the diff: they travel too.
        expect(model.relations.get('public.owners')!.size).toEqual(live.model.relations.get('public.owners')!.size);
        expect(model.relations.get('public.measurements')!.size).not.toBe(null);

        // stdout, with the URL from DATABASE_URL.
        const s = cli(['schema', 'export'], { ...process.env, DATABASE_URL: url });
        expect(s.status).toBe(0);
        expect(validate(JSON.parse(s.stdout))).toBe(true);
        expect(JSON.parse(s.stdout).relations).toEqual(json.relations);
      });
    });
  });
}

describe.skipIf(!pgUrl(15))('schema export --schema (a pg_dump file)', () => {
  it('converts the dump into the same snapshot model as the live database', async () => {
    await withDatabase(15, async (url) => {
      await run(url, COMPARISON_SCHEMA);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-export-'));
      const dumpFile = path.join(dir, 'schema.sql');
      writeFileSync(dumpFile, await schemaDump(url));
      const r = cli(['schema', 'export', '--schema', dumpFile]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const json = JSON.parse(r.stdout);
      const check = validator();
      expect(check(json), JSON.stringify(check.errors)).toBe(true);
      expect(json).toMatchObject({ pgVersion: 15, source: dumpFile });
      const { model } = fromSnapshot(json, 'schema.json');
      const live = await introspectLive(url);
      expect(diffModels(model, live.model)).toEqual([]);
      expect(diffModels(live.model, model)).toEqual([]);
    });
  });
});

describe('schema export errors', () => {
  it('an unreachable database: exit 2, one line, password masked, no stack', () => {
    const r = cli(['schema', 'export', '--db', 'postgresql://app:s3cr3t-pw@127.0.0.1:1/app']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('ddlguard: --db postgresql://app:***@127.0.0.1:1/app: connect ECONNREFUSED 127.0.0.1:1\n');
  });

  it('a file that is not a dump: exit 2 with file:line:column', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-export-'));
    const bad = path.join(dir, 'bad.sql');
    writeFileSync(bad, 'CREATE TABLE a (id int);\nCREATE TABLE b (id int,\n  nope nope nope);\n');
    const r = cli(['schema', 'export', '--schema', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}:3:13: syntax error at or near "nope"`);
    expect(r.stdout).toBe('');
  });

  it('usage: --db and --schema together, or neither', () => {
    expect(cli(['schema', 'export', '--db', 'postgresql://x@h/d', '--schema', 'f.sql']).status).toBe(2);
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const r = cli(['schema', 'export'], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/give --db/);
  });

  it('the JSON Schema rejects what is not a snapshot', () => {
    const validate = validator();
    expect(validate({ format: 'ddlguard-schema', version: 1 })).toBe(false);
    expect(
      validate({
        format: 'ddlguard-schema',
        version: 1,
        pgVersion: 18,
        exportedAt: '2026-01-01T00:00:00.000Z',
        source: 'x',
        searchPath: ['public'],
        schemas: ['public'],
        relations: [{ key: 'public.t', kind: 'tabel' }],
        indexes: [],
        enums: [],
        domains: [],
        functions: [],
      }),
    ).toBe(false);
  });
});
