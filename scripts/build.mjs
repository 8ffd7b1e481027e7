// Bundles the CLI and the job runtime with esbuild. The runtime must stay free of
// server code (scripts/check-layers.mjs checks the metafile written here).
import { mkdir, stat, writeFile } from "node:fs/promises";
import { build } from "esbuild";

// Some dependencies (the workflow parser's YAML) call `require` at run time.
const banner = {
  js: 'import { createRequire as __equinoxCreateRequire } from "node:module"; const require = __equinoxCreateRequire(import.meta.url);',
};

const entries = [
  { name: "equinox", entry: "src/cli/main.ts" },
  { name: "runtime", entry: "src/runtime/main.ts" },
];

await mkdir("dist", { recursive: true });
for (const { name, entry } of entries) {
  const outfile = `dist/${name}.mjs`;
  const result = await build({
    entryPoints: [entry],
    outfile,
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
  await writeFile(`dist/${name}.meta.json`, JSON.stringify(result.metafile));
  const { size } = await stat(outfile);
  console.log(`built ${outfile} (${(size / 1024).toFixed(0)} KiB)`);
}
