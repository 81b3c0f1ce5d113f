/**
 * The tests run again under each Node version users have (scripts/test-node-versions.sh):
 * the CLI, lint, rules, reporters, fixes and config, the parts that do not need a
 * PostgreSQL server (no globalSetup, so no server is started).
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/cli/**/*.test.ts',
      'test/lint/**/*.test.ts',
      'test/rules/fixtures.test.ts',
      'test/reporters/**/*.test.ts',
      'test/fix/fix.test.ts',
      'test/fix/cli.test.ts',
      'test/config/**/*.test.ts',
      'test/sql/**/*.test.ts',
    ],
    pool: 'forks',
    maxWorkers: 2, // as in vitest.config.ts: the default leaves one of two cores idle
    testTimeout: 60_000,
  },
});
