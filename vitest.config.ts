import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share one PostgreSQL server (a database per file); keep parallelism modest on 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/support/global-setup.ts'],
    // Memory tests collect garbage before they sample, so they measure what is retained, not when the collector ran.
    execArgv: ['--expose-gc'],
    // Handlers run outside Lambda here: no X-Ray daemon, and EMF metric lines would only clutter the output.
    env: { POWERTOOLS_TRACE_ENABLED: 'false', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});
