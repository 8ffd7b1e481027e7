/**
 * CSRF defences for requests a browser may send on its own: those authenticated by the
 * session cookie or by a proxy (which authenticates the browser). A bearer token is never
 * sent by a browser unasked, so token requests need none of this.
 */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Why a request did not come from this server's own pages, or null when it may have.
 * Refused: `Sec-Fetch-Site` of `cross-site` or `same-site` (a sibling subdomain is another
 * site for us), and an `Origin` that is neither `ownOrigin` (the public URL) nor the
 * origin of the `Host` the request was sent to. No `Origin` at all passes: browsers send
 * it on every POST, and a non-browser client forges nothing by leaving it out.
 */
export function crossSiteProblem(headers: Headers, ownOrigin: string | null): string | null {
  const site = headers.get("sec-fetch-site");
  if (site === "cross-site" || site === "same-site")
    return `refused a request from another site (Sec-Fetch-Site: ${site})`;
  const origin = headers.get("origin");
  if (origin !== null && !isOwnOrigin(origin, headers.get("host"), ownOrigin))
    return `refused a request from another origin (Origin: ${origin.slice(0, 200)})`;
  return null;
}

/**
 * For the JSON API with a session or proxy principal: a state-changing request must come
 * from our own origin, and a body must be JSON, which a cross-site HTML form cannot send
 * (and a cross-origin script cannot without a CORS preflight, which the server never
 * grants). Null when the request passes.
 */
export function cookieApiProblem(
  method: string,
  headers: Headers,
  ownOrigin: string | null,
): string | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null;
  const crossSite = crossSiteProblem(headers, ownOrigin);
  if (crossSite)
    return `${crossSite}: API calls with a browser session must come from this server's own pages; scripts should send a token (Authorization: Bearer)`;
  if (hasBody(headers) && !isJson(headers.get("content-type")))
    return "API calls with a browser session must send their body as Content-Type: application/json";
  return null;
}

function isOwnOrigin(origin: string, host: string | null, ownOrigin: string | null): boolean {
  if (ownOrigin !== null && origin === ownOrigin) return true;
  if (host === null) return false;
  let url: URL;
  try {
    // "null" (a sandboxed or privacy-stripped origin) and other junk do not parse.
    url = new URL(origin);
  } catch {
    return false;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== origin)
    return false;
  try {
    // Through the URL parser, so a default port written out (`Host: a:443`) compares equal.
    return new URL(`${url.protocol}//${host}`).host === url.host;
  } catch {
    return false;
  }
}

function hasBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  return headers.has("transfer-encoding") || (length !== null && length.trim() !== "0");
}

function isJson(contentType: string | null): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}
