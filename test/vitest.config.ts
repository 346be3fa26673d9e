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
      // Four integration files at once on two cores: their files wait on timers, sockets and bars much
      // of the time. Two forks left a core idle 35-45% of the time past the first ~100 s (vmstat); three
      // were better (`npm test` 201.6, 219.7, 208.4 s, against 224.1, 215.2 s with two). Once the
      // type-check took a third of its CPU (TypeScript 7), a fourth fork used what it freed: 201.5 and
      // 191.0 s against 215.3 s with three, the same commit, the cores busy 89-97% but in the last
      // ~40 s (2026-12-06, docs/12). minForks = maxForks: vitest 3.2 can end an idle
      // fork just as it hands it a file ("Terminating worker thread", vitest-dev/vitest#8133; seen once).
      forks: { maxForks: 4, minForks: 4, isolate: false },
      // The unit thread runs beside the forks (vitest runs each pool's files at once): the
      // integration tests leave the cores idle most of the time. One thread, not two, so the
      // integration tests' timing bounds see at most one more busy process than before.
      threads: { isolate: false, maxThreads: 1, minThreads: 1 },
    },
    // The workspaces' built JavaScript (what `@vigil/*` resolves to) is loaded by Node's own module
    // loader, as the product loads it, not run through vite-node's transform and module runner: it
    // needs no transform, and the runner cost every fork its own pass over the same files. The
    // integration project: 261.5 and 272.9 CPU-s against 295.6 and 279.4 (wall 141-145 s against
    // 150-160 s, collect 25 s against 32-44 s), the same 435 tests passing (2026-12-07, docs/12). No
    // test mocks a workspace module (vi.mock would not reach a module loaded this way).
    server: { deps: { external: [/\/(packages|apps)\/[^/]+\/dist\//] } },
    // Longest files first (test/sequencer.ts): a fresh clone has no results cache to order by.
    sequence: { sequencer: LongestFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
