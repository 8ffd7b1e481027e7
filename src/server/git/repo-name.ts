/**
 * Repository names: `name` or `group/name`. A name becomes a path on disk
 * (`<dataDir>/repos/<name>.git`) and a URL path (`/<name>.git`), so anything that
 * could climb out of the repos folder, hide a file, collide with git's own files or
 * need escaping in a URL is refused here, once, before it reaches either.
 */

export type RepoNameResult = { ok: true; name: string } | { ok: false; error: string };

const MAX_SEGMENT = 100;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function validateRepoName(name: unknown): RepoNameResult {
  if (typeof name !== "string") return { ok: false, error: "repository name must be a string" };
  const shown = printable(name.length > 120 ? `${name.slice(0, 120)}…` : name);
  const fail = (problem: string): RepoNameResult => ({
    ok: false,
    error: `repository name '${shown}': ${problem}`,
  });
  if (name === "") return { ok: false, error: "repository name is empty" };
  const segments = name.split("/");
  if (segments.length > 2) return fail("at most one group level (group/name)");
  if (name.includes("..")) return fail("must not contain '..'");
  for (const segment of segments) {
    if (segment === "") return fail("empty path segment (leading, trailing or double '/')");
    if (segment.length > MAX_SEGMENT) {
      return fail(`each segment is at most ${MAX_SEGMENT} characters (got ${segment.length})`);
    }
    if (!SEGMENT.test(segment)) {
      const quoted = printable(segment.length > 120 ? `${segment.slice(0, 120)}…` : segment);
      return /^[._-]/.test(segment)
        ? fail(`segment '${quoted}' must start with a letter or digit`)
        : fail(
            `segment '${quoted}' may hold only letters, digits, '.', '_' and '-' (ASCII, no spaces)`,
          );
    }
    if (/\.git$/i.test(segment)) return fail("must not end in '.git' (the URL adds it)");
    if (/\.lock$/i.test(segment)) return fail("must not end in '.lock'");
  }
  return { ok: true, name };
}

/** Control characters shown as escapes, so an error message stays one readable line. */
function printable(text: string): string {
  return text.replace(
    /[\x00-\x1f\x7f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
