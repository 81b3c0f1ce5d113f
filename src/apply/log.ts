/**
 * Apply output: a human log (default) or one JSON object per line
 * (`--format json`). Progress is a bar on a TTY, periodic lines otherwise.
 */
export type LogFormat = 'human' | 'json';

export interface ApplyEvent {
  event: string;
  [key: string]: unknown;
}

export interface ApplyLogger {
  emit(e: ApplyEvent): void;
  /** Transient progress (bar on a TTY); `done` ends the bar. */
  progress(p: ProgressInfo, done?: boolean): void;
}

export interface ProgressInfo {
  step: string;
  rowsDone: number;
  rowsEstimated: number;
  rowsPerSec: number;
  etaSec: number | null;
  batchSize: number;
  /** The batch just committed: the size asked for, the rows it covered and how long its transaction took (lock retries included). */
  batch?: { size: number; rows: number; ms: number };
}

export interface LoggerOptions {
  format?: LogFormat;
  write?: (line: string) => void;
  tty?: boolean;
  progressIntervalMs?: number;
}

function fmtDuration(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '?';
  if (sec < 60) return `${Math.round(sec)}s`;
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m}m${Math.round(sec % 60)}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}

function human(e: ApplyEvent): string {
  const { event, ...rest } = e;
  const msg = typeof rest.message === 'string' ? rest.message : undefined;
  if (msg) return `ddlguard apply: ${msg}`;
  const kv = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `ddlguard apply: ${event} ${kv}`;
}

export function createLogger(opts: LoggerOptions = {}): ApplyLogger {
  const format = opts.format ?? 'human';
  const write = opts.write ?? ((l: string) => process.stdout.write(l));
  const tty = opts.tty ?? (format === 'human' && Boolean(process.stderr.isTTY) && !opts.write);
  const interval = opts.progressIntervalMs ?? 5000;
  let lastProgress = 0;
  let barShown = false;
  const clearBar = () => {
    if (barShown) {
      process.stderr.write('\r\x1b[K');
      barShown = false;
    }
  };
  return {
    emit(e) {
      const withTs = { ts: new Date().toISOString(), ...e };
      if (format === 'json') write(`${JSON.stringify(withTs)}\n`);
      else {
        if (tty) clearBar();
        write(`${human(e)}\n`);
      }
    },
    progress(p, done) {
      const pct = p.rowsEstimated > 0 ? Math.min(100, (100 * p.rowsDone) / p.rowsEstimated) : 0;
      if (tty && format === 'human') {
        const width = 30;
        const filled = Math.round((pct / 100) * width);
        const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
        process.stderr.write(
          `\r\x1b[K${p.step} ${bar} ${pct.toFixed(1)}% ${p.rowsDone}/${p.rowsEstimated} rows ${Math.round(p.rowsPerSec)} rows/s ETA ${fmtDuration(p.etaSec)}`,
        );
        barShown = true;
        if (done) clearBar();
        return;
      }
      const now = Date.now();
      if (!done && now - lastProgress < interval) return;
      lastProgress = now;
      const e: ApplyEvent = {
        event: 'backfill.progress',
        step: p.step,
        rowsDone: p.rowsDone,
        rowsEstimated: p.rowsEstimated,
        percent: Number(pct.toFixed(1)),
        rowsPerSec: Math.round(p.rowsPerSec),
        etaSec: p.etaSec === null ? null : Math.round(p.etaSec),
        batchSize: p.batchSize,
      };
      if (format === 'json') this.emit(e);
      else
        this.emit({
          ...e,
          message: `${p.step}: ${p.rowsDone}/${p.rowsEstimated} rows (${pct.toFixed(1)}%), ${Math.round(p.rowsPerSec)} rows/s, ETA ${fmtDuration(p.etaSec)}, batch ${p.batchSize}`,
        });
    },
  };
}

/** Collects events in memory (tests, library use). */
export function memoryLogger(): ApplyLogger & { events: ApplyEvent[] } {
  const events: ApplyEvent[] = [];
  return {
    events,
    emit(e) {
      events.push(e);
    },
    progress(p, done) {
      events.push({ event: 'backfill.progress', ...p, done: Boolean(done) });
    },
  };
}
