/**
 * Concurrency limits shared by every run of a server: a global number of jobs at
 * once, and per runs-on label (Solstice's `MAX_CONCURRENCY` and `CAPACITY_MAP`).
 * Waiters are served in arrival order, except that a job whose label is full does not
 * hold up jobs behind it that could start.
 */
export interface SlotLimits {
  global: number;
  perLabel: Readonly<Record<string, number>>;
}

interface Waiter {
  labels: string[];
  grant(release: () => void): void;
}

export class Slots {
  private running = 0;
  private readonly perLabel = new Map<string, number>();
  private readonly waiters: Waiter[] = [];

  constructor(readonly limits: SlotLimits) {
    if (!Number.isInteger(limits.global) || limits.global < 1)
      throw new Error(
        `the global concurrency limit must be a positive integer, got ${limits.global}`,
      );
  }

  /** Jobs holding a slot, in total and per limited label. */
  usage(): { running: number; waiting: number; perLabel: Record<string, number> } {
    return {
      running: this.running,
      waiting: this.waiters.length,
      perLabel: Object.fromEntries(this.perLabel),
    };
  }

  /** Resolves to the slot's release (idempotent) once one is free; rejects when `signal` aborts first. */
  acquire(labels: string[], signal?: AbortSignal): Promise<() => void> {
    const limited = [...new Set(labels)].filter((l) => Object.hasOwn(this.limits.perLabel, l));
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Error("cancelled while waiting for a slot"));
      const waiter: Waiter = {
        labels: limited,
        grant: (release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(new Error("cancelled while waiting for a slot"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
      this.dispatch();
    });
  }

  private fits(labels: string[]): boolean {
    if (this.running >= this.limits.global) return false;
    return labels.every((l) => (this.perLabel.get(l) ?? 0) < (this.limits.perLabel[l] ?? 0));
  }

  private dispatch() {
    for (let i = 0; i < this.waiters.length && this.running < this.limits.global; ) {
      const waiter = this.waiters[i]!;
      if (!this.fits(waiter.labels)) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      this.take(waiter);
    }
  }

  private take(waiter: Waiter) {
    this.running++;
    for (const l of waiter.labels) this.perLabel.set(l, (this.perLabel.get(l) ?? 0) + 1);
    let released = false;
    waiter.grant(() => {
      if (released) return;
      released = true;
      this.running--;
      for (const l of waiter.labels) this.perLabel.set(l, (this.perLabel.get(l) ?? 1) - 1);
      this.dispatch();
    });
  }
}

/** The labels of a job's `runs-on`: a string, a list, or `{ group, labels }`. */
export function runsOnLabels(runsOn: unknown): string[] {
  if (typeof runsOn === "string") return [runsOn];
  if (Array.isArray(runsOn)) return runsOn.filter((l): l is string => typeof l === "string");
  if (runsOn && typeof runsOn === "object") {
    const labels = (runsOn as { labels?: unknown }).labels;
    return runsOnLabels(labels ?? []);
  }
  return [];
}

/** `label=N,label=N` (Solstice's CAPACITY_MAP) → limits; errors name the bad entry. */
export function parseCapacityMap(
  text: string,
): { ok: true; value: Record<string, number> } | { ok: false; error: string } {
  const value: Record<string, number> = {};
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.lastIndexOf("=");
    const label = entry.slice(0, eq).trim();
    const n = Number(entry.slice(eq + 1));
    if (eq <= 0 || !label || !Number.isInteger(n) || n < 1)
      return {
        ok: false,
        error: `capacity '${entry}': expected LABEL=N with N a positive integer`,
      };
    value[label] = n;
  }
  return { ok: true, value };
}
