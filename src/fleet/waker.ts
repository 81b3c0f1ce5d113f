/**
 * The nap of a worker's loop between looks at the control database, cut short when one of
 * its targets ends. A nudge while the loop is busy cuts the next nap short, so no wake-up
 * between targets is lost. Used by the rollout's and the rollback's workers.
 */
export interface Waker {
  nap(ms: number): Promise<void>;
  nudge(): void;
}

export function createWaker(): Waker {
  let wake: (() => void) | null = null;
  let nudged = false;
  return {
    nudge() {
      nudged = true;
      wake?.();
      wake = null;
    },
    nap(ms) {
      return new Promise<void>((resolve) => {
        if (nudged) {
          nudged = false;
          resolve();
          return;
        }
        const t = setTimeout(() => {
          wake = null;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(t);
          nudged = false;
          resolve();
        };
      });
    },
  };
}
