import { defineConfig } from "vitest/config";

/**
 * The test settings every package shares. Tests tagged `slow` (crash sweeps, real processes) run
 * only with STORE_SLOW_TESTS=1, as .ci/run sets; `pnpm test` skips them for quick loops.
 */
const slow = process.env.STORE_SLOW_TESTS === "1";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    tags: [
      {
        name: "slow",
        description: "crash sweeps and real-process tests",
        skip: !slow,
        timeout: 300_000,
      },
    ],
  },
});
