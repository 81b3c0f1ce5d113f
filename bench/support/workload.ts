/**
 * A closed-loop workload: each client has its own connection and issues one
 * query every `everyMs` (a stalled query delays that client's next one), with
 * no statement_timeout. Every query's start, duration, kind and error is kept,
 * so latency can be cut by time window and kind afterwards.
 */
import type pg from 'pg';
import { connect, errorKey, now, percentile, sleep } from './util.js';

export type QueryKind = 'read' | 'write';

/** One query of a client: its kind is known before it runs (a failed query still counts as a read or a write). */
export interface Op {
  kind: QueryKind;
  /** Runs the query; records its own effect (e.g. a successful update) when it succeeds. */
  run(c: pg.Client): Promise<void>;
}

export interface LoadClient {
  /** application_name of its connection. */
  name: string;
  everyMs: number;
  /** The next query to run. */
  next(): Op;
}

export interface LatencyStats {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface QueryRecord {
  start: number;
  ms: number;
  kind: QueryKind;
  client: string;
  error?: string;
}

export class Workload {
  private readonly starts: number[] = [];
  private readonly durations: number[] = [];
  private readonly isWrite: boolean[] = [];
  private readonly ok: boolean[] = [];
  private readonly clientOf: number[] = [];
  private readonly errorOf = new Map<number, string>();
  readonly errors = new Map<string, number>();
  /** Writes whose outcome is unknown (connection lost mid-query). */
  unknownWrites = 0;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private conns: pg.Client[] = [];
  private readonly deadline: number;

  constructor(
    private readonly url: string,
    private readonly clients: LoadClient[],
    /** The loops stop on their own after this long, whatever happens. */
    deadlineMs: number,
  ) {
    this.deadline = now() + deadlineMs;
  }

  async start(): Promise<void> {
    for (const cl of this.clients) this.conns.push(await connect(this.url, cl.name));
    this.loops = this.clients.map((cl, i) => this.loop(this.conns[i]!, cl, i));
  }

  private record(start: number, write: boolean, client: number, ok: boolean, err?: unknown): void {
    const i = this.starts.length;
    this.starts.push(start);
    this.durations.push(now() - start);
    this.isWrite.push(write);
    this.ok.push(ok);
    this.clientOf.push(client);
    if (!ok) {
      const k = errorKey(err);
      this.errors.set(k, (this.errors.get(k) ?? 0) + 1);
      this.errorOf.set(i, k);
    }
  }

  private async loop(c: pg.Client, cl: LoadClient, index: number): Promise<void> {
    let next = now();
    while (!this.stopping && now() < this.deadline) {
      const op = cl.next();
      const start = now();
      let lost = false;
      try {
        await op.run(c);
        this.record(start, op.kind === 'write', index, true);
      } catch (err) {
        this.record(start, op.kind === 'write', index, false, err);
        // No SQLSTATE: the connection failed, the outcome of a write is unknown and the client is gone.
        if ((err as { code?: unknown })?.code === undefined) {
          if (op.kind === 'write') this.unknownWrites++;
          lost = true;
        }
      }
      if (lost) break;
      next += cl.everyMs;
      const wait = next - now();
      if (wait > 0) await sleep(wait);
      else next = now();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    await Promise.all(this.conns.map((c) => c.end().catch(() => {})));
    this.conns = [];
  }

  private overlaps(i: number, from: number, to: number): boolean {
    const s = this.starts[i]!;
    return s <= to && s + this.durations[i]! >= from;
  }

  /** Latency of the queries whose run overlaps [from, to], optionally only reads or writes. */
  stats(from = -Infinity, to = Infinity, kind?: QueryKind): LatencyStats {
    const xs: number[] = [];
    for (let i = 0; i < this.starts.length; i++) {
      if (!this.overlaps(i, from, to)) continue;
      if (kind && this.isWrite[i] !== (kind === 'write')) continue;
      xs.push(this.durations[i]!);
    }
    xs.sort((a, b) => a - b);
    return { n: xs.length, p50: percentile(xs, 0.5), p99: percentile(xs, 0.99), max: xs.length ? xs[xs.length - 1]! : NaN };
  }

  /** Failed queries overlapping [from, to]. */
  failures(from = -Infinity, to = Infinity): number {
    let n = 0;
    for (let i = 0; i < this.starts.length; i++) if (!this.ok[i] && this.overlaps(i, from, to)) n++;
    return n;
  }

  totalErrors(): number {
    return [...this.errors.values()].reduce((a, b) => a + b, 0);
  }

  topError(): string {
    let best: [string, number] | null = null;
    for (const e of this.errors) if (!best || e[1] > best[1]) best = e;
    return best ? `${best[1]}x ${best[0]}` : '-';
  }

  private recordOf(i: number): QueryRecord {
    const r: QueryRecord = { start: this.starts[i]!, ms: this.durations[i]!, kind: this.isWrite[i] ? 'write' : 'read', client: this.clients[this.clientOf[i]!]!.name };
    const e = this.errorOf.get(i);
    if (e !== undefined) r.error = e;
    return r;
  }

  /** The `n` slowest queries overlapping [from, to], slowest first. */
  slowest(n = 1, from = -Infinity, to = Infinity): QueryRecord[] {
    const idx: number[] = [];
    for (let i = 0; i < this.starts.length; i++) if (this.overlaps(i, from, to)) idx.push(i);
    idx.sort((a, b) => this.durations[b]! - this.durations[a]!);
    return idx.slice(0, n).map((i) => this.recordOf(i));
  }

  /** Queries over `ms` overlapping [from, to], in time order. */
  over(ms: number, from = -Infinity, to = Infinity): QueryRecord[] {
    const out: QueryRecord[] = [];
    for (let i = 0; i < this.starts.length; i++) if (this.durations[i]! > ms && this.overlaps(i, from, to)) out.push(this.recordOf(i));
    return out;
  }

  /** The failed queries, in time order. */
  failed(): QueryRecord[] {
    const out: QueryRecord[] = [];
    for (let i = 0; i < this.starts.length; i++) if (!this.ok[i]) out.push(this.recordOf(i));
    return out;
  }
}
