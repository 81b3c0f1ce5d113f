/** The README's quick start works as written (run from the repository root, against dist/). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');

function quickStartCommands(): string[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block.split('\n').filter((l) => l.includes('npx ddlguard'));
}

describe('README quick start', () => {
  const cmds = quickStartCommands();
  it('has commands', () => expect(cmds.length).toBeGreaterThanOrEqual(4));
  for (const cmd of cmds) {
    it(cmd, () => {
      // `npx ddlguard` resolves to this package's bin; run the same entry directly.
      const shell = cmd.replace(/npx ddlguard/g, `node ${JSON.stringify(CLI)}`);
      const r = spawnSync('sh', ['-c', shell], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(r.stderr).toBe('');
      expect([0, 1]).toContain(r.status); // 1 = findings (the sample has risky statements)
      expect(r.stdout.length).toBeGreaterThan(20);
    });
  }
});
