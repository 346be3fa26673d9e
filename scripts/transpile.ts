// The workspaces' JavaScript: each src/**/*.ts (tests and declaration files aside) turned into
// dist/**/*.js with its source map, one file at a time, by TypeScript's own emitter
// (ts.transpileModule). The output is byte for byte what `tsc -b` wrote (checked over all 185 files,
// 2026-12-06): every workspace is an ES module package and the sources are written for
// isolatedModules and verbatimModuleSyntax, so no file's JavaScript depends on another's types.
//
// Why not `tsc -b`: it type-checks while it emits, and the build sits on the path of `npm ci`
// (prepare), `npm start` and `npm test`: 13-14 s of one core, against about 3 s here. Types are
// checked once, by `npm run typecheck` (one program over the sources, the tests and the scripts,
// tsconfig.json), which `npm test` runs beside the suite.
//
// A dist file newer than its source and than tsconfig.base.json is left as it is.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import type * as TS from 'typescript';

export interface TranspileResult {
  readonly written: number;
  readonly unchanged: number;
}

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts')) yield p;
  }
}

function writeWhole(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

const mtime = (file: string): number => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};

/**
 * Transpiles src/ into dist/ for each workspace (paths relative to `root`), with the TypeScript
 * installed for `typescriptFrom` (the project's root). Throws on a syntax error, naming the file.
 */
export function transpileWorkspaces(root: string, workspaces: readonly string[], typescriptFrom: string = root): TranspileResult {
  const ts = createRequire(join(typescriptFrom, 'package.json'))('typescript') as typeof TS;
  const baseFile = join(root, 'tsconfig.base.json');
  const base = ts.readConfigFile(baseFile, (f) => ts.sys.readFile(f));
  if (base.error) throw new Error(`tsconfig.base.json: ${ts.flattenDiagnosticMessageText(base.error.messageText, '\n')}`);
  const converted = ts.convertCompilerOptionsFromJson((base.config as { compilerOptions: unknown }).compilerOptions, root, baseFile);
  const [optionError] = converted.errors;
  if (optionError) throw new Error(`tsconfig.base.json: ${ts.flattenDiagnosticMessageText(optionError.messageText, '\n')}`);
  // One file cannot see its package.json: NodeNext's ESM emit is ESNext's for a "type": "module"
  // package, which each workspace is (checked below).
  const options: TS.CompilerOptions = {
    ...converted.options,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    declaration: false,
    declarationMap: false,
    composite: false,
    incremental: false,
    noEmit: false,
    sourceMap: true,
  };
  const since = mtime(baseFile);
  let written = 0;
  let unchanged = 0;
  for (const ws of workspaces) {
    const pkg = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8')) as { type?: string };
    if (pkg.type !== 'module') throw new Error(`${ws}: package.json must say "type": "module" (its sources are emitted as ES modules)`);
    const src = join(root, ws, 'src');
    const dist = join(root, ws, 'dist');
    for (const file of sources(src)) {
      const out = join(dist, relative(src, file)).replace(/\.ts$/, '.js');
      const outTime = mtime(out);
      if (outTime >= mtime(file) && outTime >= since && mtime(`${out}.map`) >= 0) {
        unchanged++;
        continue;
      }
      const r = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file, reportDiagnostics: true });
      const [d] = r.diagnostics ?? [];
      if (d) {
        const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
        throw new Error(`${relative(root, file)}${at ? `:${at.line + 1}:${at.character + 1}` : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      }
      // As tsc writes it: the map names its source relative to the map.
      const map = JSON.parse(r.sourceMapText ?? '{}') as { file?: string; sources?: string[] };
      map.file = basename(out);
      map.sources = [relative(dirname(out), file).split('\\').join('/')];
      mkdirSync(dirname(out), { recursive: true });
      // Each file whole or not at all (a build stopped mid-write must not leave a cut file that
      // looks newer than its source); the .js last, as it is what marks the pair up to date.
      writeWhole(`${out}.map`, JSON.stringify(map));
      writeWhole(out, r.outputText);
      written++;
    }
  }
  return { written, unchanged };
}
