// The dependency rule: each folder under src/ may import only the folders listed
// in docs/ARCHITECTURE.md. Also checks that the runtime bundle holds no code from
// outside src/core and src/runtime. Exits 1 with every violation listed.
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";

const MAY_IMPORT = {
  core: ["core"],
  runtime: ["core", "runtime"],
  store: ["core", "store"],
  engine: ["core", "engine", "store"],
  forge: ["core", "engine", "forge"],
  server: ["core", "engine", "store", "server", "forge"],
  cli: ["core", "runtime", "engine", "store", "server", "forge", "cli"],
};

const src = resolve("src");
const problems = [];

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (/\.tsx?$/.test(entry.name)) yield path;
  }
}

const IMPORT =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

for await (const file of walk(src)) {
  if (/\.test\.tsx?$/.test(file)) continue;
  const layer = relative(src, file).split("/")[0];
  const allowed = MAY_IMPORT[layer];
  if (!allowed) {
    problems.push(`${relative(".", file)}: folder src/${layer} is not in the layer table`);
    continue;
  }
  const text = await readFile(file, "utf8");
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4];
    if (!spec.startsWith(".")) continue;
    const resolved = resolve(dirname(file), spec);
    // types/ holds the published declarations (no code): any layer may implement them.
    if (m[2] && relative(".", resolved).startsWith("types/")) continue;
    const target = relative(src, resolved).split("/")[0];
    if (!allowed.includes(target)) {
      problems.push(
        `${relative(".", file)}: src/${layer} may not import src/${target} ("${spec}")`,
      );
    }
  }
}

try {
  const meta = JSON.parse(await readFile("dist/runtime.meta.json", "utf8"));
  for (const input of Object.keys(meta.inputs)) {
    if (input.startsWith("node_modules/")) continue;
    if (!input.startsWith("src/core/") && !input.startsWith("src/runtime/")) {
      problems.push(
        `dist/runtime.mjs bundles ${input}: the runtime may hold only src/core and src/runtime`,
      );
    }
  }
  for (const forbidden of ["@actions/workflow-parser"]) {
    if (Object.keys(meta.inputs).some((i) => i.includes(`node_modules/${forbidden}/`))) {
      problems.push(`dist/runtime.mjs bundles ${forbidden}, which belongs to the orchestrator`);
    }
  }
} catch (err) {
  problems.push(`dist/runtime.meta.json unreadable (run npm run build first): ${err.message}`);
}

if (problems.length > 0) {
  console.error(`Layer rule violations:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("layers ok");
