import { afterAll, vi } from 'vitest';

/**
 * Run before every integration file (vitest setupFiles). The integration forks are not isolated
 * (test/vitest.config.ts: one process runs many files, so each file does not pay a fresh process
 * and a fresh import of vitest and the packages), so what a file changes in its process must not
 * outlive it: its environment variables (a harness that sets OPENAI_API_KEY would give the next
 * file's bot an AI gate it did not configure) and its runner settings (vi.setConfig).
 */
const saved = { ...process.env };

afterAll(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) Reflect.deleteProperty(process.env, k);
  for (const [k, v] of Object.entries(saved)) if (process.env[k] !== v) process.env[k] = v;
  vi.resetConfig();
});
