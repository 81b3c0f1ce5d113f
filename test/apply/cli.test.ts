/** `ddlguard apply/status/abort` command functions on a plan.json fixture. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { pgUrl, withDatabase } from '../support/db.js';
import { runAbort, runApply, runStatus } from '../../src/cli/commands/apply.js';
import { client } from './helpers.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'apply', 'plan.json');

function captureStdout() {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  return { text: () => chunks.join(''), restore: () => spy.mockRestore() };
}

describe.skipIf(!pgUrl())('apply CLI commands', () => {
  it('dry-run, apply (json lines), status, contract phase, abort --reset', async () => {
    await withDatabase(undefined, async (url) => {
      const c = await client(url);
      await c.query('CREATE TABLE items (id int PRIMARY KEY, price int, qty int); INSERT INTO items SELECT g, g, 2 FROM generate_series(1, 5000) g; ANALYZE items');
      let out = captureStdout();
      try {
        expect(await runApply({ input: [FIXTURE], dryRun: true, phase: 'all', yes: true })).toBe(0);
        expect(out.text()).toMatch(/lock_timeout 100 ms growing x2 to 5000 ms/);
        expect(out.text()).toMatch(/IRREVERSIBLE/);
      } finally {
        out.restore();
      }
      out = captureStdout();
      try {
        expect(await runApply({ input: [FIXTURE], db: url, format: 'json' })).toBe(0);
      } finally {
        out.restore();
      }
      const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as { event: string; db?: string });
      expect(lines.map((l) => l.event)).toContain('apply.done');
      expect(lines.find((l) => l.event === 'apply.start')?.db).not.toContain(':postgres@');
      out = captureStdout();
      try {
        expect(await runStatus({ db: url })).toBe(0);
      } finally {
        out.restore();
      }
      expect(out.text()).toMatch(/plan fixture-add-total .*3\/4 steps done/);
      expect(out.text()).toMatch(/pending\s+drop-price/);
      expect(out.text()).not.toContain(':postgres@');
      out = captureStdout();
      try {
        expect(await runApply({ input: [FIXTURE], db: url, phase: 'contract' })).toBe(0);
        expect(await runAbort({ db: url, plan: 'fixture-add-total', reset: true })).toBe(0);
      } finally {
        out.restore();
      }
      expect(out.text()).toMatch(/irreversible steps .*drop-price/);
      const cols = await c.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY 1`);
      expect(cols.rows.map((r) => r.column_name)).toEqual(['id', 'qty', 'total']);
      await c.end();
    });
  });
});
