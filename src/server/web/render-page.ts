import type { JSX } from "hono/jsx/jsx-runtime";

/**
 * A whole document from a page's JSX: `c.html(renderPage(<Layout …>…</Layout>))`.
 * The pages are synchronous, so the node renders to a string at once; an async
 * component is a programming error, not a request's.
 */
export function renderPage(node: JSX.Element): string {
  if (node instanceof Promise)
    throw new Error("renderPage: got an async component; pages are synchronous");
  return `<!doctype html>${node.toString()}`;
}
