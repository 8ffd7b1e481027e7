import type { Context } from "hono";

export type HttpStatus = 400 | 401 | 403 | 404 | 409 | 413 | 500 | 503;

/** The one error type of the HTTP layer; `onError` turns it into JSON (API) or a page (web). */
export class HttpError extends Error {
  constructor(
    readonly status: HttpStatus,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a JSON object body; a missing, malformed or oversized one is a 400/413 naming the problem. */
export async function jsonBody(
  c: Context,
  maxBytes = 256 * 1024,
): Promise<Record<string, unknown>> {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
  const text = await c.req.text();
  if (text.length > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new HttpError(400, "request body must be a JSON object");
  return value as Record<string, unknown>;
}

export function stringField(body: Record<string, unknown>, name: string, required: true): string;
export function stringField(
  body: Record<string, unknown>,
  name: string,
  required?: false,
): string | undefined;
export function stringField(
  body: Record<string, unknown>,
  name: string,
  required = false,
): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw new HttpError(400, `'${name}' is required`);
    return undefined;
  }
  if (typeof value !== "string") throw new HttpError(400, `'${name}' must be a string`);
  return value;
}
