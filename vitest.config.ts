import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxConcurrency: 4,
    // The workflow parser imports its schema JSON without an import attribute, which
    // plain Node refuses; inlined, Vite transforms it (the bundle does the same).
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
