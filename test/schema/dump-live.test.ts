/**
 * One database read two ways: live introspection and a replay of its
 * `pg_dump --schema-only`. The two models must not differ. On PostgreSQL 15,
 * because Debian's pg_dump on the development machines (and CI's
 * postgresql-client) is major 15 and refuses newer servers.
 *
 * pg_dump leaves invalid indexes out (a failed CREATE INDEX CONCURRENTLY), so
 * the schema has none: live introspection would list it and the dump would not.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { introspectLive } from '../../src/schema/sources/live.js';
import { modelFromDump } from '../../src/schema/sources/dump.js';
import { diffModels } from '../../src/schema/sources/diff.js';
import { cloneModel } from '../../src/schema/sources/merge.js';
import { loadParser } from '../../src/sql/parser.js';
import { pgUrl, withDatabase } from '../support/db.js';
import { COMPARISON_SCHEMA, run, schemaDump } from './fixture.js';

beforeAll(loadParser);

describe.skipIf(!pgUrl(15))('pg_dump replay against live introspection (PostgreSQL 15)', () => {
  it('gives the same model both ways', async () => {
    await withDatabase(15, async (url) => {
      await run(url, COMPARISON_SCHEMA);
      const live = await introspectLive(url);
      const text = await schemaDump(url);
      // The dump really is pg_dump's: meta-commands of recent versions, set_config, ONLY, ATTACH.
      expect(text).toMatch(/set_config\('search_path', '', false\)/);
      expect(text).toMatch(/ATTACH PARTITION public\.measurements_2024/);
      const dump = modelFromDump(text, 'schema.sql');
      expect(dump.errors).toEqual([]);

      // Both models hold the whole schema (an empty pair would compare equal too).
      const keys = (m: typeof live.model) => [...m.relations.keys()].sort();
      expect(keys(live.model)).toEqual([
        'app.busy_owners',
        'app.notes',
        'app.notes_id_seq',
        'app.ticket_seq',
        'public.busy_statements',
        'public.measurements',
        'public.measurements_2024',
        'public.measurements_2025',
        'public.measurements_id_seq',
        'public.measurements_rest',
        'public.owner_stats',
        'public.owners',
        'public.owners_id_seq',
        'public.regions',
        'public.regions_asia',
        'public.regions_asia_all',
        'public.regions_eu',
        'public.regions_other',
        'public.scratch',
        'public.shop_regions',
        'public.shops',
        'public.shops_id_seq',
      ]);
      expect(keys(dump.model)).toEqual(keys(live.model));
      expect(dump.model.indexes.size).toBe(live.model.indexes.size);
      // The columns a partial index's predicate reads, from pg_get_expr(indpred) and from the dump's
      // CREATE INDEX: a type change of one builds the index again.
      for (const m of [live.model, dump.model]) {
        expect(m.indexes.get('public.shops_region_partial')?.predicateColumns).toEqual(['region']);
        expect(m.indexes.get('public.owners_lower_name')?.expressionColumns).toEqual(['name']);
        expect(m.relations.get('public.measurements')?.columns.get('doubled')?.generatedFrom).toEqual(['value']);
      }
      expect(dump.model.indexes.size).toBeGreaterThan(20);
      for (const rel of dump.model.relations.values()) expect(rel.origin?.source).toBe('dump');

      expect(diffModels(dump.model, live.model)).toEqual([]);
      expect(diffModels(live.model, dump.model)).toEqual([]);

      // Facts the cloning and recursion produce, on both sides.
      for (const m of [live.model, dump.model]) {
        const part = m.relations.get('public.measurements_2025')!;
        expect(part.constraints.get('measurements_owner_id_fkey')?.references).toBe('public.owners');
        expect(part.constraints.get('measurements_recent')?.validated).toBe(false);
        expect(m.indexes.get('public.regions_asia_all_pkey')?.parent).toBe('public.regions_asia_pkey');
        expect(m.indexes.get('public.measurements_pkey')?.valid).toBe(true);
        expect(m.relations.get('public.owners')!.columns.get('code')!.defaultVolatile).toBe(true);
        expect(m.relations.get('public.owners')!.columns.get('rate')!.defaultVolatile).toBe(false);
        expect(m.relations.get('app.busy_owners')!.dependsOn).toEqual(['app.notes', 'public.owner_stats']);
        expect(m.relations.get('public.busy_statements')!.dependsOn).toEqual(['public.pg_stat_statements']);
      }

      // And the comparison can fail: one changed fact is one difference.
      const changed = cloneModel(dump.model);
      changed.relations.get('public.scratch')!.columns.get('n')!.notNull = true;
      expect(diffModels(changed, live.model)).toEqual([{ object: 'public.scratch.n', field: 'not null', a: 'yes', b: 'no' }]);
    });
  });
});

describe('modelFromDump on bad input', () => {
  it('reports what does not parse with line and column, and replays the rest', () => {
    const text = [
      '\\restrict abc',
      'CREATE TABLE public.a (id integer NOT NULL);',
      'CREATE TABLE public.b (id integer NOT NULL,',
      '    oops oops oops);',
      '\\connect other',
      'CREATE TABLE public.c (id integer);',
      '\\unrestrict abc',
    ].join('\n');
    const { model, errors } = modelFromDump(text, 'broken.sql');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 4, column: 15 });
    expect(errors[0]!.message).toMatch(/syntax error at or near "oops"/);
    expect([...model.relations.keys()]).toEqual(['public.a', 'public.c']);
    expect(model.searchPath).toEqual(['public']);
  });

  it('never throws: an unterminated quote is one error', () => {
    const r = modelFromDump("CREATE TABLE t (a text DEFAULT 'x);\n", 'x.sql');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.line).toBeGreaterThanOrEqual(1);
    expect(modelFromDump('', 'empty.sql')).toMatchObject({ errors: [] });
  });
});
