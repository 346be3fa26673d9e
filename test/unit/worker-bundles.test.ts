import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleEntries, OPENAI_BUNDLE, WORKER_PACKAGES } from '../../scripts/worker-bundles.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

/** Every compiled .js under the packages' and apps' dist/ (the bundles excluded). */
function distFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') && !e.name.includes('.bundle.')) out.push(p);
    }
  };
  for (const top of ['packages', 'apps'])
    for (const ws of readdirSync(join(root, top))) {
      const dist = join(root, top, ws, 'dist');
      try {
        walk(dist);
      } catch {
        /* a workspace without a build */
      }
    }
  return out;
}

describe('worker entry bundles (scripts/worker-bundles.ts)', () => {
  it.each(WORKER_PACKAGES)(
    "%s: the supervisor resolves its worker to dist/worker.bundle.mjs, an ES module holding our code and its libraries (winston's debug helper in its production build), natives left outside",
    (name) => {
      const file = require.resolve(`@vigil/${name}/worker.bundle`);
      expect(file).toBe(join(root, 'packages', name, 'dist', 'worker.bundle.mjs'));
      const text = readFileSync(file, 'utf8');
      // Our modules are inside (no import of a workspace package remains), and so are the libraries
      // the worker loads at start (no import or require of them remains).
      expect(text).not.toMatch(/from\s+["']@vigil\//);
      expect(text).not.toMatch(/(from\s+|require\()["'](winston|ws|decimal\.js)["']/);
      expect(text).toMatch(/createLogger/);
      // winston's debug helper is its production build: no colour tables built at every thread's start.
      expect(text).toMatch(/@dabh\/diagnostics\/node\/production\.js/);
      expect(text).not.toMatch(/colorspace|kuler/);
      // A native addon cannot be bundled: it is still loaded from node_modules at run time.
      if (name === 'audit') expect(text).toMatch(/require\(["']better-sqlite3["']\)|from ["']better-sqlite3["']/);
    },
  );

  it('the experiments pool starts its workers from dist/experiments/task.bundle.mjs, an ES module holding the task, our packages and decimal.js', async () => {
    const { createExperimentPool } = await import('../../apps/supervisor/src/experiments/experiments.js');
    const pool = createExperimentPool(1);
    try {
      const f = pool.options.filename ?? '';
      expect(f.startsWith('file:') ? fileURLToPath(f) : f).toBe(join(root, 'apps', 'supervisor', 'dist', 'experiments', 'task.bundle.mjs'));
    } finally {
      await pool.destroy();
    }
    const text = readFileSync(join(root, 'apps', 'supervisor', 'dist', 'experiments', 'task.bundle.mjs'), 'utf8');
    expect(text).not.toMatch(/from\s+["']@vigil\//);
    expect(text).not.toMatch(/(from\s+|require\()["']decimal\.js["']/);
    expect(text).toMatch(/function warm\(/);
  });

  it('an AI gate with a key loads the openai SDK from packages/engine/dist/openai.bundle.cjs, one CommonJS file holding the SDK, and not from node_modules/openai', async () => {
    const bundle = join(root, 'packages', 'engine', 'dist', OPENAI_BUNDLE);
    const text = readFileSync(bundle, 'utf8');
    expect(text).not.toMatch(/require\(["']openai(\/[^"']*)?["']\)/);
    expect(text).toMatch(/var OpenAI = class\b/);
    const sdkEntry = createRequire(join(root, 'packages', 'engine', 'package.json')).resolve('openai');
    const { AIGate } = await import('../../packages/engine/src/aigate.js');
    const gate = new AIGate({
      apiKey: 'sk-unit-bundle',
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'm',
      timeoutMs: 100,
      maxTokens: 64,
      payloadMaxBytes: 4096,
      maxReplyBytes: 1024,
    });
    expect(gate.ready).toBe(true);
    expect(require.cache[bundle]).toBeDefined();
    expect(require.cache[sdkEntry]).toBeUndefined();
  });

  it('no compiled file is newer than the bundles: a build that ran tsc without bundling would start stale workers', () => {
    const oldest = Math.min(...bundleEntries(root).map((b) => statSync(b.outfile).mtimeMs));
    const newer = distFiles().filter((f) => statSync(f).mtimeMs > oldest);
    expect(newer, `rebuild with \`node --import tsx scripts/build.ts\`: these are newer than a worker bundle`).toEqual([]);
  });
});
