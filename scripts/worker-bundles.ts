// The worker threads' entry bundles: each of dist/worker.js of the audit, gateway and engine packages
// and everything it imports, in one ES module file beside it (dist/worker.bundle.mjs), which the
// supervisor starts; and the experiments pool's task (apps/supervisor/dist/experiments/task.bundle.mjs).
//
// Why: a worker thread is a fresh V8 isolate that loads its whole module graph at every start (each
// boot, and each restart after a worker died, while the bot waits in PAUSE). Loading some ninety ES
// modules of ours and the CommonJS trees of winston and ws one file at a time cost 150-280 ms of CPU
// per thread; the same code from one file costs 70-90 ms (measured with an import timer, see
// docs/12). The code is the same: the bundle is made from the built dist files, not from another
// source.
//
// Left outside the bundle, loaded at run time from node_modules as before: native addons
// (better-sqlite3; ws's optional bufferutil and utf-8-validate) and what the code itself loads
// lazily through createRequire (the openai SDK, ajv, the ahead-of-time validators), which esbuild
// does not follow. Files a bundled module finds beside itself (new URL('./x.js', import.meta.url))
// still resolve: each bundle sits in its own package's dist/, where those files are.
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const WORKER_PACKAGES = ['audit', 'gateway', 'engine'] as const;

/**
 * Each bundle: its entry module and the bundle file beside it. The experiments' task module is one
 * too: every `supervisor experiments` starts its pool's workers afresh, and each loaded some sixty
 * modules of ours (120-138 ms of CPU per worker, measured in a bare worker).
 */
export function bundleEntries(root: string): { readonly entry: string; readonly outfile: string }[] {
  return [
    ...WORKER_PACKAGES.map((name) => ({
      entry: join(root, 'packages', name, 'dist', 'worker.js'),
      outfile: join(root, 'packages', name, 'dist', 'worker.bundle.mjs'),
    })),
    {
      entry: join(root, 'apps', 'supervisor', 'dist', 'experiments', 'task.js'),
      outfile: join(root, 'apps', 'supervisor', 'dist', 'experiments', 'task.bundle.mjs'),
    },
  ];
}

/** Writes each entry's bundle (with its source map): packages/<name>/dist/worker.bundle.mjs and the experiments task's. */
export async function writeWorkerBundles(root: string): Promise<void> {
  const esbuild = (await import(createRequire(join(root, 'package.json')).resolve('esbuild'))) as typeof import('esbuild');
  await Promise.all(
    bundleEntries(root).map(({ entry, outfile }) =>
      esbuild.build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        // The CommonJS modules inside (winston, ws) call require(); an ES module has none of its own.
        banner: { js: "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);" },
        external: ['better-sqlite3', 'bufferutil', 'utf-8-validate'],
        // Stack traces and log lines keep the functions' and classes' own names.
        keepNames: true,
        sourcemap: 'linked',
        logLevel: 'warning',
        legalComments: 'none',
      }),
    ),
  );
}
