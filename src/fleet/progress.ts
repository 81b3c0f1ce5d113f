/**
 * What a fleet run shows: JSON lines (`--format json`: every fleet event and every
 * target's apply events, each tagged with run, target and wave), or a human log with, on a
 * terminal, a live block per wave (done / running / failed / total, a bar and the slowest
 * target) redrawn on stderr. Every string of every event goes through the run's Redactor.
 */
import type { ApplyEvent, ApplyLogger, ProgressInfo } from '../apply/log.js';
import type { WaveProgress } from './control.js';
import type { Redactor } from './secrets.js';

export type FleetFormat = 'human' | 'json';

export interface FleetEvent {
  event: string;
  message?: string;
  [key: string]: unknown;
}

export interface TargetTag {
  run: string;
  target: string;
  wave: string;
}

export interface FleetOutput {
  emit(e: FleetEvent): void;
  /** A logger for one target's apply; `onEvent` sees each event first (the worker's bookkeeping). */
  targetLogger(tag: TargetTag, onEvent?: (e: ApplyEvent) => void): ApplyLogger;
  /** The waves as they stand (a live block on a terminal; a line now and then otherwise). */
  progress(header: string, waves: readonly WaveProgress[]): void;
  /** Whether progress would show now (so the worker reads it from the control database only then). */
  progressDue(): boolean;
  /** Removes the live block. */
  end(): void;
}

export interface OutputOptions {
  format: FleetFormat;
  redactor: Redactor;
  /** Where lines go (default stdout). */
  write?: (line: string) => void;
  /** Live block on stderr (default: human format on a terminal, no custom write). */
  tty?: boolean;
  /** Human format: also print every target's apply log. */
  verbose?: boolean;
  /** Human format without a terminal: how often the waves are summarised (default 15 s). */
  summaryEveryMs?: number;
  /** JSON: backfill progress of a target at most this often (default 5 s). */
  progressEveryMs?: number;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** One line per wave: status, bar (# done, x failed, > running, . pending), counts and the slowest target. */
export function renderWaves(waves: readonly WaveProgress[], width = 24): string[] {
  const nameW = Math.max(4, ...waves.map((w) => w.name.length));
  return waves.map((w) => {
    const cells = (n: number) => (w.total === 0 ? 0 : Math.round((n / w.total) * width));
    const d = cells(w.done);
    const f = Math.min(width - d, cells(w.failed) || (w.failed > 0 ? 1 : 0));
    const r = Math.min(width - d - f, cells(w.running) || (w.running > 0 ? 1 : 0));
    const bar = `[${'#'.repeat(d)}${'x'.repeat(f)}${'>'.repeat(r)}${'.'.repeat(Math.max(0, width - d - f - r))}]`;
    const counts = w.total === 0 ? 'no targets' : `${w.done}/${w.total} done, ${w.running} running, ${w.failed} failed`;
    const slow = w.slowest ? `  slowest: ${w.slowest.target} ${fmtMs(w.slowest.ms)}${w.slowest.running && w.slowest.step ? ` (${w.slowest.step})` : ''}` : '';
    return `  ${w.name.padEnd(nameW)}  ${w.status.padEnd(7)}  ${bar} ${counts}${slow}`;
  });
}

let stdoutGuarded = false;
/** A reader that went away (`| head`) must not kill a worker in the middle of its targets: it keeps working, unheard. */
function ignoreClosedStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  });
}

export function createFleetOutput(opts: OutputOptions): FleetOutput {
  const red = opts.redactor;
  if (!opts.write) ignoreClosedStdout();
  const write = opts.write ?? ((l: string) => process.stdout.write(l));
  const json = opts.format === 'json';
  const tty = opts.tty ?? (!json && !opts.write && Boolean(process.stderr.isTTY));
  const summaryEvery = opts.summaryEveryMs ?? 15_000;
  const progressEvery = opts.progressEveryMs ?? 5000;
  let block: string[] = [];
  let lastSummary = 0;
  let lastSummaryText = '';
  const clear = () => {
    if (!tty || block.length === 0) return;
    process.stderr.write(`\x1b[${block.length}A\r\x1b[J`);
  };
  const draw = () => {
    if (!tty || block.length === 0) return;
    process.stderr.write(`${block.join('\n')}\n`);
  };
  const line = (text: string) => {
    clear();
    write(`${text}\n`);
    draw();
  };
  const emit = (e: FleetEvent) => {
    const safe = red.deep({ ts: new Date().toISOString(), ...e });
    if (json) write(`${JSON.stringify(safe)}\n`);
    else if (typeof safe.message === 'string') line(`ddlguard fleet: ${safe.message}`);
  };
  return {
    emit,
    targetLogger(tag, onEvent) {
      let lastProgress = 0;
      return {
        emit(e: ApplyEvent) {
          onEvent?.(e);
          if (json) {
            const safe = red.deep({ ts: new Date().toISOString(), ...tag, ...e });
            write(`${JSON.stringify(safe)}\n`);
          } else if (opts.verbose && typeof e.message === 'string') {
            line(`  [${tag.target}] ${red.text(e.message)}`);
          }
        },
        progress(p: ProgressInfo, done?: boolean) {
          const now = Date.now();
          if (!json || (!done && now - lastProgress < progressEvery)) return;
          lastProgress = now;
          const pct = p.rowsEstimated > 0 ? Math.min(100, (100 * p.rowsDone) / p.rowsEstimated) : 0;
          write(`${JSON.stringify(red.deep({ ts: new Date().toISOString(), ...tag, event: 'backfill.progress', step: p.step, rowsDone: p.rowsDone, rowsEstimated: p.rowsEstimated, percent: Number(pct.toFixed(1)), rowsPerSec: Math.round(p.rowsPerSec), batchSize: p.batchSize }))}\n`);
        },
      };
    },
    progress(header, waves) {
      if (json) return;
      const rendered = [red.text(header), ...renderWaves(waves).map((l) => red.text(l))];
      if (tty) {
        clear();
        block = rendered;
        draw();
        return;
      }
      const text = rendered.join('\n');
      const now = Date.now();
      if (now - lastSummary < summaryEvery || text === lastSummaryText) return;
      lastSummary = now;
      lastSummaryText = text;
      write(`${text}\n`);
    },
    progressDue() {
      if (json) return false;
      return tty || Date.now() - lastSummary >= summaryEvery;
    },
    end() {
      clear();
      block = [];
    },
  };
}
