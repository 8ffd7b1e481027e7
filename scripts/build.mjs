// Bundles the CLI and the job runtime with esbuild. The runtime must stay free of
// server code (scripts/check-layers.mjs checks the metafile written here).
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { build } from "esbuild";

// Some dependencies (the workflow parser's YAML) call `require` at run time.
const banner = {
  js: 'import { createRequire as __equinoxCreateRequire } from "node:module"; const require = __equinoxCreateRequire(import.meta.url);',
};

// The CLI is split into chunks so its entry starts a runtime before the heavy parts
// load; the runtime stays one self-contained file, since executors copy it around.
const entries = [
  // Native and driver packages load their own files at run time: they stay in node_modules.
  {
    name: "equinox",
    entry: "src/cli/main.ts",
    splitting: true,
    external: ["better-sqlite3", "pg"],
  },
  { name: "runtime", entry: "src/runtime/main.ts", splitting: false, external: [] },
];

// Built into dist.tmp and swapped in at the end: a failed build leaves dist/ as it was
// (tests running meanwhile keep a working runtime).
const out = "dist.tmp";
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
for (const { name, entry, splitting, external } of entries) {
  const outfile = `${out}/${name}.mjs`;
  const result = await build({
    entryPoints: { [name]: entry },
    outdir: out,
    splitting,
    external,
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    banner,
    metafile: true,
    sourcemap: "linked",
    legalComments: "none",
    // Smaller bundles parse faster: the runtime starts once per job.
    minify: true,
    keepNames: true,
    logLevel: "warning",
  });
  await writeFile(`${out}/${name}.meta.json`, JSON.stringify(result.metafile));
  const sizes = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith(".mjs"));
  const total = sizes.reduce((sum, [, o]) => sum + o.bytes, 0);
  const { size } = await stat(outfile);
  const detail =
    sizes.length > 1 ? `, ${(total / 1024).toFixed(0)} KiB with ${sizes.length - 1} chunks` : "";
  console.log(`built dist/${name}.mjs (${(size / 1024).toFixed(0)} KiB${detail})`);
}
await rm("dist.old", { recursive: true, force: true });
await rename("dist", "dist.old").catch(() => {});
await rename(out, "dist");
await rm("dist.old", { recursive: true, force: true });
