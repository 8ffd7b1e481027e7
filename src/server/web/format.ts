/**
 * Time and name formatting for the pages. Pages get `now` as a prop so a page renders
 * the same way twice (and tests can pin it).
 */

/** `0s`, `<1s`, `42s`, `1m 05s`, `2h 03m`, `3d 04h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0s";
  if (ms < 1000) return "<1s";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${pad(h % 24)}h`;
}

/** How long ago, given the elapsed milliseconds: `just now`, `42s ago`, `3m ago`, `5h ago`, `2d ago`. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 5000) return "just now";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ago`;
  const d = Math.floor(h / 24);
  if (d < 60) return `${d}d ago`;
  if (d < 730) return `${Math.floor(d / 30)}mo ago`;
  return `${Math.floor(d / 365)}y ago`;
}

/** `2026-11-23 13:05 UTC`: one zone for everyone, since the server does not know the reader's. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** `refs/heads/main` → `main`, `refs/tags/v1` → `v1`, `refs/pull/3/head` stays. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, "");
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** A repository's page path; names may hold `/` (`group/name`), which stays a separator. */
export function repoPath(repo: string): string {
  return `/repos/${repo.split("/").map(encodeURIComponent).join("/")}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
