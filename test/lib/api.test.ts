/** The library API: lint, plan and render from the package entry, without loading pg for lint. */
import { describe, expect, it } from 'vitest';

describe('library API', () => {
  it('lints, plans and renders from the package entry', async () => {
    const api = await import('../../src/index.js');
    const sql = 'CREATE INDEX users_email_idx ON users (email);';
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const path = await import('node:path');
    const os = await import('node:os');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-api-'));
    writeFileSync(path.join(dir, '001.sql'), sql);
    const result = await api.lint({ paths: [dir], cwd: dir });
    expect(result.findings.map((f) => f.rule)).toContain('require-concurrent-index');
    const p = await api.plan([{ path: '001.sql', text: sql }], { pgVersion: 16 });
    expect(p.steps[0]!.sql).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx');
    expect(JSON.parse(await api.renderPlan(p, 'json'))).toMatchObject({ version: 1, pgVersion: 16 });
    expect(await api.renderPlan(p, 'sql')).toContain('ON_ERROR_STOP');
  });
});
