import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import LongestFirst from './sequencer.js';

const root = fileURLToPath(new URL('..', import.meta.url));

// Unit tests: the packages' own tests and test/unit. They start no worker of the bot and no venue;
// the few that listen on a port, spawn a script or start a thread close it before they end.
const UNIT = ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/unit/**/*.test.ts'];

export default defineConfig({
  root,
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: UNIT,
          // Threads, one module cache per thread (isolate: false below): a unit file costs its
          // tests, not a new process plus a fresh import of vitest, decimal.js and the packages.
          pool: 'threads',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', 'test/unit/**'],
          // Integration tests start real worker threads, SQLite files and sockets, in two processes
          // (forks) that each run many files (isolate: false below). Every file closes what it
          // started; test/file-scope.ts restores what a file changed in its process.
          pool: 'forks',
          setupFiles: ['test/file-scope.ts'],
        },
      },
    ],
    poolOptions: {
      // Two integration files at once, one per core. Three were faster with vitest alone (223 and 231 s
      // with two forks, 202 and 198 s with three, alternated), but not inside `npm test`, whose static
      // checks already take the idle time (scripts/test.ts): there three forks took 250-262 s and
      // failed timing-bound tests at load 10. minForks = maxForks: vitest 3.2 can end an idle fork just
      // as it hands it a file ("Terminating worker thread", vitest-dev/vitest#8133; seen once).
      forks: { maxForks: 2, minForks: 2, isolate: false },
      // The unit thread runs beside the forks (vitest runs each pool's files at once): the
      // integration tests leave the cores idle most of the time. One thread, not two, so the
      // integration tests' timing bounds see at most one more busy process than before.
      threads: { isolate: false, maxThreads: 1, minThreads: 1 },
    },
    // Longest files first (test/sequencer.ts): a fresh clone has no results cache to order by.
    sequence: { sequencer: LongestFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
