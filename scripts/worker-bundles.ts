// The worker threads' entry bundles: each of dist/worker.js of the audit, gateway and engine packages
// and everything it imports, in one ES module file beside it (dist/worker.bundle.mjs), which the
// supervisor starts; the experiments pool's task (apps/supervisor/dist/experiments/task.bundle.mjs);
// and the supervisor CLI (apps/supervisor/dist/bin/cli.bundle.mjs), which its bin runs.
//
// Why: a worker thread is a fresh V8 isolate that loads its whole module graph at every start (each
// boot, and each restart after a worker died, while the bot waits in PAUSE). Loading some ninety ES
// modules of ours and the CommonJS trees of winston and ws one file at a time cost 150-280 ms of CPU
// per thread; the same code from one file costs 70-90 ms (measured with an import timer, see
// docs/12). The code is the same: the bundle is made from the built dist files, not from another
// source.
//
// Left outside the bundle, loaded at run time as before: native addons (better-sqlite3; ws's optional
// bufferutil and utf-8-validate) and what the code itself loads lazily through createRequire (ajv,
// the ahead-of-time validators, the openai SDK), which esbuild does not follow. The openai SDK is
// bundled on its own (CommonJS, packages/engine/dist/openai.bundle.cjs), still loaded lazily: only an
// engine whose gate has a key loads it, and from one file it costs a fresh thread about 23 ms of CPU
// instead of about 80 ms for its hundred-odd modules (5 worker starts each, 2026-12-06). Files a
// bundled module finds beside itself (new URL('./x.js', import.meta.url)) still resolve: each bundle
// sits in its own package's dist/, where those files are. A module whose code also runs in another
// package's bundle (the AI gate in the CLI's, for `supervisor doctor`) finds its files by the
// package's name instead.
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const WORKER_PACKAGES = ['audit', 'gateway', 'engine'] as const;

/** The supervisor CLI's bundle, in apps/supervisor/dist/bin/ (loaded by apps/supervisor/bin/supervisor.mjs). */
export const SUPERVISOR_CLI_BUNDLE = 'cli.bundle.mjs';

/** The openai SDK's bundle, in packages/engine/dist/ (read by packages/engine/src/aigate.ts). */
export const OPENAI_BUNDLE = 'openai.bundle.cjs';

/**
 * Each bundle: its entry module and the bundle file beside it. The experiments' task module is one
 * too: every `supervisor experiments` starts its pool's workers afresh, and each loaded some sixty
 * modules of ours (120-138 ms of CPU per worker, measured in a bare worker).
 */
export function bundleEntries(root: string): { readonly entry: string; readonly outfile: string; readonly format: 'esm' | 'cjs' }[] {
  return [
    ...WORKER_PACKAGES.map((name) => ({
      entry: join(root, 'packages', name, 'dist', 'worker.js'),
      outfile: join(root, 'packages', name, 'dist', 'worker.bundle.mjs'),
      format: 'esm' as const,
    })),
    {
      // An audit check's thread (packages/audit/src/check-thread.ts): replay and verify-audit walk the
      // chain and read the JSONL mirror on threads of their own, each started afresh.
      entry: join(root, 'packages', 'audit', 'dist', 'check-worker.js'),
      outfile: join(root, 'packages', 'audit', 'dist', 'check-worker.bundle.mjs'),
      format: 'esm',
    },
    {
      entry: join(root, 'apps', 'supervisor', 'dist', 'experiments', 'task.js'),
      outfile: join(root, 'apps', 'supervisor', 'dist', 'experiments', 'task.bundle.mjs'),
      format: 'esm',
    },
    {
      // The supervisor CLI (apps/supervisor/bin/supervisor.mjs loads it): every `supervisor` command
      // is a fresh process, and from its 480 modules one at a time a refused start cost 0.68 s of
      // CPU, 0.35 s from this one file (5 runs each, 2026-12-06). In dist/bin/, two levels under the
      // package like dist/panel/ and dist/experiments/, so their paths relative to the module (the
      // panel's static files, the experiments' task bundle) are the same from the bundle.
      entry: join(root, 'apps', 'supervisor', 'dist', 'cli.js'),
      outfile: join(root, 'apps', 'supervisor', 'dist', 'bin', SUPERVISOR_CLI_BUNDLE),
      format: 'esm',
    },
    {
      // The SDK as the engine package resolves it (packages/engine/src/aigate.ts loads this file).
      entry: createRequire(join(root, 'packages', 'engine', 'package.json')).resolve('openai'),
      outfile: join(root, 'packages', 'engine', 'dist', OPENAI_BUNDLE),
      format: 'cjs',
    },
  ];
}

/** Writes each entry's bundle (with its source map): packages/<name>/dist/worker.bundle.mjs, the experiments task's and the openai SDK's. */
export async function writeWorkerBundles(root: string): Promise<void> {
  const req = createRequire(join(root, 'package.json'));
  const esbuild = (await import(req.resolve('esbuild'))) as typeof import('esbuild');
  const diagnosticsProduction = createRequire(req.resolve('winston')).resolve('@dabh/diagnostics/node/production.js');
  await Promise.all(
    bundleEntries(root).map(({ entry, outfile, format }) =>
      esbuild.build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        format,
        target: 'node20',
        // The CommonJS modules inside (winston, ws) call require(); an ES module has none of its own.
        ...(format === 'esm'
          ? { banner: { js: "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);" } }
          : {}),
        // piscina finds its own worker file beside its module (__dirname): it stays in node_modules.
        external: ['better-sqlite3', 'bufferutil', 'utf-8-validate', 'piscina'],
        // winston's debug helper, as the package itself picks it under NODE_ENV=production: it writes
        // nothing unless forced, and it does not load the colour libraries (colorspace, color,
        // kuler) that its development build builds tables with at every thread's start.
        alias: { '@dabh/diagnostics': diagnosticsProduction },
        // No keepNames: it wraps every function and closure a hot path creates in a defineProperty
        // call (__name), some 10 % of an experiment's CPU. Bundling renames only on a collision
        // (Decimal -> Decimal2), so stack traces still read; the source map beside maps the lines.
        sourcemap: 'linked',
        logLevel: 'warning',
        legalComments: 'none',
      }),
    ),
  );
}
