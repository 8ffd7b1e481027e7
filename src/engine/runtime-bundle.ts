import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the bundled runtime (`dist/runtime.mjs`) is. The CLI bundle sits beside it
 * in dist/; tests running from source find it under the package root.
 */
export function runtimeBundlePath(): string {
  const override = process.env.EQUINOX_RUNTIME;
  if (override) return override;
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, "runtime.mjs"), join(here, "../../dist/runtime.mjs")]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("dist/runtime.mjs not found: run `npm run build`");
}
