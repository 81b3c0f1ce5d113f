/** Child processes whose output lines are timestamped on the bench clock as they arrive. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { now } from './util.js';

export interface Line {
  /** Arrival on the bench clock. */
  t: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Spawn and exit on the bench clock. */
  start: number;
  end: number;
  lines: Line[];
}

/** Every child still running, so a signal handler can stop them. */
export const running = new Set<ChildProcess>();

/**
 * Spawns `cmd` and calls `onLine` for each complete output line as it arrives.
 * `onDeadline` runs once if the process is still running after `deadlineMs`
 * (to stop it gracefully, cancel its server session, ...).
 */
export function runLines(
  cmd: string,
  args: string[],
  opts: SpawnOptions & { deadlineMs: number; onDeadline: (child: ChildProcess) => void; onLine?: (l: Line) => void },
): Promise<Finished> {
  const { deadlineMs, onDeadline, onLine, ...spawnOpts } = opts;
  const start = now();
  const child = spawn(cmd, args, { ...spawnOpts, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const lines: Line[] = [];
  const split = (stream: 'stdout' | 'stderr') => {
    let buf = '';
    return {
      data(d: Buffer) {
        const t = now();
        buf += d.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const l: Line = { t, stream, text: buf.slice(0, nl) };
          buf = buf.slice(nl + 1);
          lines.push(l);
          onLine?.(l);
        }
      },
      flush() {
        if (buf) {
          const l: Line = { t: now(), stream, text: buf };
          buf = '';
          lines.push(l);
          onLine?.(l);
        }
      },
    };
  };
  const out = split('stdout');
  const err = split('stderr');
  child.stdout!.on('data', out.data);
  child.stderr!.on('data', err.data);
  const timer = setTimeout(() => onDeadline(child), deadlineMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      running.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const end = now();
      clearTimeout(timer);
      running.delete(child);
      out.flush();
      err.flush();
      resolve({ code, signal, start, end, lines });
    });
  });
}
