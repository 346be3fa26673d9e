import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import LongestFirst from './sequencer.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Integration tests start real worker threads, SQLite files and sockets: separate processes
    // keep one test file's threads and ports from leaking into another.
    pool: 'forks',
    // Both cores (vitest's default leaves one idle: cpus - 1). The integration tests mostly wait on
    // sockets and timers, so two files at once roughly halve the wall time; their timing bounds are
    // set for a loaded 2-core machine.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Longest files first (test/sequencer.ts): a fresh clone has no results cache to order by.
    sequence: { sequencer: LongestFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
