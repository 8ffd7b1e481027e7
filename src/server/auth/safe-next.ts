const BASE = "http://equinox.invalid";

/**
 * Where to go after logging in: a path on this server, else `/`. Browsers read `/\x`,
 * `//x` and a path whose tabs or newlines they strip into `//x` as another host, so
 * only a single `/` followed by neither `/` nor `\`, with no control characters or
 * white space anywhere, is accepted, and it must resolve to this origin.
 */
export function safeNext(next: string | undefined | null): string {
  if (typeof next !== "string" || next.length > 2048) return "/";
  if (!/^\/(?![/\\])/.test(next) || /[\s\p{Cc}\p{Cf}\\]/u.test(next)) return "/";
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}
