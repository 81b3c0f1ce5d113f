/**
 * Samples the database's client sessions (pg_stat_activity) every `everyMs`
 * on its own connection: what each session runs, what it waits on, which
 * lock it waits for (pg_locks, not granted) and who blocks it
 * (pg_blocking_pids). Evidence for where a workload query's time went.
 */
import type pg from 'pg';
import { connect, now, sleep } from './util.js';

export interface SessionSample {
  pid: number;
  app: string;
  state: string | null;
  waitEventType: string | null;
  waitEvent: string | null;
  /** Time since the session's current query started, at the sample. */
  queryMs: number | null;
  query: string;
  blockers: number[];
  /** The locks it waits for: `locktype mode [on relation]`. */
  awaiting: string | null;
  /** Its granted locks on relations, when it blocks someone: `mode on relation` (relations its open transaction created are only counted). */
  holding: string | null;
}

export interface Sample {
  t: number;
  sessions: SessionSample[];
}

const SAMPLE_SQL = `
WITH a AS (
  SELECT pid, application_name, state, wait_event_type, wait_event,
         extract(epoch FROM clock_timestamp() - query_start) * 1000 AS query_ms,
         left(regexp_replace(query, '\\s+', ' ', 'g'), 200) AS query,
         pg_blocking_pids(pid) AS blockers
    FROM pg_stat_activity
   WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
)
SELECT a.*,
       (SELECT string_agg(l.locktype || ' ' || l.mode || coalesce(' on ' || l.relation::regclass::text, ''), ', ')
          FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted) AS awaiting,
       CASE WHEN EXISTS (SELECT 1 FROM a w WHERE a.pid = ANY (w.blockers)) THEN
         (SELECT nullif(concat_ws(', ',
                   string_agg(DISTINCT l.mode || ' on ' || r.name, ', ') FILTER (WHERE r.name !~ '^[0-9]+$'),
                   nullif(count(*) FILTER (WHERE r.name ~ '^[0-9]+$'), 0) || ' lock(s) on relations not committed yet'), '')
            FROM pg_locks l CROSS JOIN LATERAL (SELECT l.relation::regclass::text AS name) r
           WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation' AND l.relation IS NOT NULL AND r.name NOT LIKE 'pg\\_%')
       END AS holding
  FROM a`;

export class SessionSampler {
  readonly samples: Sample[] = [];
  private stopping = false;
  private loop: Promise<void> | undefined;
  private client: pg.Client | undefined;
  /** Sampling queries that failed (e.g. a relation dropped between reading pg_locks and naming it). */
  failures = 0;

  constructor(
    private readonly url: string,
    private readonly everyMs = 100,
    private readonly deadlineMs = 40 * 60_000,
  ) {}

  async start(): Promise<void> {
    this.client = await connect(this.url, 'bench-sampler');
    const c = this.client;
    const end = now() + this.deadlineMs;
    this.loop = (async () => {
      while (!this.stopping && now() < end) {
        const t = now();
        try {
          const r = await c.query(SAMPLE_SQL);
          this.samples.push({
            t,
            sessions: r.rows.map((x: Record<string, unknown>) => ({
              pid: Number(x.pid),
              app: String(x.application_name ?? ''),
              state: (x.state as string | null) ?? null,
              waitEventType: (x.wait_event_type as string | null) ?? null,
              waitEvent: (x.wait_event as string | null) ?? null,
              queryMs: x.query_ms === null ? null : Number(x.query_ms),
              query: String(x.query ?? ''),
              blockers: ((x.blockers as number[] | null) ?? []).map(Number),
              awaiting: (x.awaiting as string | null) ?? null,
              holding: (x.holding as string | null) ?? null,
            })),
          });
        } catch {
          this.failures++;
        }
        const wait = t + this.everyMs - now();
        if (wait > 0) await sleep(wait);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.client?.end().catch(() => {});
  }

  /** Samples taken within [from, to]. */
  between(from: number, to: number): Sample[] {
    return this.samples.filter((s) => s.t >= from && s.t <= to);
  }
}
