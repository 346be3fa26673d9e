import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXCEPTIONS, layeringReport } from '../../scripts/check-layers.ts';
import { TSX_IMPORT } from '../../scripts/tsx.ts';

/**
 * scripts/check-layers.ts on synthetic repositories: a clean layering passes; each kind of
 * violation (a lower layer importing a higher one, by name, by subpath, by relative path, by
 * dynamic import, a worker package importing another, an app importing an app, a package.json
 * dependency) fails with exit 1 and is named; a commented-out import does not count.
 */
const SCRIPT = fileURLToPath(new URL('../../scripts/check-layers.ts', import.meta.url));

function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  const pkgs = [
    'packages/contracts',
    'packages/core',
    'packages/runtime',
    'packages/audit',
    'packages/gateway',
    'packages/engine',
    'apps/supervisor',
    'apps/exchange-sim',
  ];
  for (const p of pkgs) {
    mkdirSync(join(root, p, 'src'), { recursive: true });
    writeFileSync(join(root, p, 'package.json'), JSON.stringify({ name: `@vigil/${p.split('/')[1]}` }));
    writeFileSync(join(root, p, 'src', 'index.ts'), 'export {};\n');
  }
  const clean: Record<string, string> = {
    'packages/core/src/a.ts': "import { x } from '@vigil/contracts';\n",
    'packages/runtime/src/a.ts': "import { x } from '@vigil/core';\nimport type { Y } from '@vigil/contracts';\n",
    'packages/engine/src/a.ts':
      "import { x } from '@vigil/runtime';\nimport { y } from './b.js';\n// import { z } from '@vigil/audit';\n/* import { w } from '@vigil/gateway'; */\n",
    'apps/supervisor/src/a.ts': "import { x } from '@vigil/engine/backtest';\nconst w = require.resolve('@vigil/audit/worker');\n",
  };
  for (const [path, text] of Object.entries({ ...clean, ...files })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const run = (root: string) => spawnSync(process.execPath, [...TSX_IMPORT, SCRIPT, '--root', root], { encoding: 'utf8' });
/** The command's report in this process (what `--root` prints and its exit status): no child per case. */
const report = (root: string) => {
  const r = layeringReport(root, []);
  return { stdout: r.lines.join('\n'), status: r.ok ? 0 : 1 };
};

describe('scripts/check-layers.ts', () => {
  it('passes a clean layering (imports downward only, commented imports ignored)', () => {
    const r = run(repo({}));
    expect(r.stdout + r.stderr).toContain('import layering OK: 8 packages');
    expect(r.status).toBe(0);
  });

  it.each([
    [
      'core imports runtime (upward, by name)',
      { 'packages/core/src/bad.ts': "import { x } from '@vigil/runtime';\n" },
      'packages/core/src/bad.ts: core imports runtime',
    ],
    [
      'contracts imports core (upward, type-only)',
      { 'packages/contracts/src/bad.ts': "import type { X } from '@vigil/core';\n" },
      'packages/contracts/src/bad.ts: contracts imports core',
    ],
    [
      'gateway imports engine (worker packages, by subpath)',
      { 'packages/gateway/src/bad.ts': "import { x } from '@vigil/engine/backtest';\n" },
      'packages/gateway/src/bad.ts: gateway imports engine (@vigil/engine/backtest): worker packages never import each other',
    ],
    [
      'audit imports gateway (relative path into its directory)',
      { 'packages/audit/src/bad.ts': "import { x } from '../../gateway/src/index.js';\n" },
      'packages/audit/src/bad.ts: audit imports gateway',
    ],
    [
      'runtime imports an app (dynamic import)',
      { 'packages/runtime/src/bad.ts': "const m = await import('@vigil/supervisor');\n" },
      'packages/runtime/src/bad.ts: runtime imports supervisor',
    ],
    [
      'an app imports another app',
      { 'apps/supervisor/src/bad.ts': "export { x } from '@vigil/exchange-sim';\n" },
      'apps/supervisor/src/bad.ts: supervisor imports exchange-sim',
    ],
    [
      'a worker package declares a dependency on another',
      { 'packages/engine/package.json': JSON.stringify({ name: '@vigil/engine', dependencies: { '@vigil/audit': '0.1.0' } }) },
      'packages/engine/package.json: engine imports audit (dependencies: @vigil/audit)',
    ],
  ])('fails with exit 1 when %s', (_name, files, line) => {
    const r = report(repo(files));
    expect(r.stdout).toContain(`LAYER VIOLATION: ${line}`);
    expect(r.status).toBe(1);
  });

  it('the command exits 1 and prints the violation (the report above, from a child process)', () => {
    const r = run(repo({ 'packages/core/src/bad.ts': "import { x } from '@vigil/runtime';\n" }));
    expect(r.stdout).toContain('LAYER VIOLATION: packages/core/src/bad.ts: core imports runtime');
    expect(r.status).toBe(1);
  });

  it('passes on this repository with no exceptions left: with the exception list off, nothing is reported either', () => {
    expect(EXCEPTIONS).toEqual([]);
    const r = report(fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, ''));
    // --root disables the repository's exceptions: run it the way npm test does instead.
    const real = spawnSync(process.execPath, [...TSX_IMPORT, SCRIPT], { encoding: 'utf8' });
    expect(real.stdout).toMatch(/import layering OK/);
    expect(real.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('LAYER VIOLATION'))).toEqual([]);
  });
});
