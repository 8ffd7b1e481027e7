// `npm run bench -- NAME...`: runs the named benchmarks (all when none is named).
const BENCHES = {
  executors: "./executors.mjs",
  "local-run": "./local-run.mjs",
  "pipeline-plan": "./pipeline-plan.mjs",
  server: "./server.mjs",
};
const names = process.argv.slice(2);
for (const name of names) {
  if (!BENCHES[name]) {
    console.error(`unknown benchmark '${name}' (have: ${Object.keys(BENCHES).join(", ")})`);
    process.exit(2);
  }
}
for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
  console.log(`# ${name}`);
  const { run } = await import(BENCHES[name]);
  await run();
}
