import type { Millis } from "../../store/records.ts";
import { formatAge, formatTime } from "./format.ts";

/** `3m ago`, with the exact time as a tooltip and a machine-readable `datetime`. */
export function Age({ at, now }: { at: Millis; now: Millis }) {
  const iso = new Date(at).toISOString();
  return (
    <time datetime={iso} title={formatTime(at)}>
      {formatAge(now - at)}
    </time>
  );
}

/** `2026-11-23 13:05 UTC`, or `never`. */
export function Time({ at }: { at: Millis | null }) {
  if (at === null) return <span class="muted">never</span>;
  return <time datetime={new Date(at).toISOString()}>{formatTime(at)}</time>;
}
