/**
 * Lint runs, debounced per document and run one at a time: an edit re-arms its document's
 * timer, so a burst of keystrokes costs one run; runs never overlap (the engine is synchronous
 * CPU work, and the warm caches are shared). `now` runs a document at the next turn and
 * resolves when that run is over (a hover or code action on a version not linted yet).
 */
export class LintQueue {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly ready: string[] = [];
  private readonly waiters = new Map<string, Array<() => void>>();
  private running = false;

  constructor(
    private readonly run: (key: string) => Promise<void>,
    private readonly onError: (key: string, e: unknown) => void,
  ) {}

  schedule(key: string, delayMs: number): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.enqueue(key);
      }, delayMs),
    );
  }

  now(key: string): Promise<void> {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
    const done = new Promise<void>((resolve) => {
      const list = this.waiters.get(key) ?? [];
      list.push(resolve);
      this.waiters.set(key, list);
    });
    this.enqueue(key, true);
    return done;
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
    const i = this.ready.indexOf(key);
    if (i >= 0) this.ready.splice(i, 1);
    this.release(key);
  }

  private enqueue(key: string, first = false): void {
    const i = this.ready.indexOf(key);
    if (i >= 0) this.ready.splice(i, 1);
    if (first) this.ready.unshift(key);
    else this.ready.push(key);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.ready.length > 0) {
        const key = this.ready.shift()!;
        try {
          await this.run(key);
        } catch (e) {
          this.onError(key, e);
        }
        // A run asked for while this one was queued is satisfied by it.
        if (!this.ready.includes(key)) this.release(key);
      }
    } finally {
      this.running = false;
    }
  }

  private release(key: string): void {
    const list = this.waiters.get(key);
    this.waiters.delete(key);
    for (const w of list ?? []) w();
  }
}
