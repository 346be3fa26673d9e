import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TS from 'typescript';
import { describe, expect, it } from 'vitest';
import { transpileWorkspaces } from '../../scripts/transpile.ts';

/**
 * scripts/transpile.ts, the build's emitter, on synthetic workspaces under the project's own
 * tsconfig.base.json: its JavaScript and source maps are what a `tsc` program emits (the previous
 * build), a syntax error stops the build naming the place, an up-to-date file is not rewritten.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const ts = createRequire(import.meta.url)('typescript') as typeof TS;

// Syntax whose emit depends on the options: class fields beside parameter properties, an enum,
// type-only imports and exports, import.meta, a dynamic import, a private field, decorators aside.
const SOURCES: Record<string, string> = {
  'src/index.ts': [
    "import type { Shape } from './shape.js';",
    "import { area, Kind } from './shape.js';",
    "export type { Shape } from './shape.js';",
    "export * from './nested/deep.js';",
    'export class Box {',
    '  readonly made = Date.now();',
    '  #secret = 1;',
    '  static count = 0;',
    '  constructor(private readonly shape: Shape, public label = "box") { Box.count++; }',
    '  get area(): number { return area(this.shape) + this.#secret - 1; }',
    '  kind(): Kind { return Kind.Square; }',
    '}',
    'export const here = new URL("./x.json", import.meta.url);',
    "export const later = (): Promise<typeof import('./shape.js')> => import('./shape.js');",
  ].join('\n'),
  'src/shape.ts': [
    'export interface Shape { readonly w: number; readonly h: number }',
    'export enum Kind { Square = 1, Round }',
    'export const area = (s: Shape): number => s.w * s.h;',
  ].join('\n'),
  'src/nested/deep.ts': 'export const deep = <T,>(x: T): T[] => [x];\nexport default deep;\n',
  'src/shape.test.ts': "import { area } from './shape.js';\narea({ w: 1, h: 1 });\n",
};

function workspace(files: Record<string, string>, type = 'module'): { dir: string; ws: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-transpile-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fixture', private: true, workspaces: ['pkg'] }));
  writeFileSync(join(dir, 'tsconfig.base.json'), readFileSync(join(root, 'tsconfig.base.json')));
  for (const [name, text] of Object.entries(files)) {
    const file = join(dir, 'pkg', name);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
  }
  writeFileSync(join(dir, 'pkg', 'package.json'), JSON.stringify({ name: 'pkg', type }));
  return { dir, ws: 'pkg' };
}

/** What `tsc` (a program over the workspace, the project's options, rootDir src, outDir dist) writes. */
function tscEmit(dir: string): Map<string, string> {
  const base = ts.readConfigFile(join(dir, 'tsconfig.base.json'), (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(
    { ...(base.config as object), compilerOptions: { ...(base.config as { compilerOptions: object }).compilerOptions, rootDir: 'src', outDir: 'dist' } },
    ts.sys,
    join(dir, 'pkg'),
  );
  const files = parsed.fileNames.filter((f) => !f.endsWith('.test.ts'));
  const out = new Map<string, string>();
  const program = ts.createProgram(files, parsed.options);
  program.emit(undefined, (name, text) => out.set(name.slice(join(dir, 'pkg', 'dist').length + 1), text));
  return out;
}

function distOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(join(dir, 'pkg', 'dist'), '');
  return out;
}

describe('scripts/transpile.ts', () => {
  it("writes, for each source but the tests, the JavaScript and source map that tsc's own program emit writes", () => {
    const { dir, ws } = workspace(SOURCES);
    expect(transpileWorkspaces(dir, [ws], root)).toEqual({ written: 3, unchanged: 0 });
    const ours = distOf(dir);
    const theirs = tscEmit(dir);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    expect([...ours.keys()].sort()).toEqual(['index.js', 'index.js.map', 'nested/deep.js', 'nested/deep.js.map', 'shape.js', 'shape.js.map']);
    for (const [name, text] of theirs) expect(ours.get(name), name).toBe(text);
  });

  it('leaves a file newer than its source alone and rewrites one whose source changed since', () => {
    const { dir, ws } = workspace(SOURCES);
    transpileWorkspaces(dir, [ws], root);
    expect(transpileWorkspaces(dir, [ws], root)).toEqual({ written: 0, unchanged: 3 });
    const src = join(dir, 'pkg', 'src', 'shape.ts');
    writeFileSync(src, `${SOURCES['src/shape.ts']}\nexport const extra = 1;\n`);
    const later = new Date(Date.now() + 5000);
    utimesSync(src, later, later);
    expect(transpileWorkspaces(dir, [ws], root)).toEqual({ written: 1, unchanged: 2 });
    expect(readFileSync(join(dir, 'pkg', 'dist', 'shape.js'), 'utf8')).toContain('export const extra = 1;');
  });

  it('stops at a syntax error, naming the file, line and column', () => {
    const { dir, ws } = workspace({ 'src/ok.ts': 'export const a = 1;\n', 'src/broken.ts': 'export const a = 1;\nexport const b = (;\n' });
    expect(() => transpileWorkspaces(dir, [ws], root)).toThrow(/pkg\/src\/broken\.ts:2:\d+: Expression expected/);
  });

  it('refuses a workspace that is not an ES module package: its files would be emitted as the wrong module kind', () => {
    const { dir, ws } = workspace({ 'src/a.ts': 'export const a = 1;\n' }, 'commonjs');
    expect(() => transpileWorkspaces(dir, [ws], root)).toThrow(/pkg: package.json must say "type": "module"/);
  });
});
