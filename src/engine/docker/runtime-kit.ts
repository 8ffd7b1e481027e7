import { execFile } from "node:child_process";
import { chmod, mkdir, realpath, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { runtimeBundlePath } from "../runtime-bundle.ts";

/** Where the kit appears inside a container. */
export const KIT_DIR = "/__equinox";

/**
 * This machine's Node.js and the runtime bundle, for a container whose image has no
 * Node.js (or another libc): the node binary, the exact shared libraries it was built
 * against and their dynamic loader are mounted read-only, and node is started through
 * that loader, so it runs in any Linux image — Debian, Alpine, an old CentOS.
 */
export interface RuntimeKit {
  /** `docker run` arguments that mount the kit. */
  mounts: string[];
  /** The command that starts the runtime inside the container. */
  command: string[];
  /** A `node` to start JavaScript actions with, inside the container (needs /bin/sh). */
  node: string;
}

const LIBRARY = /^\s*(\S+)\s+=>\s+(\/\S+)\s+\(0x[0-9a-f]+\)\s*$/;
const LOADER = /^\s*(\/\S+)\s+\(0x[0-9a-f]+\)\s*$/;

/** Builds the kit once per cache directory; `cacheDir` keeps the `node` wrapper script. */
export async function runtimeKit(cacheDir: string): Promise<RuntimeKit> {
  const nodeBinary = await realpath(process.execPath);
  const bundle = await realpath(runtimeBundlePath());
  const mounts = [
    "-v",
    `${nodeBinary}:${KIT_DIR}/node:ro`,
    "-v",
    `${bundle}:${KIT_DIR}/runtime.mjs:ro`,
  ];
  const { libraries, loader } = await sharedLibraries(nodeBinary);
  for (const { name, path } of libraries)
    mounts.push("-v", `${await realpath(path)}:${KIT_DIR}/lib/${name}:ro`);
  let start: string[];
  if (loader) {
    const loaderIn = `${KIT_DIR}/lib/${basename(loader)}`;
    mounts.push("-v", `${await realpath(loader)}:${loaderIn}:ro`);
    start = [loaderIn, "--library-path", `${KIT_DIR}/lib`, `${KIT_DIR}/node`];
  } else {
    start = [`${KIT_DIR}/node`]; // a static binary
  }
  await mkdir(cacheDir, { recursive: true });
  const wrapper = join(cacheDir, "node");
  await writeFile(wrapper, `#!/bin/sh\nexec ${start.join(" ")} "$@"\n`);
  await chmod(wrapper, 0o755);
  mounts.push("-v", `${wrapper}:${KIT_DIR}/bin/node:ro`);
  return { mounts, command: [...start, `${KIT_DIR}/runtime.mjs`], node: `${KIT_DIR}/bin/node` };
}

/** What `ldd` says the binary loads: its libraries and its loader (none when static). */
async function sharedLibraries(binary: string) {
  let output: string;
  try {
    output = (await promisify(execFile)("ldd", [binary])).stdout;
  } catch (err) {
    // ldd exits non-zero for a static binary ("not a dynamic executable").
    const stdout = (err as { stdout?: string }).stdout ?? "";
    if (/not a dynamic executable|statically linked/.test(`${stdout}${(err as Error).message}`))
      return { libraries: [], loader: null };
    throw new Error(`cannot list the shared libraries of ${binary}: ${(err as Error).message}`);
  }
  const libraries: { name: string; path: string }[] = [];
  let loader: string | null = null;
  for (const line of output.split("\n")) {
    const library = LIBRARY.exec(line);
    if (library) libraries.push({ name: library[1]!, path: library[2]! });
    else {
      const ld = LOADER.exec(line);
      if (ld) loader = ld[1]!;
    }
  }
  return { libraries, loader };
}
