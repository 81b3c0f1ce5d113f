/**
 * The PGlite engine gives the event loop a turn between statements: PGlite settles its
 * promises without one, and a long run of statements starved every timer and socket in the
 * process (the conformance run, PGlite beside four servers, saw pg connections time out).
 */
import { describe, expect, it } from 'vitest';
import { PgliteEngine } from '../../src/trace/engine.js';

describe('PgliteEngine', () => {
  it('lets a timer fire while it runs a long series of statements', async () => {
    const e = await PgliteEngine.create();
    try {
      let done = 0;
      let firedAfter: number | null = null;
      const t0 = Date.now();
      setTimeout(() => {
        firedAfter = done;
      }, 20);
      // Long enough to outlast the timer several times over.
      while (Date.now() - t0 < 300) {
        await e.query('SELECT 1');
        done++;
      }
      expect(firedAfter, 'the 20 ms timer fired during the statements').not.toBeNull();
      expect(firedAfter!).toBeLessThan(done);
      await e.exec('CREATE TABLE t (a int)');
    } finally {
      await e.close();
    }
  });
});
